"""Run a command inside the project's own virtual environment, creating it first if needed.

    python3 scripts/run.py mkdocs build --strict
    python3 scripts/run.py pytest

The environment lives in .venv/ and is (re)installed from requirements.txt whenever that
file changes (a hash of it is kept in .venv/requirements.sha256), so nothing has to be
installed by hand and a stale environment is never used.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / "requirements.sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def requirements_hash():
    """Return the sha256 of requirements.txt together with the Python version it is for."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(sys.version.split()[0].encode())
    return digest.hexdigest()


def ensure_venv():
    """Create or refresh .venv so that it holds exactly the pinned requirements."""
    wanted = requirements_hash()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if sys.version_info < (3, 11):
        sys.exit(f"scripts/run.py: Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    print(f"scripts/run.py: installing requirements.txt into {VENV.relative_to(ROOT)}/ ...", flush=True)
    STAMP.unlink(missing_ok=True)  # a half-finished install must not look finished
    venv.create(VENV, with_pip=True, clear=VENV.exists())
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    subprocess.run(pip + ["-r", str(REQUIREMENTS)], check=True)
    STAMP.write_text(wanted + "\n")


def main(argv):
    if not argv:
        sys.exit(__doc__)
    ensure_venv()
    command = BIN / argv[0]
    if not command.exists():
        sys.exit(f"scripts/run.py: {argv[0]!r} is not installed in {VENV.relative_to(ROOT)}/")
    env = dict(os.environ, VIRTUAL_ENV=str(VENV), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material prints an end-of-life banner otherwise
    os.chdir(ROOT)
    os.execve(str(command), [str(command), *argv[1:]], env)


if __name__ == "__main__":
    main(sys.argv[1:])

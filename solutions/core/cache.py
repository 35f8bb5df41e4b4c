"""What a problem's results depend on, as one hash: the key under which they may be reused.

A problem's results (its answer-key entries, its placeholders' markdown, its figures) are a
function of its module's source, of every module of the package it imports (followed
transitively), of the shared core (every file in ``solutions/core/``, imported or not), of
the installed versions of the libraries that compute and draw them, and of its inputs,
which are stated in its module's source. ``fingerprint`` hashes exactly these.
"""

import ast
import hashlib
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from solutions.core.publish import PACKAGE, PACKAGE_DIR

CORE_DIR = PACKAGE_DIR / "core"
# Libraries whose version can change a computed number or a drawn figure (matplotlib embeds
# its version in every SVG); the markdown and site libraries only act after the cache.
LIBRARIES = ("numpy", "scipy", "sympy", "matplotlib", "contourpy", "kiwisolver", "pillow", "fonttools")
FORMAT = "1"  # bump when what is cached changes shape


def module_file(name):
    """Return the source file of solutions.<name> ("" for the package itself), or None if there is none."""
    base = PACKAGE_DIR.joinpath(*name.split(".")) if name else PACKAGE_DIR
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported(path, name):
    """Return the names (relative to the package) of the package modules a source file may import."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if name else []
    found = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = here if is_package else here[:-1]
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([PACKAGE, *anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # `from a import b` imports a, and b too when b is a module rather than a name
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                found.add(target.removeprefix(PACKAGE).lstrip("."))
    return found


def dependencies(module):
    """Return the source files solutions.<module> depends on: itself, its packages' __init__.py,
    and every package module it imports, followed transitively; sorted, relative to the package.

    Raises FileNotFoundError if solutions.<module> has no source file.
    """
    start = module_file(module)
    if start is None:
        raise FileNotFoundError(f"{PACKAGE}.{module} has no source file under {PACKAGE_DIR}")
    seen, todo, files = set(), [module], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".") if name else []
        todo += [".".join(parts[:i]) for i in range(len(parts))]  # importing a.b runs a/__init__.py
        path = module_file(name)
        if path is None:
            continue  # a name imported from a module, not a module
        files.add(path)
        todo += _imported(path, name)
    return sorted(path.relative_to(PACKAGE_DIR).as_posix() for path in files)


def versions(libraries):
    """Return ["name==version" or "name absent"] for each installed library named."""
    found = []
    for library in libraries:
        try:
            found.append(f"{library}=={metadata.version(library)}")
        except metadata.PackageNotFoundError:
            found.append(f"{library} absent")
    return found


@lru_cache(maxsize=1)
def environment():
    """Return the Python version and the installed versions of LIBRARIES, as one string."""
    return f"python {sys.version.split()[0]}; " + "; ".join(versions(LIBRARIES))


def fingerprint(modules, *extra):
    """Return the hex sha256 of everything the given problem modules' results depend on.

    modules: names relative to the package, e.g. ["midterm_review.batchnorm"]. extra: any
    further strings the results depend on (e.g. the page the module publishes to).
    """
    digest = hashlib.sha256(f"format {FORMAT}\n{environment()}\n".encode())
    files = {path.relative_to(PACKAGE_DIR).as_posix() for path in CORE_DIR.rglob("*.py")}
    for module in modules:
        files.update(dependencies(module))
    for relative in sorted(files):
        content = (PACKAGE_DIR / relative).read_bytes()
        digest.update(f"{relative}\0{len(content)}\0".encode() + content)
    for item in extra:
        digest.update(f"extra\0{item}\0".encode())
    return digest.hexdigest()

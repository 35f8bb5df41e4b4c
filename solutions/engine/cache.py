"""What a problem's results depend on, as one hash: the key under which they may be reused.

A problem's results (its answer-key entries, its placeholders' markdown, its figures) are a
function of its module's source, of every module of the package it imports (followed
transitively), of the shared code (every file in ``solutions/toolkit/`` and ``solutions/engine/``, imported or not), of
the installed versions of the libraries that compute and draw them, and of its inputs,
which are stated in its module's source. ``fingerprint`` hashes exactly these.

``Results`` keeps each problem's filled Page on disk under that hash, so that a build runs
only the problems whose fingerprint changed. An entry is only ever written by running the
same code in the same environment, so reusing it is as good as recomputing; deleting the
folder only costs time. What is not hashed must not change results: a problem computes
from its stated inputs and the package's Python code, never from a data file or the clock.
"""

import ast
import gc
import hashlib
import json
import os
import pickle
import re
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from solutions.engine import files
from solutions.engine.publish import PACKAGE, PACKAGE_DIR, Page, run_module

SHARED_DIRS = (PACKAGE_DIR / "toolkit", PACKAGE_DIR / "engine")  # what every problem depends on
# Libraries whose version can change a computed number or a drawn figure (matplotlib embeds
# its version in every SVG); the markdown and site libraries only act after the cache.
LIBRARIES = ("numpy", "scipy", "sympy", "matplotlib", "contourpy", "kiwisolver", "pillow", "fonttools")
FORMAT = "1"  # bump when what is cached changes shape


def _imported_by(source, filename, name, is_package):
    """Return the names (relative to the package) of the package modules a source file may import.

    A file that does not parse imports nothing here: its fingerprint is new all the same, so
    running it reports the error, naming the module, as for any other failure.
    """
    here = name.split(".") if name else []
    found = set()
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError):
        return []
    for node in _statements(tree.body):
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
    return sorted(found)


def _statements(body):
    """Yield every statement of body, and those nested in its blocks (imports are statements:
    walking them alone, not every expression, makes parsing several times faster)."""
    for node in body:
        yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            nested = getattr(node, block, None)
            if isinstance(nested, list):
                yield from _statements(nested)


def sources():
    """Return {path: bytes} of every Python source file of the package."""
    return {path: path.read_bytes() for path in sorted(PACKAGE_DIR.rglob("*.py"))}


_SOURCES = sources()  # as they were when the package was imported


def sources_changed():
    """Return whether a source file of the package was added, removed or edited since it was imported."""
    return sources() != _SOURCES


def _normal(name):
    return re.sub(r"[-_.]+", "_", name).lower()


@lru_cache(maxsize=1)
def _installed():
    """Return {normalized project name: version} of the distributions on sys.path, first one wins."""
    # An installed distribution's version is in its folder's name (numpy-2.4.6.dist-info),
    # found as importlib.metadata finds it (first on sys.path) but without reading its
    # METADATA: that costs more than all the rest of a build with nothing to recompute.
    installed = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            stem = name.removesuffix(".dist-info")
            if stem != name and stem.count("-") == 1:
                project, version = stem.split("-")
                installed.setdefault(_normal(project), version)
    return installed


def versions(libraries):
    """Return ["name==version" or "name absent"] for each library named."""
    found = []
    for library in libraries:
        version = _installed().get(_normal(library))
        if version is None:
            try:
                version = metadata.version(library)
            except metadata.PackageNotFoundError:
                found.append(f"{library} absent")
                continue
        found.append(f"{library}=={version}")
    return found


@lru_cache(maxsize=1)
def environment():
    """Return the Python version and the installed versions of LIBRARIES, as one string."""
    return f"python {sys.version.split()[0]}; " + "; ".join(versions(LIBRARIES))


class Snapshot:
    """The package's source files, each read, hashed and parsed at most once.

    One snapshot serves one build: the fingerprints of all its problems share the reading
    of the core. Files edited while it lives are not seen by it. imports: a dict
    {file relative to the package: [sha256 of its bytes, its module name, the package
    modules it imports]} to reuse parses from, and to which new parses are added.
    """

    def __init__(self, imports=None):
        self.imports = {} if imports is None else imports
        self.parsed = 0  # files parsed (not found in imports) by this snapshot
        self._files = {}  # module name -> its source file relative to the package, or None
        self._content = {}  # relative path -> bytes
        self._digest = {}  # relative path -> sha256 of its bytes
        self._core = None  # every file of the core, relative to the package

    def module_file(self, name):
        """Return the source file of solutions.<name> ("" for the package itself), or None if there is none."""
        relative = self._relative(name)
        return None if relative is None else PACKAGE_DIR / relative

    def _relative(self, name):
        if name not in self._files:
            base = "/".join(name.split(".")) + "/" if name else ""
            self._files[name] = next((relative for relative in (base[:-1] + ".py", base + "__init__.py")
                                      if relative != ".py" and (PACKAGE_DIR / relative).is_file()), None)
        return self._files[name]

    def content(self, relative):
        if relative not in self._content:
            self._content[relative] = (PACKAGE_DIR / relative).read_bytes()
        return self._content[relative]

    def digest(self, relative):
        """Return the sha256 of a source file (given relative to the package)."""
        if relative not in self._digest:
            self._digest[relative] = hashlib.sha256(self.content(relative)).hexdigest()
        return self._digest[relative]

    def imported(self, relative, name):
        """Return the package modules the source file of solutions.<name> imports."""
        digest = self.digest(relative)
        known = self.imports.get(relative)
        valid = (isinstance(known, list) and len(known) == 3 and known[:2] == [digest, name]
                 and isinstance(known[2], list) and all(isinstance(module, str) for module in known[2]))
        if not valid:  # new, edited, or a garbled record: parse
            self.parsed += 1
            is_package = relative.endswith("__init__.py")
            known = [digest, name, _imported_by(self.content(relative), str(PACKAGE_DIR / relative), name, is_package)]
            self.imports[relative] = known
        return known[2]

    def dependencies(self, module):
        """See dependencies()."""
        if self._relative(module) is None:
            raise FileNotFoundError(f"{PACKAGE}.{module} has no source file under {PACKAGE_DIR}")
        seen, todo, files = set(), [module], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            parts = name.split(".") if name else []
            todo += [".".join(parts[:i]) for i in range(len(parts))]  # importing a.b runs a/__init__.py
            relative = self._relative(name)
            if relative is None:
                continue  # a name imported from a module, not a module
            files.add(relative)
            todo += self.imported(relative, name)
        return sorted(files)

    def fingerprint(self, modules, *extra):
        """See fingerprint()."""
        if self._core is None:
            self._core = {path.relative_to(PACKAGE_DIR).as_posix() for folder in SHARED_DIRS for path in folder.rglob("*.py")}
        files = set(self._core)
        for module in modules:
            files.update(self.dependencies(module))
        lines = [f"format {FORMAT}", environment()]
        lines += [f"{relative} {self.digest(relative)}" for relative in sorted(files)]
        lines += [f"extra {item!r}" for item in extra]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def module_file(name):
    """Return the source file of solutions.<name> ("" for the package itself), or None if there is none."""
    return Snapshot().module_file(name)


def dependencies(module):
    """Return the source files solutions.<module> depends on: itself, its packages' __init__.py,
    and every package module it imports, followed transitively; sorted, relative to the package.

    Raises FileNotFoundError if solutions.<module> has no source file.
    """
    return Snapshot().dependencies(module)


def fingerprint(modules, *extra):
    """Return the hex sha256 of everything the given problem modules' results depend on.

    modules: names relative to the package, e.g. ["midterm_review.batchnorm"]. extra: any
    further strings the results depend on (e.g. the page the module publishes to).
    """
    return Snapshot().fingerprint(modules, *extra)


def default_folder(project):
    """Return where the results of the project whose mkdocs.yml is in `project` are kept."""
    return Path(project) / ".cache" / "solutions"


def snapshot(folder):
    """Return a Snapshot that reuses the import records kept in a results folder (parsing again what they lack)."""
    try:
        imports = json.loads((Path(folder) / Results.IMPORTS).read_bytes())
    except Exception:  # missing or corrupt: parse again
        imports = {}
    return Snapshot(imports if isinstance(imports, dict) else {})


class Results:
    """Filled Pages of problem modules, reused while their fingerprint is unchanged.

    An entry is ``<folder>/<module>.<fingerprint>.pickle``. A missing, unreadable or corrupt
    entry is a miss: the module runs again and its entry is overwritten. Entries are written
    atomically (a temporary file, then os.replace), so an interrupted build leaves none half
    written; writing one removes the module's older entries. A module that fails is never
    stored. ``imports.json`` remembers which package modules each source file imports (by
    the file's hash), so that a new process need not parse the package again.

    The cache is trusted as the source is: it is unpickled, so it must be written by this
    project's builds only (it lives in the project's folder, git-ignored).
    """

    SUFFIX = ".pickle"
    IMPORTS = "imports.json"

    def __init__(self, folder):
        self.folder = Path(folder)
        self.computed = []  # modules run by this object, in order
        self.reused = []  # modules whose stored Page was returned
        self.unwritable = []  # (what, error) for each entry that could not be stored
        self._snapshot = snapshot(self.folder)

    def page(self, module, src_uri):
        """Return the filled Page of solutions.<module> for the page src_uri: stored, or computed and stored."""
        page = self.lookup(module, src_uri)
        return page if page is not None else self.store(module, src_uri, run_module(module, src_uri))

    def _path(self, module, src_uri):
        parsed = self._snapshot.parsed
        path = self.folder / f"{module}.{self._snapshot.fingerprint([module], src_uri)}{self.SUFFIX}"
        if self._snapshot.parsed != parsed:
            self._write(self.folder / self.IMPORTS, self.IMPORTS, lambda: json.dumps(
                {relative: known for relative, known in sorted(self._snapshot.imports.items())
                 if (PACKAGE_DIR / relative).is_file()}).encode())
        return path

    def lookup(self, module, src_uri):
        """Return the stored Page of solutions.<module> for src_uri if its fingerprint is unchanged, else None."""
        page = self._load(self._path(module, src_uri), module, src_uri)
        if page is not None:
            self.reused.append(module)
        return page

    def store(self, module, src_uri, page):
        """Store a Page just computed by run_module(module, src_uri) (it must not have failed); return it."""
        self.computed.append(module)
        path = self._path(module, src_uri)
        if self._write(path, module, lambda: pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL)):
            for old in self.folder.glob(f"{module}.*{self.SUFFIX}"):
                if old != path and old.name.removesuffix(self.SUFFIX).rsplit(".", 1)[0] == module:
                    old.unlink(missing_ok=True)
        return page

    @staticmethod
    def _load(path, module, src_uri):
        collecting = gc.isenabled()
        gc.disable()  # everything unpickled is alive: collections that its allocations would trigger find nothing
        try:
            with open(path, "rb") as handle:
                page = pickle.load(handle)
        except Exception:  # missing, truncated, garbled, or of another format: recompute
            return None
        finally:
            if collecting:
                gc.enable()
        if not isinstance(page, Page) or (page.module, page.src_uri) != (module, src_uri):
            return None
        return page

    def _write(self, path, what, data):
        """Store data() at path; return whether it was stored (a full or read-only disk costs time, not the build)."""
        try:
            files.write_atomically(path, data())
            return True
        except Exception as exc:
            self.unwritable.append((what, exc))
            return False

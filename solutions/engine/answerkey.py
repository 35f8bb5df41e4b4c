"""The answer key: every published value by id, and how two keys differ."""

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from mkdocs.utils.meta import get_data

from solutions.engine import answercheck, errata, files, sets
from solutions.engine.publish import PACKAGE_DIR, Catalog, SolutionError, module_path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
KEY_PATH = ROOT / "solutions" / "answers.json"
ABOUT = ("Answer key: every value shown on the site, by stable id, with the page it appears on "
         "and the inputs it was computed from. Regenerate with `python -m solutions regenerate`.")


def read_pages(docs_dir=DOCS):
    """Return {src_uri: markdown} for every page under docs_dir."""
    return {path.relative_to(docs_dir).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(Path(docs_dir).rglob("*.md"))}


def solution_module(src_uri, markdown):
    """Return the solution module named in a page's front matter (`solution: set.problem`), or None."""
    try:
        _, meta = get_data(markdown)
    except Exception as exc:
        raise SolutionError(f"docs/{src_uri}: cannot read its front matter: {exc}") from exc
    return str(meta["solution"]) if meta.get("solution") else None


def nav(config_path):
    """Return the pages of the nav in config_path, in order ([] if there is no such file)."""
    if not config_path.exists():
        return []
    # BaseLoader: the nav is plain strings, and mkdocs.yml may hold tags only MkDocs resolves.
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # libyaml's, where installed: several times faster
    return sets.nav_order(yaml.load(config_path.read_text(encoding="utf-8"), Loader=loader).get("nav"))


def compute(docs_dir=DOCS, results=None):
    """Return the Catalog of everything the pages under docs_dir publish, after checking every page.

    results: a cache.Results to reuse unchanged problems from (None: run every problem module).

    Raises SolutionError naming the module or page at fault: a module that fails, a page
    using a name its module does not publish, a published name that no page shows, a set
    without its metadata, a gradient table whose check fails, an unreleased set whose
    statement shows an answer, a malformed errata register, or an `ask:` that cannot get
    an answer box.
    """
    pages = read_pages(docs_dir)
    typed = sets.typed_numbers(pages)
    if typed:
        raise SolutionError("decimal numbers typed by hand in docs/ (every computed number comes from code: "
                            "publish it in the page's module and place it as {{ name }}):\n  " + "\n  ".join(typed))
    modules = {src: module for src, text in pages.items() if (module := solution_module(src, text))}
    missing = [f"docs/{src}: front matter names `solution: {module}`, but {module_path(module)} does not exist"
               f"{_closest(module)}" for src, module in sorted(modules.items()) if not _exists(module)]
    if missing:
        raise SolutionError("\n  ".join(["pages name problem modules that do not exist:", *missing]))
    catalog = Catalog.collect(modules, results)
    catalog.sources, catalog.order = pages, nav(Path(docs_dir).parent / "mkdocs.yml")
    catalog.errata = errata.load()
    catalog.site["sets"] = sets.overview(catalog)
    catalog.site["errata"] = sets.errata_page(catalog)
    catalog.check(pages)
    sets.withhold_unreleased(catalog)
    answercheck.check(catalog)
    return catalog


def _exists(module):
    """Return whether a front matter's `solution: <set>.<problem>` names a module file of a set."""
    parts = module.split(".")
    return (len(parts) == 2 and all(part.isidentifier() for part in parts)
            and (PACKAGE_DIR / parts[0] / "__init__.py").is_file() and (PACKAGE_DIR.parent / module_path(module)).is_file())


def _closest(module):
    """Return '; did you mean a.b?' naming the closest existing problem modules, or a hint to create it."""
    known = sorted(f"{init.parent.name}.{path.stem}" for init in PACKAGE_DIR.glob("*/__init__.py")
                   for path in init.parent.glob("*.py") if path.name != "__init__.py")
    close = difflib.get_close_matches(module, known, n=2, cutoff=0.75)
    if close:
        return f" (did you mean {' or '.join(close)}?)"
    return (" (write it, or scaffold it with python3 scripts/run.py python -m solutions new "
            f"{module.split('.')[0]} {module.split('.')[-1]})")


def dumps(values):
    """Return the key as JSON text, byte-identical for identical values."""
    document = {"about": ABOUT, "values": dict(sorted(values.items()))}
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def load(path=None):
    """Return {id: entry} from a key file (default: the committed key), or {} if there is none yet."""
    path = Path(path or KEY_PATH)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))["values"]
    except (ValueError, KeyError) as exc:
        raise SystemExit(f"{path}: not a valid answer key ({exc})") from exc


def save(values, path=None):
    """Write the key atomically (default: the committed key): a failed write leaves the old file untouched."""
    files.write_atomically(Path(path or KEY_PATH), dumps(values))


@dataclass(frozen=True)
class Change:
    """One difference between the committed key and a recomputation."""

    id: str
    where: str  # "" for the whole value, "[2]" or "[1][0]" for one element, or a field name
    old: object
    new: object

    def __str__(self):
        if self.where:
            return f"{self.id}{self.where}: {self.old} -> {self.new}"
        if self.old is None:
            return f"{self.id}: new value {self.new}"
        if self.new is None:
            return f"{self.id}: no longer published (was {self.old})"
        return f"{self.id}{self.where}: {self.old} -> {self.new}"


def _leaves(value, where=""):
    if isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{where}[{i}]")
    else:
        yield where, value


def _column_tolerance(tol, where):
    """Tolerances may be per column (tables): pick the one for this element's last index."""
    if isinstance(tol, list):
        return tol[int(where.rsplit("[", 1)[1].rstrip("]"))]
    return tol


def _shape(value):
    """Return the shape of a number or nested list of numbers, as numpy.shape does (None if ragged).

    In plain Python: a build whose key is unchanged then never imports numpy.
    """
    if not isinstance(value, list):
        return ()
    shapes = {_shape(v) for v in value}
    if len(shapes) > 1 or None in shapes:
        return None
    return (len(value), *(shapes.pop() if shapes else ()))


def value_changes(id_, old, new, rtol, atol):
    """Return the Changes between two values, element by element, within the given tolerance."""
    shape = _shape(new)
    if shape is None or _shape(old) != shape:
        return [] if old == new else [Change(id_, " (shape)", old, new)]
    changes = []
    for (where, a), (_, b) in zip(_leaves(old), _leaves(new)):
        if isinstance(a, str) or isinstance(b, str):
            same = a == b
        else:
            same = abs(a - b) <= _column_tolerance(atol, where) + _column_tolerance(rtol, where) * abs(b)
        if not same:
            changes.append(Change(id_, where, a, b))
    return changes


def diff(old_key, new_key):
    """Return every Change from old_key to new_key: values beyond tolerance, inputs, added, removed."""
    if old_key == new_key:  # the usual case, checked at once rather than element by element
        return []
    changes = []
    for id_ in sorted(set(old_key) | set(new_key)):
        old, new = old_key.get(id_), new_key.get(id_)
        if old is None or new is None:
            changes.append(Change(id_, "", old and old["value"], new and new["value"]))
            continue
        if old == new:
            continue
        changes += value_changes(id_, old["value"], new["value"], new["rtol"], new["atol"])
        old_inputs, new_inputs = old.get("inputs", {}), new.get("inputs", {})
        for name in sorted(set(old_inputs) | set(new_inputs)):
            if old_inputs.get(name) != new_inputs.get(name):
                changes.append(Change(id_, f" (input {name})", old_inputs.get(name, "none"), new_inputs.get(name, "none")))
        for field in sorted(set(old) | set(new)):
            if field not in ("value", "rtol", "atol", "inputs") and old.get(field) != new.get(field):
                changes.append(Change(id_, f" ({field})", old.get(field), new.get(field)))
    return changes


def merge(old_key, new_key):
    """Return new_key, keeping the committed bytes of every value that is unchanged within tolerance.

    Recomputation on another CPU may differ in the last bits; keeping the approved value
    then keeps the committed key stable instead of rewriting it with noise.
    """
    merged = {}
    for id_, entry in new_key.items():
        old = old_key.get(id_)
        unchanged = old is not None and not value_changes(id_, old["value"], entry["value"], entry["rtol"], entry["atol"])
        merged[id_] = {**entry, "value": old["value"]} if unchanged else entry
    return merged


def _released(id_):
    """Return whether the set of an answer-key id is released (True if its set no longer exists)."""
    try:
        return sets.problem_set(id_.rsplit(".", 1)[0]).released
    except (ImportError, SolutionError):
        return True


def protected(old_key, new_key):
    """Return the ids whose published value would change: in a released set, changed beyond tolerance or removed.

    New ids, and ids of sets not yet released, change freely; such changes need no erratum.
    """
    ids = []
    for id_, old in sorted(old_key.items()):
        new = new_key.get(id_)
        changed = new is None or value_changes(id_, old["value"], new["value"], new["rtol"], new["atol"])
        if changed and _released(id_):
            ids.append(id_)
    return ids

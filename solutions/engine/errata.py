"""The errata register: every correction of a published value, with its date, reason, old and new value.

``solutions/errata.yml`` lists the corrections in the order they were made. A value of a
released set may change only together with an entry here (``python -m solutions
regenerate --erratum "what was wrong"`` writes it), so the register and the committed
answer key always agree: the newest entry naming an id holds that id's committed value.
The site shows the register newest first, and a note on each corrected problem's page.
"""

import datetime
import html
import posixpath
from dataclasses import dataclass
from pathlib import Path

import yaml

from solutions.engine.publish import PACKAGE_DIR, SolutionError, page_url

PATH = PACKAGE_DIR / "errata.yml"
PAGE = "errata.md"  # the generated register's page, at the top of docs/
HEADER = """\
# The errata register: each correction of a published value, oldest first.
# Written by `python -m solutions regenerate --erratum "what was wrong"`; the text of `what`
# may be edited by hand, the values may not (`python -m solutions check` compares them with
# solutions/answers.json). The site lists the entries on its errata page, newest first.
"""
REMOVED = None  # the `new` of a value that is no longer published


class ErrataError(SolutionError):
    """The errata file is malformed or disagrees with the answer key; the message names the entry or id."""


@dataclass(frozen=True)
class Change:
    id: str
    old: object
    new: object  # REMOVED if the value is no longer published


@dataclass(frozen=True)
class Erratum:
    number: int  # position in the file, from 1: stable, since entries are only ever appended
    date: str  # ISO date, e.g. "2026-11-22"
    problem: str  # the problem module, e.g. "midterm_review.batchnorm"
    what: str
    changes: tuple

    @property
    def anchor(self):
        return f"erratum-{self.number}"

    @property
    def set_name(self):
        return self.problem.split(".")[0]


def _entry(raw, number, path):
    where = f"{path}: entry {number}"
    if not isinstance(raw, dict):
        raise ErrataError(f"{where}: expected a mapping with date, problem, what and changes")
    missing = [field for field in ("date", "problem", "what", "changes") if field not in raw]
    if missing:
        raise ErrataError(f"{where}: missing {', '.join(missing)}")
    try:
        date = datetime.date.fromisoformat(str(raw["date"])).isoformat()
    except ValueError:
        raise ErrataError(f"{where}: date {raw['date']!r} is not a date like 2026-11-22") from None
    problem, what = raw["problem"], raw["what"]
    if not isinstance(problem, str) or problem.count(".") != 1:
        raise ErrataError(f"{where}: problem {problem!r} is not a problem module like midterm_review.batchnorm")
    if not isinstance(what, str) or not what.strip():
        raise ErrataError(f"{where}: `what` must say what was wrong")
    if not isinstance(raw["changes"], list) or not raw["changes"]:
        raise ErrataError(f"{where}: `changes` must list at least one changed value")
    changes = []
    for change in raw["changes"]:
        if not isinstance(change, dict) or set(change) != {"id", "old", "new"}:
            raise ErrataError(f"{where}: each change needs exactly id, old and new, got {change!r}")
        if not str(change["id"]).startswith(problem + "."):
            raise ErrataError(f"{where}: id {change['id']!r} is not a value of problem {problem}")
        changes.append(Change(str(change["id"]), change["old"], change["new"]))
    return Erratum(number, date, problem, what.strip(), tuple(changes))


def load(path=None):
    """Return the Errata in the file, oldest first ([] if there is no file).

    Raises ErrataError naming the file and entry at fault.
    """
    path = Path(path or PATH)
    if not path.exists():
        return []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ErrataError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ErrataError(f"{path}: expected a list of entries")
    entries = [_entry(item, number, path) for number, item in enumerate(raw, 1)]
    dates = [entry.date for entry in entries]
    if dates != sorted(dates):
        raise ErrataError(f"{path}: entries must be in the order they were made (oldest first)")
    return entries


def latest(entries):
    """Return {id: Change} of the newest change of every id the register names."""
    return {change.id: change for entry in entries for change in entry.changes}


def disagreements(entries, key):
    """Return messages naming every id where the register and the committed key {id: entry} disagree.

    Values are compared exactly: regenerate writes the same value to both files.
    """
    problems = []
    for id_, change in sorted(latest(entries).items()):
        if change.new is REMOVED:
            if id_ in key:
                problems.append(f"{id_}: the register says it was removed, but the answer key has it")
        elif id_ not in key:
            problems.append(f"{id_}: no such id in the answer key")
        elif change.new != key[id_]["value"]:
            problems.append(f"{id_}: the register's newest value {change.new} is not the key's {key[id_]['value']}")
    return problems


def record(entries, changes_by_problem, what, date):
    """Return entries with one new Erratum per problem: changes_by_problem maps module -> [Change]."""
    number = len(entries)
    new = []
    for problem, changes in sorted(changes_by_problem.items()):
        number += 1
        new.append(Erratum(number, date, problem, what.strip(), tuple(changes)))
    return entries + new


def dumps(entries):
    """Return the register as YAML text, with its explanatory header."""
    document = [{"date": entry.date, "problem": entry.problem, "what": entry.what,
                 "changes": [{"id": c.id, "old": c.old, "new": c.new} for c in entry.changes]}
                for entry in entries]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100) if document else "[]\n"
    return HEADER + body


# ---------------------------------------------------------------- on the site


def _shown(value):
    """Return a value as short text for the errata page: numbers to 10 significant digits."""
    if value is REMOVED:
        return "(removed)"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, ".10g")
    return str(value)


def _cell(value):
    return "`" + _shown(value).replace("|", r"\|") + "`"


def page(entries, pages, titles, is_released):
    """Return the errata page's markdown: entries of released sets, newest first.

    pages: {module: src_uri of its page}; titles: {src_uri: the page's title};
    is_released(set_name): whether the set's solutions are published.
    """
    shown = [entry for entry in reversed(entries) if is_released(entry.set_name)]
    if not shown:
        return "No published value has been corrected so far."
    parts = []
    for entry in shown:
        src = pages.get(entry.problem)
        title = titles.get(src, entry.problem)
        link = f"[{title}]({src})" if src else title
        rows = "\n".join(f"| `{c.id}` | {_cell(c.old)} | {_cell(c.new)} |" for c in entry.changes)
        parts.append(f"## {entry.date}: {title} {{#{entry.anchor}}}\n\n"
                     f"Corrected problem: {link}.\n\n{entry.what}\n\n"
                     f"| value | was | now |\n|---|---|---|\n{rows}")
    return "\n\n".join(parts)


def note(entries, module, src_uri):
    """Return the HTML line telling a corrected problem's readers when it was corrected, or ""."""
    mine = [entry for entry in entries if entry.problem == module]
    if not mine:
        return ""
    errata_url = page_url(PAGE)
    base = posixpath.relpath(errata_url or ".", page_url(src_uri) or ".")
    links = [f'<a href="{html.escape(base)}/#{entry.anchor}">{entry.date}</a>' for entry in reversed(mine)]
    return f'<p class="corrected">Corrected on {", ".join(links)}: see the errata for what changed.</p>'

"""The problem sets: what each one is (title, course, source document), where its code and
tests live, and what the site says about it (the provenance line of each problem, the
table of sets with their verification status on the landing page).

A set is a package ``solutions/<set>/`` whose ``__init__.py`` defines TITLE, COURSE and
SOURCE, and RELEASED = False while only its problem statements may be published; each of
its problems is a module in it, named by a page's front matter.
"""

import html
import importlib
import posixpath
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from mkdocs.utils.meta import get_data

from solutions.engine import answercheck, errata
from solutions.toolkit import fmt
from solutions.engine.publish import PACKAGE, PACKAGE_DIR, SolutionError, in_statement, module_path, page_url

ROOT = PACKAGE_DIR.parent
METADATA = ("TITLE", "COURSE", "SOURCE")
HANDOUT = "print.md"  # each set's printable handout, generated beside its pages
GRADIENT_COLUMNS = ["analytic", "central difference", "relative error"]
AGREES = 1e-6  # central differences in float64 agree with a correct gradient to ~1e-9; a wrong one is off by far more
# A solution is a collapsible "success" block (`??? success "Solution"`, "Verification", ...):
# the marker line and everything indented under it.
SOLUTION_BLOCK = re.compile(r"^([ \t]*)\?\?\?\+? success\b")
UNRELEASED = ('!!! info "Solutions not yet released"\n\n'
              "    This set is published as problems only; its solutions will appear here once released.")


@dataclass(frozen=True)
class ProblemSet:
    name: str  # the package, e.g. "midterm_review"
    title: str
    course: str
    source: str  # the source document, e.g. "Midterm Review: Basics handout"
    released: bool = True  # False: the site shows the problem statements only, no solutions

    @property
    def tests(self):
        """Return the path of the set's tests, relative to the repository."""
        return f"tests/test_{self.name}.py"


def problem_set(module):
    """Return the ProblemSet of a problem module such as "midterm_review.batchnorm"."""
    name = module.split(".")[0]
    package = importlib.import_module(f"{PACKAGE}.{name}")
    missing = [attr for attr in METADATA if not isinstance(getattr(package, attr, None), str)]
    if missing:
        raise SolutionError(f"{PACKAGE}/{name}/__init__.py must define {', '.join(missing)} "
                            f"(strings naming the set, its course and its source document)")
    released = getattr(package, "RELEASED", True)
    if not isinstance(released, bool):
        raise SolutionError(f"{PACKAGE}/{name}/__init__.py: RELEASED must be True or False, not {released!r}")
    return ProblemSet(name, package.TITLE, package.COURSE, package.SOURCE, released)


def provenance(module, blob_url, handout_href=None):
    """Return the HTML line naming a problem's source document and the code and tests behind it.

    blob_url: the repository's address for files of the published branch (ending in "/"),
    or "" to name the files without linking them. handout_href: link to the set's handout.
    """
    problem_set_ = problem_set(module)

    def link(path):
        code = f"<code>{html.escape(path)}</code>"
        return f'<a href="{html.escape(blob_url + path)}">{code}</a>' if blob_url else code

    handout = f' <a href="{html.escape(handout_href)}">Printable handout of the set</a>.' if handout_href else ""
    source = f'<p class="provenance">Source: {html.escape(problem_set_.source)}, {html.escape(problem_set_.course)}.'
    if not problem_set_.released:  # the code and tests compute and check its answers: no link to them yet
        return f"{source}{handout}</p>"
    return (f"{source} Computed by {link(module_path(module))}; "
            f"checked by {link(problem_set_.tests)}.{handout}</p>")


def with_provenance(markdown, module, blob_url, src_uri=None):
    """Return a problem page's markdown with its provenance line under the page's title.

    src_uri: the page's source in docs/, to link its set's handout from it (None: no link).
    """
    href = None
    if src_uri is not None:
        handout = page_url(handout_uri(PurePosixPath(src_uri).parent.as_posix()))
        href = posixpath.relpath(handout, page_url(src_uri)) + "/"
    line = provenance(module, blob_url, href)
    title = re.search(r"^# .*$", markdown, re.M)
    if title is None:
        return f"{line}\n\n{markdown}"
    return f"{markdown[:title.end()]}\n\n{line}\n{markdown[title.end():]}"


def handout_uri(folder):
    """Return the docs/-relative source path of the handout of the set whose pages are in folder."""
    return posixpath.join(folder, HANDOUT)


def handouts(catalog, blob_url):
    """Return {docs/-relative source path: markdown} of every set's printable handout.

    A handout holds the set's problems in nav order with their solutions open, headings one
    level down under the handout's title; it is left out of search, which already finds
    each problem on its own page.
    """
    result = {}
    for problem_set_, folder, _ in status(catalog):
        parts = ["---\nsearch:\n  exclude: true\n---\n", f"# {problem_set_.title}: the whole set"]
        for src in [src for src in catalog.order if src in catalog.pages]:
            if PurePosixPath(src).parent.as_posix() != folder:
                continue
            body, _ = get_data(catalog.sources[src])
            body = published_markdown(catalog, src, body, blob_url, handout=True)
            body = re.sub(r"^(#+) ", r"#\1 ", body, flags=re.M)
            parts.append(re.sub(r"^(\s*)\?\?\? ", r"\1???+ ", body, flags=re.M))  # collapsed -> open
        result[handout_uri(folder)] = "\n\n".join(parts) + "\n"
    return result


def statement_only(markdown):
    """Return markdown without its solution blocks: the problem statement (and figures outside them).

    Headings stay, even those left with nothing under them: a part's heading often is its question.
    """
    kept, skip = [], None
    for line in markdown.splitlines(keepends=True):
        if skip is not None:
            indent = len(line) - len(line.lstrip(" \t"))
            if not line.strip() or indent > skip:
                continue
            skip = None
        marker = SOLUTION_BLOCK.match(line)
        if marker:
            skip = len(marker.group(1))
            continue
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "".join(kept))


def released(catalog, src_uri):
    """Return whether a page's solutions may be published (True for pages with no problem module)."""
    page = catalog.pages.get(src_uri)
    return page is None or problem_set(page.module).released


def withhold_unreleased(catalog):
    """Mark in catalog.withheld the ids of every item that a set not yet released must not publish.

    Its pages keep their statements: a value placed outside the solution blocks must be a stated
    input (page.input), a figure, or published with statement=True; anything else would
    publish an answer, and raises SolutionError.
    """
    for src_uri, page in sorted(catalog.pages.items()):
        if released(catalog, src_uri):
            continue
        used = {}
        catalog.render(src_uri, statement_only(get_data(catalog.sources[src_uri])[0]), used)
        shown = used.get(src_uri, set())
        leaks = sorted(name for name in shown if page.items[name].entry and not in_statement(page.items[name]))
        if leaks:
            raise SolutionError(f"docs/{src_uri}: its set is not released, but {', '.join(leaks)} "
                                "is shown outside a solution block (move it into a `??? success` block, or publish it with statement=True if it answers nothing)")
        catalog.withheld |= {f"{page.module}.{name}" for name in page.items if name not in shown}


def published_markdown(catalog, src_uri, markdown, blob_url, handout=False):
    """Return a page's markdown (without front matter) as the site publishes it.

    Placeholders are filled; a problem's page gets its provenance line, the answer boxes its
    front matter asks for (answercheck) and, if it was corrected, a line linking its errata; a
    set's index page gets its progress line; the page of a set not yet released keeps only its
    statement. handout: for the set's handout (no link to the handout, nor to the errata, no boxes).
    """
    page = catalog.pages.get(src_uri)
    if page is None:
        markdown = catalog.render(src_uri, markdown, {})
        return markdown if handout else answercheck.with_progress(catalog, src_uri, markdown)
    if not released(catalog, src_uri):
        markdown = statement_only(markdown)
    elif not handout:
        markdown = answercheck.with_boxes(catalog, src_uri, markdown)  # before the solutions they stand before
    markdown = with_provenance(catalog.render(src_uri, markdown, {}), page.module, blob_url,
                               None if handout else src_uri)
    if not released(catalog, src_uri):
        return _under_provenance(markdown, UNRELEASED)
    corrected = "" if handout else errata.note(catalog.errata, page.module, src_uri)
    return _under_provenance(markdown, corrected) if corrected else markdown


def _under_provenance(markdown, block):
    line = re.search(r'^<p class="provenance">.*$', markdown, re.M)
    return f"{markdown[:line.end()]}\n\n{block}\n{markdown[line.end():]}"


def errata_page(catalog):
    """Return the errata page's markdown (links relative to the top of docs/, where the page is)."""
    pages = {page.module: src for src, page in catalog.pages.items()}
    titles = {}
    for module, src in pages.items():
        heading = re.search(r"^# (.+)$", get_data(catalog.sources.get(src, ""))[0], re.M)
        titles[src] = f"{problem_set(module).title}, {heading.group(1).strip() if heading else src}"
    released_sets = {page.module.split(".")[0]: released(catalog, src) for src, page in catalog.pages.items()}
    return errata.page(catalog.errata, pages, titles, lambda name: released_sets.get(name, False))


TYPED = re.compile(r"\d\.\d")  # a decimal number: a computed value typed by hand, soon a stale copy


def typed_numbers(pages):
    """Return 'docs/<page>:<line>: <text>' for every decimal number typed in a page's markdown outside {{ ... }}."""
    hits = []
    for src_uri, markdown in sorted(pages.items()):
        for number, line in enumerate(markdown.splitlines(), start=1):
            bare = re.sub(r"\{\{.*?\}\}", "", line)
            hits += [f"docs/{src_uri}:{number}: ...{bare[max(0, m.start() - 20):m.end() + 10].strip()}..."
                     for m in TYPED.finditer(bare)]
    return hits


def count_tests(path):
    """Return the number of test functions in a test file (0 if there is none), less its untested placeholders."""
    path = ROOT / path
    if not path.exists():
        return 0
    text = path.read_text(encoding="utf-8")
    return len(re.findall(r"^def test_", text, re.M)) - len(re.findall(UNTESTED_MARK, text))


# The reason of the scaffold's placeholder tests, with the problem's id (see scaffold.UNTESTED).
UNTESTED_MARK = re.compile(r"""reason=["']no independent test yet: ([A-Za-z_]\w*\.[A-Za-z_]\w*)["']""")


def untested(catalog, root=ROOT):
    """Return a message for each problem of a released set whose test file still holds the scaffold's
    placeholder for it, or that has no test file at all: such a set cannot be released."""
    messages = []
    for problem_set_ in sorted({problem_set(page.module) for page in catalog.pages.values()}, key=lambda s: s.name):
        if not problem_set_.released:
            continue
        path = root / problem_set_.tests
        init = f"{PACKAGE}/{problem_set_.name}/__init__.py"
        if not path.exists():
            messages.append(f"{problem_set_.tests}: missing, so set {problem_set_.name} has no tests; write them "
                            f"(python3 scripts/run.py python -m solutions new scaffolds one per problem), "
                            f"or keep the set a draft with RELEASED = False in {init}")
            continue
        text = path.read_text(encoding="utf-8")
        for match in UNTESTED_MARK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            messages.append(f"{problem_set_.tests}:{line}: problem {match.group(1)} has no independent test yet, "
                            f"but its set is released; write the test and delete its skip, or keep the set a "
                            f"draft with RELEASED = False in {init}")
    return messages


def nav_titles(nav):
    """Return [(title or None, docs/-relative path)] of every page of a MkDocs nav (as configured), in order."""
    if isinstance(nav, str):
        return [(None, nav)]
    if isinstance(nav, dict):
        return [pair for title, value in nav.items()
                for pair in ([(title, value)] if isinstance(value, str) else nav_titles(value))]
    return [pair for entry in nav or [] for pair in nav_titles(entry)]


def nav_order(nav):
    """Return the pages of a MkDocs nav (as configured in mkdocs.yml), in order."""
    return [path for _, path in nav_titles(nav)]


def status(catalog):
    """Return [(ProblemSet, set folder in docs/, summary dict)] for every set.

    Sets come in the order of their first page in the nav (catalog.order); sets with no
    page in it come last, by folder.

    Raises SolutionError naming each gradient-table row whose analytic gradient and central
    difference disagree: a published derivation that its own check refutes stops the build.
    """
    position = {src: number for number, src in enumerate(catalog.order)}
    sets, first, failures = {}, {}, []
    for src_uri, page in sorted(catalog.pages.items()):
        problem_set_ = problem_set(page.module)
        folder, summary = sets.setdefault(problem_set_, (PurePosixPath(src_uri).parent.as_posix(),
                                                          {"problems": 0, "values": 0, "gradients": 0}))
        first[problem_set_] = min(first.get(problem_set_, (len(position) + 1,)),
                                  (position.get(src_uri, len(position)), src_uri))
        summary["problems"] += 1
        for item in page.items.values():
            if item.entry is None or item.entry["kind"] == "input":
                continue
            summary["values"] += 1
            if item.entry.get("columns", [])[1:] == GRADIENT_COLUMNS:
                summary["gradients"] += len(item.entry["rows"])
                failures += [f"docs/{src_uri} ({module_path(page.module)}), {item.name}: {label}: analytic "
                             f"{row[0]!r}, central difference {row[1]!r} (relative error {row[2]:.1e})"
                             for label, row in zip(item.entry["rows"], item.entry["value"]) if not row[2] < AGREES]
    if failures:
        raise SolutionError(f"analytic gradients disagree with central differences (relative error over {AGREES:g}); "
                            "fix the derivative, or the loss it is checked against:\n  " + "\n  ".join(failures))
    return [(problem_set_, *sets[problem_set_]) for problem_set_ in sorted(sets, key=first.get)]


def overview(catalog):
    """Return the landing page's markdown table of sets, with their verification status.

    Links are relative to the top of docs/, so the table belongs on docs/index.md.
    """
    rows = []
    for problem_set_, folder, summary in status(catalog):
        checks = [f"{summary['gradients']} gradient checks"] if summary["gradients"] else []
        checks.append(f"{count_tests(problem_set_.tests)} tests")
        rows.append([f"[{problem_set_.title}]({folder}/index.md)", problem_set_.course,
                     "released" if problem_set_.released else "problems only",
                     str(summary["problems"]), str(summary["values"]) if problem_set_.released else "–",
                     "✓ " + ", ".join(checks),
                     f"[handout]({handout_uri(folder)})"])
    return fmt.markdown_table(["Set", "Course", "Solutions", "Problems", "Values", "Verified", "Print"], rows,
                              align="lllrrll")

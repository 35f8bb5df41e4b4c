"""Publishing: problem modules hand named values, tables and figures to a Page; pages paste them by name.

A page's front matter names its problem module (``solution: midterm_review.batchnorm``).
The module's ``publish(page)`` calls ``page.value``, ``page.table`` and ``page.figure``;
the page's markdown then refers to each by name as ``{{ name }}``. Every published item
gets the stable id ``<module>.<name>`` in the answer key.
"""

import difflib
import importlib
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from solutions.toolkit import fmt

# numpy and matplotlib are imported where values are published and figures drawn: a build
# that reuses every cached problem (solutions.engine.cache) does neither.

PACKAGE = "solutions"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
NAME = re.compile(r"[A-Za-z_]\w*\Z")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
SITE_PLACEHOLDER = re.compile(r"\{\{\s*(site\.[A-Za-z_]\w*)\s*\}\}")  # what the whole site publishes
EXACT = {"rtol": 1e-12, "atol": 0.0}  # recomputation of the same float64 formula: only roundoff differs


class SolutionError(Exception):
    """A problem module, or a page that uses one, is wrong; the message names which and where."""


def to_json(x):
    """Return x as plain JSON data: numbers, strings, and nested lists of them."""
    import numpy as np

    if isinstance(x, dict):
        return {str(k): to_json(v) for k, v in x.items()}
    if isinstance(x, str):
        return x
    if isinstance(x, (list, tuple, np.ndarray)):
        return [to_json(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"a published value must be finite, got {value}")
    return value


@dataclass(frozen=True)
class Item:
    """One published thing: what its placeholder becomes, and its answer-key entry (None for figures)."""

    name: str
    markdown: str
    entry: dict | None = None
    files: tuple = ()  # ((site uri, svg bytes), ...) for a figure: its light and dark drawings
    alt: str = ""  # a figure's alt text and caption (markdown)
    caption: str = ""


def in_statement(item):
    """Return whether an item with an answer-key entry belongs to its problem's statement (a stated
    input, or a value published with statement=True): shown even while its set is unreleased."""
    return item.entry["kind"] == "input" or bool(item.entry.get("statement"))


def page_url(src_uri):
    """Return the site URL of a page (MkDocs' directory URLs): a/b.md -> a/b/, a/index.md -> a/."""
    path = PurePosixPath(src_uri)
    parent = "" if str(path.parent) == "." else f"{path.parent}/"
    return parent if path.stem in ("index", "README") else f"{parent}{path.stem}/"


@dataclass
class Page:
    """Collects what one problem module publishes for one page."""

    module: str  # e.g. "midterm_review.batchnorm", relative to the solutions package
    src_uri: str  # e.g. "midterm-review/batchnorm.md", relative to docs/
    inputs: dict = field(default_factory=dict)  # the module's INPUTS, the default for every value
    items: dict = field(default_factory=dict)

    def _add(self, item):
        if not NAME.match(item.name):
            raise SolutionError(f"{module_path(self.module)}: {item.name!r} is not a valid name (letters, digits, _)")
        if item.name in self.items:
            raise SolutionError(f"{module_path(self.module)}: the name {item.name!r} is published twice")
        self.items[item.name] = item

    def _entry(self, kind, value, inputs, rtol, atol, statement=False, **extra):
        if inputs is None:
            inputs = self.inputs
        elif isinstance(inputs, (list, tuple)) and all(isinstance(name, str) for name in inputs):
            missing = [name for name in inputs if name not in self.inputs]
            if missing:
                raise SolutionError(f"{module_path(self.module)}: inputs {missing} are not in its INPUTS")
            inputs = {name: self.inputs[name] for name in inputs}
        return {
            "kind": kind,
            "page": self.src_uri,
            "url": page_url(self.src_uri),
            "value": to_json(value),
            "inputs": to_json(inputs),
            "rtol": to_json(rtol),
            "atol": to_json(atol),
            **({"statement": True} if statement else {}),
            **extra,
        }

    def value(self, name, x, *, digits=fmt.DIGITS, row=False, inputs=None, rtol=EXACT["rtol"], atol=EXACT["atol"],
              statement=False):
        """Publish a number, vector or matrix; its placeholder becomes LaTeX (placed outside math, it is typeset as math).

        A vector is shown as a column, or as a row with row=True (easier to read inside a sentence).
        inputs: what the value was computed from, for the answer key: a dict, or a tuple of
        names in the module's INPUTS; by default all of INPUTS. rtol, atol: how closely a
        recomputation must agree with the committed key. statement=True: the value belongs to
        the problem's statement (it answers nothing), so it is shown before solutions are released.
        """
        self._add(Item(name, fmt.latex(x, digits, row), self._entry("value", x, inputs, rtol, atol, statement)))

    def mistake(self, name, x, *, of, why, digits=fmt.DIGITS, row=False, inputs=None, rtol=EXACT["rtol"],
                atol=EXACT["atol"]):
        """Publish a typical wrong answer to the value `of` (a name this page publishes), computed
        from the wrong formula; its placeholder becomes LaTeX, like value().

        why: one line saying what was done wrong (for example "divided the variance by m - 1").
        It is kept in the answer key with the id it is a mistake for, so that a student whose
        attempt matches it can be told what went wrong. Shown inside a solution, never in a statement.
        """
        if not isinstance(why, str) or not why.strip():
            raise SolutionError(f"{module_path(self.module)}: mistake {name!r} needs why=, one line saying what was done wrong")
        entry = self._entry("mistake", x, inputs, rtol, atol, of=f"{self.module}.{of}", why=" ".join(why.split()))
        self._add(Item(name, fmt.latex(x, digits, row), entry))

    def input(self, name, x, *, row=False):
        """Publish a stated input (a number, vector or matrix the answers are computed from), shown exactly."""
        self._add(Item(name, fmt.latex(x, None, row), self._entry("input", x, {name: x}, EXACT["rtol"], EXACT["atol"])))

    def table(self, name, columns, labels, rows, *, digits=fmt.DIGITS, rtol=EXACT["rtol"], atol=EXACT["atol"], inputs=None,
              statement=False):
        """Publish a table of numbers with a label per row; rtol and atol may be given per column.

        columns: header of each column, the first being the label column's (markdown).
        labels: LaTeX label of each row. rows: (n_rows, n_columns - 1) numbers.
        statement: as for value().
        """
        import numpy as np

        rows = np.asarray(rows, dtype=float)
        if rows.ndim != 2 or rows.shape != (len(labels), len(columns) - 1):
            raise SolutionError(f"{module_path(self.module)}: table {name!r} has {rows.shape} cells for "
                                f"{len(labels)} labels and {len(columns)} columns")
        digit_list = digits if isinstance(digits, (list, tuple)) else [digits] * rows.shape[1]
        cells = [[f"${label}$"] + [f"${fmt.latex(x, d) if d == fmt.EXACT else fmt.number(x, d)}$" for x, d in zip(row, digit_list)]
                 for label, row in zip(labels, rows)]
        entry = self._entry("table", rows, inputs, rtol, atol, statement, columns=list(columns), rows=list(labels))
        self._add(Item(name, fmt.markdown_table(columns, cells), entry))

    def gradient_table(self, name, checks, *, wrt="L", inputs=None):
        """Publish gradient-check rows (analytic, central difference, relative error) as a table.

        The analytic column is exact recomputation; the central difference carries roundoff
        of about eps/h ~ 1e-10 relative, which can differ between CPUs, so its key tolerance
        is 1e-8; the relative errors are only claimed to be small (below 1e-6).
        """
        labels = [rf"\partial {wrt} / \partial {row.label}" for row in checks]
        rows = [[row.analytic, row.numeric, row.relative_error] for row in checks]
        columns = ["gradient", "analytic", "central difference", "relative error"]
        self.table(name, columns, labels, rows, digits=[6, 6, 2], inputs=inputs,
                   rtol=[EXACT["rtol"], 1e-8, 0.0], atol=[EXACT["atol"], 1e-12, 1e-6])

    def figure(self, name, fig, *, alt, caption):
        """Publish a matplotlib figure as SVG files beside the page, with alt text and a caption.

        Two drawings are written, NAME.svg for Material's light palette and
        NAME.dark.svg for its dark one; Material shows the one that matches
        (#only-light / #only-dark), so a figure is readable in both palettes. Both are
        loading="lazy", with the drawing's size: the browser never fetches the one its palette
        hides (display: none), nor a figure in a closed solution or below the fold until the
        reader gets there.
        """
        from solutions.toolkit.figures import dark_variant, to_svg  # matplotlib: imported only to draw

        if not alt.strip() or not caption.strip():
            raise SolutionError(f"{module_path(self.module)}: figure {name!r} needs alt text and a caption")
        page = PurePosixPath(self.src_uri)
        folder = f"figures/{page.stem}"
        uri = str(page.parent / folder) if str(page.parent) != "." else folder
        alt_text = alt.replace("[", "(").replace("]", ")").replace("\n", " ")
        light = to_svg(fig)
        # A caption block (pymdownx.blocks.caption), not raw <figure> HTML: HTML blocks are
        # not parsed inside an indented collapsed solution, a caption block is.
        # Its size in CSS pixels (matplotlib writes points), so the page keeps the figure's place
        # before it loads: nothing moves when it arrives, and a lazy figure can come into view.
        size = re.search(rb'<svg [^>]*width="([\d.]+)pt" height="([\d.]+)pt"', light)
        width, height = (round(float(points) * 4 / 3) for points in size.groups())
        attributes = f"{{ loading=lazy width={width} height={height} }}"
        markdown = (f"![{alt_text}]({folder}/{name}.svg#only-light){attributes}\n"
                    f"![{alt_text}]({folder}/{name}.dark.svg#only-dark){attributes}\n"
                    f"/// caption\n{caption}\n///")
        files = ((f"{uri}/{name}.svg", light), (f"{uri}/{name}.dark.svg", dark_variant(light)))
        self._add(Item(name, markdown, files=files, alt=alt_text, caption=caption))

    def render(self, markdown, used):
        """Return markdown with every {{ name }} replaced; add each name to the set `used`.

        A value (LaTeX) placed outside math is put inside $...$, so that it renders as math; a
        table or figure (markdown blocks) placed inside math raises SolutionError.
        """
        math = math_spans(markdown)

        def replace(match):
            name = match.group(1)
            if name not in self.items:
                close = difflib.get_close_matches(name, self.items, n=3, cutoff=0.5)
                hint = f"; closest: {', '.join(close)}" if close else f"; it publishes {', '.join(sorted(self.items)) or 'nothing'}"
                raise SolutionError(f"{page_path(self.src_uri)}: unknown name {{{{ {name} }}}} "
                                    f"({module_path(self.module)} publishes no such name{hint})")
            used.add(name)
            item = self.items[name]
            inside = any(start <= match.start() < end for start, end in math)
            is_block = item.entry is None or item.entry["kind"] == "table"
            if inside and is_block:
                raise SolutionError(f"{page_path(self.src_uri)}: {{{{ {name} }}}} is a "
                                    f"{'table' if item.entry else 'figure'} but is placed inside math; "
                                    "put it on a line of its own, outside $...$")
            plain = re.fullmatch(r"\d+(\.\d+)?", item.markdown)  # reads the same in prose as in math
            text = item.markdown if inside or is_block or plain else f"${item.markdown}$"
            return _indented(text, markdown, match)
        return PLACEHOLDER.sub(replace, markdown)


CODE = re.compile(r"^([ \t]*)(```|~~~).*?^\1\2[ \t]*$|`[^`\n]+`", re.S | re.M)  # fenced blocks and code spans


def page_path(src_uri):
    """Return how messages name a page: its path in the repository, docs/<src_uri>."""
    return f"docs/{src_uri}"


MATH = re.compile(r"(?<!\\)\$\$.*?(?<!\\)\$\$|(?<![\\$])\$(?!\$).+?(?<![\\$])\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)


def math_spans(markdown):
    """Return the (start, end) offsets of every math span of markdown: $$...$$, $...$, \\(...\\), \\[...\\]."""
    return [match.span() for match in MATH.finditer(markdown)]


def _indented(text, markdown, match):
    """Return text indented like the line of markdown where match is.

    Multi-line output (tables, figures) keeps the indentation of its placeholder's line, so
    it stays inside an admonition or a collapsed solution block.
    """
    line_start = markdown.rfind("\n", 0, match.start()) + 1
    indent = re.match(r"[ \t]*", markdown[line_start:]).group(0)
    return text.replace("\n", "\n" + indent)


def run_module(module, src_uri):
    """Import solutions.<module>, run its publish(page), and return the filled Page."""
    qualified = f"{PACKAGE}.{module}"
    try:
        mod = importlib.import_module(qualified)
        page = Page(module, src_uri, dict(getattr(mod, "INPUTS", {})))
        if not callable(getattr(mod, "publish", None)):
            raise SolutionError(f"{module_path(module)} (used by {page_path(src_uri)}) defines no publish(page) function")
        mod.publish(page)
        _check_mistakes(page)
    except SolutionError:
        raise
    except Exception as exc:  # any failure of a problem's code stops the build, naming the module
        raise SolutionError(f"{module_path(module)} (used by {page_path(src_uri)}) failed: {type(exc).__name__}: {exc}"
                            f"{_where(exc)}") from exc
    return page


def _check_mistakes(page):
    """Raise SolutionError unless every published mistake names a value of its page, of the same shape."""
    for item in page.items.values():
        if item.entry is None or item.entry["kind"] != "mistake":
            continue
        of = item.entry["of"].removeprefix(f"{page.module}.")
        right = page.items.get(of)
        if right is None or right.entry is None or right.entry["kind"] == "mistake":
            raise SolutionError(f"{module_path(page.module)}: mistake {item.name!r} is of {of!r}, "
                                "which this module does not publish as a value (of= names a value of the same page)")
        if _shape(right.entry["value"]) != _shape(item.entry["value"]):
            raise SolutionError(f"{module_path(page.module)}: mistake {item.name!r} has the shape "
                                f"{_shape(item.entry['value'])} but {of!r} has {_shape(right.entry['value'])}")


def _shape(value):
    return (len(value), *_shape(value[0])) if isinstance(value, list) and value else ()


def module_path(module):
    """Return the source file of a problem module, relative to the repository: solutions/<set>/<problem>.py."""
    return f"{PACKAGE}/{module.replace('.', '/')}.py"


def _run_job(job):
    return run_module(*job)


def run_modules(jobs, workers=None):
    """Return [run_module(module, src_uri) for each (module, src_uri) in jobs], in order.

    Several jobs run in parallel, one process per CPU (workers: at most this many). A process
    with no other thread forks its workers, which so start with the package and its libraries
    imported. A process with threads (``mkdocs serve`` watches files and serves pages from
    threads) never forks, which could copy a lock another thread holds (Python 3.12 and later
    warn of it): its workers come from a fork server, a fresh single-threaded process that
    imports the package once and forks them. Each problem is a pure function of its module's
    stated inputs, so where it runs changes no byte of what it publishes. Raises the
    SolutionError of the first job, in order, that failed.
    """
    import multiprocessing
    import os
    import threading
    from concurrent.futures import ProcessPoolExecutor

    workers = min(workers or os.cpu_count() or 1, len(jobs))
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if threading.active_count() == 1 else "forkserver"
    if workers < 2 or method not in methods:
        return [run_module(*job) for job in jobs]
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([__name__, "numpy", "matplotlib.pyplot"])
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_run_job, jobs))


def _where(exc):
    """Return ' at <file>:<line>: <code>' for the innermost frame of the solutions package, or ''."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" at {_relative(exc.filename)}:{exc.lineno}"
    engine = PACKAGE_DIR / "engine"  # the module's own code, or the toolkit's, is where to look; not the engine
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if PACKAGE_DIR in Path(f.filename).parents and engine not in Path(f.filename).parents]
    if not frames:
        return ""
    frame = frames[-1]
    return f" at {_relative(frame.filename)}:{frame.lineno}: {frame.line}"


def _relative(filename):
    path = Path(filename)
    return path.relative_to(PACKAGE_DIR.parent).as_posix() if PACKAGE_DIR in path.parents else filename


@dataclass
class Catalog:
    """Everything the site publishes, page by page."""

    pages: dict  # src_uri -> Page
    site: dict = field(default_factory=dict)  # name -> markdown, placed on any page as {{ site.<name> }}
    sources: dict = field(default_factory=dict)  # src_uri -> markdown of every page, as read
    order: list = field(default_factory=list)  # src_uris in the order of the site's nav
    withheld: set = field(default_factory=set)  # ids the site must not publish (solutions of unreleased sets)
    errata: list = field(default_factory=list)  # the errata register's entries, oldest first

    @classmethod
    def collect(cls, modules_by_page, results=None):
        """Run every page's problem module; modules_by_page maps src_uri -> module name.

        results: a cache.Results to reuse unchanged problems' pages from (None: run every module).
        """
        owners = {}
        for src_uri, module in sorted(modules_by_page.items()):
            if module in owners:
                raise SolutionError(f"pages {owners[module]} and {src_uri} both name solution module {module}")
            owners[module] = src_uri
        jobs = sorted(modules_by_page.items())
        pages = {src: results.lookup(module, src) for src, module in jobs} if results is not None else {}
        missing = [(module, src) for src, module in jobs if pages.get(src) is None]
        for (module, src), page in zip(missing, run_modules(missing)):
            pages[src] = page if results is None else results.store(module, src, page)
        return cls({src: pages[src] for src, _ in jobs})

    def key(self):
        """Return the answer key: {id: entry} for every published value and table."""
        return {f"{page.module}.{item.name}": item.entry
                for page in self.pages.values() for item in page.items.values() if item.entry is not None}

    def public_key(self):
        """Return the answer key as the site publishes it: without the withheld ids."""
        return {id_: entry for id_, entry in self.key().items() if id_ not in self.withheld}

    def figures(self):
        """Return [(site uri, svg bytes)] for every file of every figure the site publishes."""
        return [file for page in self.pages.values() for item in page.items.values()
                if f"{page.module}.{item.name}" not in self.withheld for file in item.files]

    def render(self, src_uri, markdown, used):
        """Return a page's markdown with its placeholders filled; a page with no module may use only {{ site.* }}."""
        markdown = self._render_site(src_uri, markdown)
        if src_uri in self.pages:
            return self.pages[src_uri].render(markdown, used.setdefault(src_uri, set()))
        # A page with no module (the staff guide) may show placeholders as typed, in code.
        match = PLACEHOLDER.search(CODE.sub(lambda code: " " * len(code.group(0)), markdown))
        if match:
            raise SolutionError(f"{page_path(src_uri)}: uses {match.group(0)} but names no solution module "
                                "in its front matter (add `solution: <set>.<problem>` between --- lines at its top)")
        return markdown

    def _render_site(self, src_uri, markdown):
        def replace(match):
            name = match.group(1).removeprefix("site.")
            if name not in self.site:
                raise SolutionError(f"{page_path(src_uri)}: unknown name {match.group(0)} "
                                    f"(the site publishes {', '.join(sorted(self.site)) or 'nothing'})")
            return _indented(self.site[name], markdown, match)
        return SITE_PLACEHOLDER.sub(replace, markdown)

    def unused(self, used):
        """Return {src_uri: [names]} of what each page's module publishes but the page never places."""
        unused = {src: sorted(name for name in page.items if name not in used.get(src, set()))
                  for src, page in sorted(self.pages.items())}
        return {src: names for src, names in unused.items() if names}

    def check(self, markdown_by_page):
        """Raise SolutionError if a page uses an unknown name, or a published name is shown nowhere."""
        used = {}
        for src_uri, markdown in sorted(markdown_by_page.items()):
            self.render(src_uri, markdown, used)
        unused = self.unused(used)
        if unused:
            raise SolutionError("published but never shown on their page:\n  " + "\n  ".join(
                f"{page_path(src)}: {', '.join(names)} (published by {module_path(self.pages[src].module)}; "
                f"place {' '.join('{{ ' + name + ' }}' for name in names[:3])}{' ...' if len(names) > 3 else ''} "
                "on the page, or stop publishing it)" for src, names in unused.items()))

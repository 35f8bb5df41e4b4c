"""MkDocs hook: each released set's companion notebook, executed (or reused) and rendered by mkdocs-jupyter.

Glue only: ``solutions.engine.notebooks`` builds, executes and caches the notebooks. Here they
are executed from on_config, in the background while the solutions hook computes the pages,
and waited for in on_pre_build (after the solutions hook has checked every module, and before
MkDocs empties the site folder, so a failing notebook leaves the previous site as it was),
added to the set's nav section as "Companion notebook" (a nav entry in mkdocs.yml would warn
for a set that has none, an unreleased one), and given to mkdocs-jupyter as files whose
source is the executed notebook in <project>/.cache/notebooks/, never a file in docs/.
mkdocs-jupyter only renders them (execute: false); its HTML is then made offline: nbconvert's
MathJax 2 and mermaid loaders are removed, and $...$ in markdown cells is marked up as
pymdownx.arithmatex does, for the offline_mathjax hook to typeset at build time.

Two things make the rendered page lighter and valid HTML. nbconvert's stylesheets (over half a
megabyte, the same for every notebook, nearly all of it for JupyterLab's interface) are cut
down to the rules that can match the page (``solutions.engine.css``: 40 KB) and moved out of
the page into a file named by its hash, assets/stylesheets/notebook.<hash>.css, linked from
the head, which a browser caches and notebooks with the same markup share; and each
figure, an inline SVG (whose matplotlib ids would repeat between figures and whose <style>
would apply to the whole page), is published as an .svg file beside the page and shown as a
lazily loaded <img> with the figure's alt text.

Under `mkdocs serve`, a rebuild after an edit does not wait for the notebooks the edit
invalidates: the pages are built at once, the notebook's page says it is being executed
again (its old outputs are not shown), and a background thread executes it; when it is done
it writes a stamp into a folder the server watches, and the rebuild that follows serves it.
A notebook that fails there fails that rebuild, as it would have failed the build.

The search plugin's entries for a notebook page (its sections' titles and text, read from the
page's HTML, most of a megabyte: 0.1-0.3 s a page) are kept in .cache/notebook-search/ under a
hash of everything the plugin reads to make them, and reused while that is unchanged.
"""

import hashlib
import html
import json
import logging
import re
import threading
from pathlib import Path, PurePosixPath

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("mkdocs.hooks.companion_notebooks")

_executed = []  # notebooks.Executed of this build, set in on_pre_build
_started = {}  # notebooks executed in the background from on_config, waited for in on_pre_build
# Under `mkdocs serve` (these survive rebuilds: MkDocs loads a hook once per process).
_watching = False  # on_serve has watched DONE: from then on, rebuilds defer notebook execution
_running = set()  # cache keys of the notebooks being executed in the background
_failed = {}  # cache key -> the NotebookError message of a notebook that failed in the background
DONE = ROOT / ".cache" / "notebooks-done"  # a stamp written here when a background execution ends


class _Kept:
    """Texts kept in a folder under a hash of what each is made from; the ones a build did not
    use are removed after it (evict, in on_post_build)."""

    def __init__(self, folder, suffix):
        self.folder, self.suffix, self.used = folder, suffix, set()

    def get(self, key, make, parse=str):
        """Return parse(the text kept under key), or make and keep it if there is none (or it does not parse)."""
        path = self.folder / f"{key}{self.suffix}"
        self.used.add(path.name)
        try:
            return parse(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        from solutions.engine.files import write_atomically

        text = make()
        write_atomically(path, text)
        return parse(text)

    def evict(self):
        for old in self.folder.glob(f"*{self.suffix}"):
            if old.name not in self.used:
                old.unlink(missing_ok=True)
        self.used.clear()


PRUNED = _Kept(ROOT / ".cache" / "notebook-css", ".css")  # each notebook stylesheet cut down
SEARCH = _Kept(ROOT / ".cache" / "notebook-search", ".json")  # the search plugin's entries of each notebook page

# What nbconvert's lab template puts in every notebook page that would fetch from another host.
# Each is found from a literal first marker (a pattern starting with \s* or .*? would be tried
# at every position of a page of most of a megabyte).
_LOADERS = [
    ("<!-- Load mathjax -->", re.compile(r'<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->', re.S)),
    ('<script type="module">', re.compile(r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded".*?'
                                          r'<!-- End of mermaid configuration -->', re.S)),
]
_MARKDOWN_CELL = re.compile(r'(<div class="[^"]*\bjp-RenderedMarkdown\b[^"]*"[^>]*>)(.*?)(</div>)', re.S)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$([^$<>]+?)\$")
_CODE = re.compile(r"(<code>.*?</code>|<pre>.*?</pre>)", re.S)
_FIGURE_SVG = re.compile(r'(<figure class="notebook-figure">\s*)(<svg\b[^>]*>.*?</svg>)', re.S)
_STYLE = re.compile(r'[ \t]*<style(?: type="text/css")?>(.*?)</style>\n?', re.S)
# SVG names that are not all lowercase: BeautifulSoup (in mkdocs-jupyter) lowercases them,
# which an HTML page forgives in inline SVG but a standalone .svg file does not.
_SVG_CAMEL = {name.lower(): name for name in (
    "viewBox", "clipPath", "clipPathUnits", "preserveAspectRatio", "linearGradient", "radialGradient",
    "gradientUnits", "gradientTransform", "patternUnits", "patternTransform", "textLength",
    "lengthAdjust", "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "stdDeviation")}
_SVG_NAME = re.compile(r"(?<=[<\s/])(" + "|".join(_SVG_CAMEL) + r")(?=[\s=>/])")
STYLESHEETS = "assets/stylesheets"


def on_config(config):
    global _started
    _started = {}
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:
        # Its cache of rendered HTML, under the project root whatever the working folder.
        jupyter.config["cache_dir"] = str(ROOT / ".cache" / "mkdocs-jupyter")
    # A notebook that will be executed starts now, in the background, while the solutions hook computes
    # the pages; on_pre_build waits for it. Under `mkdocs serve` (notebooks deferred) only the kernels'
    # fork server is started.
    try:
        from solutions.engine import notebooks

        companions = notebooks.plan(config.nav, config.docs_dir)
        if _watching:
            notebooks.prepare(companions, ROOT, config.repo_url or "")
        else:
            _started = notebooks.start(companions, ROOT, config.repo_url or "")
    except Exception:  # noqa: BLE001 - only a head start: on_pre_build reports what is wrong, naming the module
        pass
    return config


def on_pre_build(config):
    global _executed, _started
    from solutions.engine import notebooks
    from solutions.engine.publish import SolutionError

    try:
        companions = notebooks.plan(config.nav, config.docs_dir)
        _executed = notebooks.executed(companions, ROOT, config.repo_url or "", defer=_watching, started=_started)
    except SolutionError as exc:
        raise PluginError(str(exc)) from exc
    finally:
        _started = {}
    for item in _executed:
        if item.pending and item.target.name in _failed:
            raise PluginError(_failed[item.target.name])
        log.info("Companion notebook %s: %s", item.companion.uri,
                 "executed" if item.executed else "being executed again, in the background" if item.pending
                 else "reused, nothing it depends on changed")
    if config.nav is not None:
        for item in _executed:
            _add_to_nav(config.nav, item.companion, notebooks.TITLE)
    search = config.plugins.get("material/search")
    index = getattr(search, "search_index", None)
    if index is not None and search.config.enabled:
        index.add_entry_from_context = _entries_kept(index, index.add_entry_from_context)


def _entries_kept(index, add_entry_from_context):
    """Wrap the search index's add_entry_from_context(page): for a notebook page, the entries it
    made from the same inputs before are appended again, read from SEARCH; other pages go through."""
    from importlib.metadata import version

    from material.plugins.search import plugin as material_search

    segmented = material_search.jieba is not None  # Chinese segmentation, when jieba is installed

    def toc(items):
        return [[item.title, item.id, item.level, toc(item.children)] for item in items]

    def add(page):
        if not _is_notebook(page):
            return add_entry_from_context(page)
        meta = {name: page.meta.get(name) for name in ("title", "tags", "search")}
        made_from = json.dumps([version("mkdocs-material"), segmented, page.url, str(page.title), meta, toc(page.toc)],
                               sort_keys=True, default=str)
        key = hashlib.sha256(made_from.encode() + b"\0" + page.content.encode()).hexdigest()[:24]

        def make():
            start = len(index.entries)
            add_entry_from_context(page)
            made = index.entries[start:]
            del index.entries[start:]  # appended again, as read back, below
            return json.dumps(made)

        index.entries.extend(SEARCH.get(key, make, parse=json.loads))

    return add


def _is_notebook(page):
    """Return whether page is one of this build's companion notebook pages."""
    return page.file.src_uri in {item.companion.uri for item in _executed}


def _add_to_nav(nav, companion, title):
    """Append {title: notebook} to the nav section holding the set's first problem (else to the nav's end)."""
    first = companion.problems[0].src_uri

    def holds(entries):
        return any(entry == first or (isinstance(entry, dict) and first in entry.values()) for entry in entries)

    def section(entries):
        for entry in entries:
            if isinstance(entry, dict):
                for value in entry.values():
                    if isinstance(value, list):
                        found = value if holds(value) else section(value)
                        if found is not None:
                            return found
        return None

    entries = section(nav) or nav
    if not any(isinstance(entry, dict) and companion.uri in entry.values() for entry in entries):
        entries.append({title: companion.uri})


@event_priority(100)  # before mkdocs-jupyter's on_files, which takes up every *.ipynb it is given
def on_files(files, config):
    for item in _executed:
        # Its source folder is the cache entry, which holds the executed notebook at the same
        # path as it has on the site; nothing is written to docs/.
        files.append(File(item.companion.uri, src_dir=str(item.src_dir), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
    return files


def on_page_content(content, page, config, files):
    if not _is_notebook(page):
        return content
    for marker, loader in _LOADERS:
        matches = []
        start = content.find(marker)
        while start != -1:
            match = loader.match(content, start)
            if match:
                matches.append(match)
            start = content.find(marker, start + 1)
        if len(matches) != 1:
            raise PluginError(f"{page.file.src_uri}: expected one of nbconvert's script loaders "
                              f"({loader.pattern[:40]}...), found {len(matches)}: has mkdocs-jupyter changed?")
        [match] = matches
        content = content[:match.start()].rstrip() + content[match.end():]
    return _MARKDOWN_CELL.sub(lambda m: m.group(1) + _math(m.group(2)) + m.group(3), content)


def _math(cell):
    """Return a markdown cell's HTML with $$...$$ and $...$ (outside code) marked up for MathJax."""
    def mark(text):
        text = _DISPLAY_MATH.sub(lambda m: f'<div class="arithmatex">\\[{m.group(1)}\\]</div>', text)
        return _INLINE_MATH.sub(lambda m: f'<span class="arithmatex">\\({m.group(1)}\\)</span>', text)
    return "".join(part if _CODE.fullmatch(part) else mark(part) for part in _CODE.split(cell))


def on_post_page(output, page, config):
    """Publish the notebook page's figures as files and its stylesheets as one shared file."""
    if not _is_notebook(page):
        return output
    folder = Path(config.site_dir) / PurePosixPath(page.file.dest_uri).parent
    figures = []

    def figure(match):
        svg = _SVG_NAME.sub(lambda m: _SVG_CAMEL[m.group(1)], match.group(2))
        label = re.search(r'\baria-label="([^"]*)"', svg)
        width, height = (re.search(rf'\b{name}="([\d.]+)pt"', svg.split(">", 1)[0]) for name in ("width", "height"))
        if label is None or width is None or height is None:
            raise PluginError(f"{page.file.src_uri}: a notebook figure's SVG has no aria-label or size in pt")
        figures.append(f"figure-{len(figures) + 1}.svg")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / figures[-1]).write_text('<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + svg + "\n",
                                          encoding="utf-8")
        return (f'{match.group(1)}<img src="{figures[-1]}" alt="{label.group(1)}" loading="lazy" '
                f'width="{round(float(width.group(1)) * 4 / 3)}" height="{round(float(height.group(1)) * 4 / 3)}">')

    output = _FIGURE_SVG.sub(figure, output)
    head, body = output.split("</head>", 1)
    styles = []

    def style(match):
        css = match.group(1).strip()
        if not css.startswith("['"):  # mkdocs-jupyter also writes the highlighting CSS as a Python list: dropped
            styles.append(css)
        return ""

    body = _STYLE.sub(style, body)
    css = _pruned("\n".join(styles), head + body, page.file.src_uri)
    name = f"{STYLESHEETS}/notebook.{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
    target = Path(config.site_dir) / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
    from mkdocs.utils import get_relative_url

    link = f'<link rel="stylesheet" href="{html.escape(get_relative_url(name, page.url))}">'
    return f"{head}  {link}\n  </head>{body}"


def _pruned(css, markup, where):
    """Return css cut down to the rules markup can match; kept in .cache/notebook-css/ under a hash
    of both (cutting half a megabyte down takes half a second; the result is the same each time)."""
    from solutions.engine import css as stylesheets

    classes = stylesheets.classes_of(markup)
    key = hashlib.sha256((css + "\0" + " ".join(sorted(classes))).encode()).hexdigest()[:24]

    def make():
        try:
            return stylesheets.prune(css, classes)
        except ValueError as error:
            raise PluginError(f"{where}: mkdocs-jupyter's stylesheet: {error}") from None

    return PRUNED.get(key, make)


def on_post_build(config):
    from solutions.engine import notebooks

    PRUNED.evict()
    SEARCH.evict()

    removed = notebooks.evict(ROOT, {item.src_dir for item in _executed} | {item.target for item in _executed})
    if removed:
        log.info("Companion notebooks: %d outdated executed notebook(s) removed from the cache", removed)
    pending = [item for item in _executed if item.pending and item.target.name not in _running]
    if pending:
        _running.update(item.target.name for item in pending)
        threading.Thread(target=_complete, args=(notebooks, pending), name="companion-notebooks", daemon=True).start()


def on_serve(server, config, builder):
    global _watching
    DONE.mkdir(parents=True, exist_ok=True)
    server.watch(str(DONE))
    _watching = True
    return server


def _complete(notebooks, pending):
    """Execute pending notebooks, several at once as a build does (in a background thread, under
    `mkdocs serve`), then write a stamp into DONE so that the server rebuilds, serving them (or
    reporting their failure).
    notebooks: the module, imported by the build (a rebuild may replace solutions.* in sys.modules)."""
    from concurrent.futures import ThreadPoolExecutor

    def complete(item):
        try:
            if notebooks.complete(item, ROOT) is None:
                log.info("Companion notebook %s: edited again while it was executed; executing it anew",
                         item.companion.uri)
        except notebooks.NotebookError as exc:
            _failed[item.target.name] = str(exc)
        except Exception as exc:  # a thread's exception would otherwise only be printed
            _failed[item.target.name] = f"companion notebook {item.companion.uri}: {type(exc).__name__}: {exc}"
        finally:
            _running.discard(item.target.name)

    with ThreadPoolExecutor(min(len(pending), notebooks.kernels_at_once()), notebooks.THREADS) as pool:
        list(pool.map(complete, pending))
    (DONE / "stamp").write_text(" ".join(item.target.name for item in pending) + "\n", encoding="utf-8")

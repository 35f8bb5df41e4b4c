"""MkDocs hook: paste the values, tables and figures computed by the solutions package into pages.

Glue only: it asks ``solutions.engine`` for results and pastes them; it holds no math and no
knowledge of any problem. Everything is computed and every page checked in on_pre_build,
before MkDocs empties the site folder, so a failure leaves the previous site as it was.
Figures and answers.json join the build in memory (File.generated), never written into
docs/: writing there would make `mkdocs serve` rebuild forever.

Under `mkdocs serve`, a rebuild after an edit of pages or problem modules serves the edited
pages first: they are recomputed, checked and rendered alone, with the nav, theme and files of
the build before, and browsers reload; the whole site is then built as usual and browsers
reload again. A companion notebook the edit makes outdated is taken off the site meanwhile,
never served as current. Any other edit (mkdocs.yml, overrides/, a page added or removed), or
one the page-first step cannot take, gets the whole build only, which reports what is wrong.
"""

import gc
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath

from mkdocs.commands import build as mkdocs_build
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, InclusionLevel

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("mkdocs.hooks.solutions_glue")

_catalog = None  # what this build publishes, set in on_pre_build
_key = None  # the answer key of this build
_answers = (None, None, None)  # (answerkey module, key, answers.json text) of the last build, reused if unchanged
_building = {}  # what _built will hold once this build is complete
_built = {}  # the last build's config, files, nav and theme env: `mkdocs serve` renders edited pages with them
RELOAD_PAUSE = 0.5  # seconds between serving the pages rebuilt first and starting the whole build
_turns = {}  # under `mkdocs serve`: the server, the site folder "served" and the "other" the next whole build fills


def _forget_solutions():
    """Drop solutions.* from sys.modules if its sources changed, so that `mkdocs serve` recomputes with
    the edited code; with nothing changed, keep it and what it has memoized (parsed imports, versions)."""
    cache = sys.modules.get("solutions.engine.cache")
    if cache is not None and not cache.sources_changed():
        return
    for name in [name for name in sys.modules if name == "solutions" or name.startswith("solutions.")]:
        del sys.modules[name]


def _last_commit_time():
    """Return the time of the last commit (or 0), so that sitemap dates do not change from build to build."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return out or "0"
    except (OSError, subprocess.CalledProcessError):
        return "0"


def on_config(config):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the mkdocs script cannot import solutions otherwise
    if _turns:
        config.site_dir = _turns["other"]
    if "SOURCE_DATE_EPOCH" not in os.environ:  # set by the first build: a rebuild need not ask git again
        os.environ["SOURCE_DATE_EPOCH"] = _last_commit_time()
    return config


def _compute(config, collect=True):
    """Compute (or reuse) every problem and check every page into _catalog; return the cache.Results.

    collect: collect garbage after computing (else the caller does, soon)."""
    global _catalog
    _forget_solutions()
    from solutions.engine import answerkey, cache
    from solutions.engine.publish import SolutionError

    # Problems whose code is unchanged are reused from the cache beside mkdocs.yml (see cache.py).
    results = cache.Results(cache.default_folder(Path(config.config_file_path).parent))
    try:
        _catalog = answerkey.compute(config.docs_dir, results)
    except SolutionError as exc:
        raise PluginError(str(exc)) from exc
    finally:
        _report(results)
    if results.computed and collect:
        gc.collect()  # what computing left (closed figures hold reference cycles) is freed now, not in the next build
    return results


def on_pre_build(config):
    global _key
    _compute(config)
    from solutions.engine import answerkey, errata, sets

    _key = _catalog.key()
    untested = sets.untested(_catalog, Path(config.config_file_path).parent)
    if untested:
        message = "released sets with untested problems:\n  " + "\n  ".join(untested)
        if config.strict:
            raise PluginError(message)
        log.warning(message)
    committed = answerkey.load()
    disagreements = errata.disagreements(_catalog.errata, committed)
    if disagreements:
        raise PluginError("solutions/errata.yml disagrees with the committed answer key solutions/answers.json:\n  "
                          + "\n  ".join(disagreements))
    changes = answerkey.diff(committed, _key)
    if changes:
        listed = "\n  ".join(str(change) for change in changes[:20])
        more = f"\n  ... and {len(changes) - 20} more" if len(changes) > 20 else ""
        protected = answerkey.protected(committed, _key)
        run = "python3 scripts/run.py python -m solutions regenerate"
        step = (f'values of released sets changed ({", ".join(protected[:5])}{", ..." if len(protected) > 5 else ""}): '
                f'if the new values are right, run `{run} --erratum "what was wrong"`' if protected
                else f"review them, then run `{run}`")
        message = (f"{len(changes)} value(s) differ from the committed answer key "
                   f"solutions/answers.json:\n  {listed}{more}\n"
                   f"Next: {step}, and commit the key{' and solutions/errata.yml' if protected else ''}.")
        if config.strict:
            raise PluginError(message)  # before the site folder is touched
        log.warning(message)


def _report(results):
    log.info(f"solutions: {len(results.computed)} problem(s) recomputed, {len(results.reused)} reused "
             f"from {results.folder}")
    log.debug(f"solutions: recomputed {', '.join(results.computed) or 'none'}")
    for module, error in results.unwritable:
        log.warning(f"solutions: could not cache {module} in {results.folder} ({error}); it will be recomputed")


def _blob_url(config):
    """Return where the repository shows files of the published branch: repo_url plus edit_uri without docs/."""
    if not config.repo_url:
        return ""
    return config.repo_url.rstrip("/") + "/" + (config.edit_uri or "").removesuffix("docs/").lstrip("/")


def on_files(files, config):
    global _answers
    from solutions.engine import answercheck, answerkey, sets

    for uri, svg in _catalog.figures():
        files.append(File.generated(config, uri, content=svg))
    public = _catalog.public_key()
    if _answers[0] is not answerkey or _answers[1] != public:
        _answers = (answerkey, public, answerkey.dumps(public))
    files.append(File.generated(config, "answers.json", content=_answers[2]))
    for uri, markdown in sets.handouts(_catalog, _blob_url(config)).items():
        files.append(File.generated(config, uri, content=markdown, inclusion=InclusionLevel.NOT_IN_NAV))
    # How typed answers are checked: linked from every answer box, not in the nav.
    files.append(File.generated(config, answercheck.HELP_URI, content=answercheck.help_page(),
                                inclusion=InclusionLevel.NOT_IN_NAV))
    return files


def on_page_markdown(markdown, page, config, files):
    from solutions.engine import sets

    _superseded()  # here, after each page is rendered and before the theme's: a newer edit stops a build under serve

    return sets.published_markdown(_catalog, page.file.src_uri, markdown, _blob_url(config))


def on_post_page(output, page, config):
    _superseded()
    return output


def on_page_content(html, page, config, files):
    from solutions.engine import answercheck

    return answercheck.unwrapped(html)


def on_nav(nav, config, files):
    _building.update(config=config, files=files, nav=nav)
    return nav


def on_env(env, config, files):
    _superseded()
    _building["env"] = env
    return env


@event_priority(-100)  # after every other plugin's: the build is complete
def on_post_build(config):
    _built.clear()
    _built.update(_building)  # a build that stopped midway leaves the one before
    if _turns.pop("collect", False):
        gc.collect()  # what computing edited pages first left (closed figures hold reference cycles)


@event_priority(-100)  # after the other hooks' on_serve, which watch more paths
def on_serve(server, config, builder):
    """Serve edited pages first (see the module's docstring): wrap the server's rebuild.

    Each whole build goes into the site folder not being served (the two take turns), which is
    served once the build is complete: meanwhile readers get the previous site, with the pages
    rebuilt first, rather than a folder being emptied and refilled. A whole build stops when a
    file changes during it, for the next edit's pages first. A change of Python's bytecode
    caches alone (__pycache__, written when an edited module is imported) rebuilds nothing.
    (This uses what MkDocs 1.6.1, pinned, keeps in its LiveReloadServer: the served root, the
    watched paths, the flag its watcher sets and the epochs browsers reload on.)"""
    _turns.update(server=server, served=server.root, other=tempfile.mkdtemp(prefix="mkdocs_"))
    _turns["mine"] = _turns["other"]
    # What the server watches: what it watched so far, and the config's `watch:`, which it watches next.
    _turns["watched"] = sorted({*server._watched_paths, *(os.path.abspath(path) for path in config.watch)})
    _turns["read"] = _sources()  # {path: (mtime_ns, size)} of the watched files as the last rebuild began

    def pages_first_then_the_site():
        now = _sources()
        read, _turns["read"] = _turns["read"], now
        changed = _changed(now, read)
        if not changed:
            server._wanted_epoch = server._visible_epoch  # nothing new to build or to reload
            return
        first = _pages_first(changed)
        if first:  # browsers waiting on an older epoch reload now, and not wait for the whole build
            with server._epoch_cond:
                server._visible_epoch = server._wanted_epoch
                server._epoch_cond.notify_all()
            # A moment for them to fetch it before the whole build competes for the CPU (unless
            # another edit comes first).
            with server._rebuild_cond:
                server._rebuild_cond.wait_for(lambda: server._want_rebuild, timeout=RELOAD_PAUSE)
        try:
            builder()  # into _turns["other"] (on_config); if it fails, the served folder stays
        except _Superseded as stop:  # a newer edit was saved: its pages first, then a whole build with it
            log.info(f"solutions: whole build stopped, {stop} changed during it; the next one takes the change")
            server._wanted_epoch = server._visible_epoch
            return
        _turns.update(served=_turns["other"], other=_turns["served"])
        server.root = _turns["served"]
        log.info("solutions: whole site built, now served")
        if first:  # and again when the whole site is served
            server._wanted_epoch = max(round(time.monotonic() * 1000), server._visible_epoch + 1)

    def error_page(code):
        path = Path(server.root) / f"{code}.html"
        return path.read_bytes() if code in (404, 500) and path.is_file() else None

    logging.getLogger("mkdocs.commands.build").addFilter(_not_superseded)
    server.builder = pages_first_then_the_site
    server.error_handler = error_page
    return server


def _sources():
    """Return {path: (mtime_ns, size)} of every file the server watches, but Python's bytecode caches."""
    found = {}
    for top in map(Path, _turns["watched"]):
        for path in ([top] if top.is_file() else top.rglob("*")):
            if "__pycache__" not in path.parts and path.is_file():
                stat = path.stat()
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def _changed(now, read):
    """Return the sorted paths whose (mtime_ns, size) differ between two _sources(), added and removed too."""
    return sorted(path for path in now.keys() | read.keys() if now.get(path) != read.get(path))


class _Superseded(Exception):
    """Under `mkdocs serve`, a file changed during a whole build: that build stops, for one with the change."""


def _superseded():
    """Raise _Superseded, naming the files, if a watched file has changed since this whole build began."""
    server = _turns.get("server")
    if server is None or not server._want_rebuild:
        return
    changed = _changed(_sources(), _turns["read"])
    if changed:
        raise _Superseded(", ".join(_shown(path) for path in changed))


def _shown(path):
    """A watched path as the log shows it: relative to the project where it is inside it."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _not_superseded(record):
    """Keep MkDocs' 'Error reading page' and 'Error building page' lines out of the log when the error is
    only _Superseded (the stop is logged once, by the server's rebuild). Only errors: any other line stays."""
    return not (record.levelno >= logging.ERROR and record.exc_info is None
                and isinstance(sys.exc_info()[1], _Superseded))


def on_shutdown():
    if _turns:
        shutil.rmtree(_turns["mine"], ignore_errors=True)  # MkDocs removes the folder it made


def _pages_first(changed):
    """Rebuild only the pages that the changed files (edited pages, problem modules) show; return whether it did.

    Anything it cannot take (another kind of file, a page added or removed, an error) returns False,
    for the whole build, which follows in any case, to do or to report."""
    if not _built.get("env"):
        return False
    config, files, nav, env = _built["config"], _built["files"], _built["nav"], _built["env"]
    docs, solutions = Path(config.docs_dir), ROOT / "solutions"
    edited = set()
    for path in changed:
        if not path.is_file():
            return False  # removed: the nav may change
        if path.is_relative_to(docs) and path.suffix == ".md":
            file = files.get_file_from_path(path.relative_to(docs).as_posix())
            if file is None or file.page is None:
                return False
            edited.add(file.src_uri)
        elif not (path.is_relative_to(solutions) and path.suffix == ".py"):
            return False
    start = time.perf_counter()
    try:
        results = _compute(config, collect=False)  # the whole build that follows collects (on_post_build)
        _turns["collect"] = bool(results.computed)
        edited |= {src for src, page in _catalog.pages.items() if page.module in results.computed}
        from solutions.engine.files import write_atomically

        site = Path(config.site_dir)
        for uri, svg in _catalog.figures():
            target = site / uri
            if not target.is_file() or target.read_bytes() != svg:
                write_atomically(target, svg)  # a reader fetching it meanwhile gets the old one or the new
        if results.computed:
            _withdraw_outdated_notebooks(config, files)
        doc_files = files.documentation_pages()
        for src in sorted(edited):
            page = files.get_file_from_path(src).page
            mkdocs_build._populate_page(page, config, files)
            mkdocs_build._build_page(page, config, doc_files, nav, env)
    except Exception as exc:  # the whole build that follows reports it
        log.debug(f"solutions: edited pages not rebuilt first ({type(exc).__name__}: {exc})")
        return False
    log.info(f"solutions: {', '.join(sorted(edited))} rebuilt first, in {time.perf_counter() - start:.2f} s; "
             "the whole site follows")
    return True


def _withdraw_outdated_notebooks(config, files):
    """Take off the site each companion notebook whose executed copy no longer matches its modules."""
    from solutions.engine import cache, notebooks

    snapshot = cache.snapshot(cache.default_folder(ROOT))
    for companion in notebooks.plan(config.nav, config.docs_dir):
        current = ROOT / notebooks.CACHE / notebooks.key(companion, config.repo_url or "", snapshot) / companion.uri
        file = files.get_file_from_path(companion.uri)
        if file is not None and not current.is_file():
            page = Path(file.abs_dest_path)
            for path in (page, page.parent / PurePosixPath(companion.uri).name):  # its page, and the download
                path.unlink(missing_ok=True)

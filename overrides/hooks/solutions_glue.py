"""MkDocs hook: paste the values, tables and figures computed by the solutions package into pages.

Glue only: it asks ``solutions.engine`` for results and pastes them; it holds no math and no
knowledge of any problem. Everything is computed and every page checked in on_pre_build,
before MkDocs empties the site folder, so a failure leaves the previous site as it was.
Figures and answers.json join the build in memory (File.generated), never written into
docs/: writing there would make `mkdocs serve` rebuild forever.
"""

import gc
import logging
import os
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, InclusionLevel

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("mkdocs.hooks.solutions_glue")

_catalog = None  # what this build publishes, set in on_pre_build
_key = None  # the answer key of this build
_answers = (None, None, None)  # (answerkey module, key, answers.json text) of the last build, reused if unchanged


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
    if "SOURCE_DATE_EPOCH" not in os.environ:  # set by the first build: a rebuild need not ask git again
        os.environ["SOURCE_DATE_EPOCH"] = _last_commit_time()
    return config


def on_pre_build(config):
    global _catalog, _key
    _forget_solutions()
    from solutions.engine import answerkey, cache, errata, sets
    from solutions.engine.publish import SolutionError

    # Problems whose code is unchanged are reused from the cache beside mkdocs.yml (see cache.py).
    results = cache.Results(cache.default_folder(Path(config.config_file_path).parent))
    try:
        _catalog = answerkey.compute(config.docs_dir, results)
    except SolutionError as exc:
        raise PluginError(str(exc)) from exc
    finally:
        _report(results)
    if results.computed:
        gc.collect()  # what computing left (closed figures hold reference cycles) is freed now, not in the next build
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

    return sets.published_markdown(_catalog, page.file.src_uri, markdown, _blob_url(config))


def on_page_content(html, page, config, files):
    from solutions.engine import answercheck

    return answercheck.unwrapped(html)

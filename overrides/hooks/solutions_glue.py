"""MkDocs hook: paste the values, tables and figures computed by the solutions package into pages.

Glue only: it asks ``solutions.core`` for results and pastes them; it holds no math and no
knowledge of any problem. Generated figures and answers.json are added to the build in
memory with File.generated, never written into docs/ (that would make `mkdocs serve`
rebuild forever).
"""

import logging
import os
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("mkdocs.hooks.solutions_glue")

_catalog = None  # what this build publishes, filled in on_files
_used = {}  # page src_uri -> names its markdown placed


def _forget_solutions():
    """Drop solutions.* from sys.modules so that `mkdocs serve` recomputes with the edited code."""
    for name in [name for name in sys.modules if name == "solutions" or name.startswith("solutions.")]:
        del sys.modules[name]


def _build_date():
    """Return the time of the last commit (or a fixed one), so that sitemap dates do not change per build."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return out or "0"
    except (OSError, subprocess.CalledProcessError):
        return "0"


def on_config(config):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the mkdocs script cannot import solutions otherwise
    os.environ.setdefault("SOURCE_DATE_EPOCH", _build_date())
    return config


def on_files(files, config):
    global _catalog, _used
    _forget_solutions()
    from solutions.core import answerkey
    from solutions.core.publish import Catalog, SolutionError

    modules = {}
    for file in files.documentation_pages():
        try:
            module = answerkey.solution_module(file.content_string)
        except Exception as exc:
            raise PluginError(f"page {file.src_uri}: cannot read its front matter: {exc}") from exc
        if module:
            modules[file.src_uri] = module
    try:
        _catalog = Catalog.collect(modules)
    except SolutionError as exc:
        raise PluginError(str(exc)) from exc
    _used = {}

    fresh = _catalog.key()
    changes = answerkey.diff(answerkey.load(), fresh)
    if changes:
        listed = "\n  ".join(str(change) for change in changes[:20])
        more = f"\n  ... and {len(changes) - 20} more" if len(changes) > 20 else ""
        log.warning(f"{len(changes)} published value(s) differ from the committed answer key "
                    f"solutions/answers.json:\n  {listed}{more}\n"
                    "Review them, then run `python -m solutions regenerate` and commit the key.")
    for uri, svg in _catalog.figures():
        files.append(File.generated(config, uri, content=svg))
    files.append(File.generated(config, "answers.json", content=answerkey.dumps(fresh)))
    return files


def on_page_markdown(markdown, page, config, files):
    from solutions.core.publish import SolutionError

    try:
        return _catalog.render(page.file.src_uri, markdown, _used)
    except SolutionError as exc:
        raise PluginError(str(exc)) from exc


def on_env(env, config, files):
    unused = _catalog.unused(_used)
    if unused:
        raise PluginError("published but never shown on their page (add {{ name }} to the page, or stop "
                          "publishing them): " + ", ".join(unused))
    return env

"""Shared test helpers: building the site (or a modified copy of the project) into a temporary folder."""

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Central differences with h = 1e-6 in float64 are accurate to about 1e-9 relative
# (truncation h^2 ~ 1e-12, roundoff eps/h ~ 2e-10); 1e-7 leaves a margin and still fails
# on any wrong formula, whose errors are of order one.
FD_RTOL = 1e-7
PROJECT_PARTS = ["mkdocs.yml", "docs", "solutions", "overrides", "tests"]  # tests: a released set needs its tests


@functools.cache
def published(module):
    """Return {name: answer-key value} for everything a problem module publishes.

    Computed once per module for the whole session (publishing draws figures); callers must
    not mutate it. ``published.__wrapped__(module)`` publishes afresh.
    """
    from solutions.engine.publish import Page

    page = Page(module.__name__.removeprefix("solutions."), "p.md", dict(module.INPUTS))
    module.publish(page)
    return {name: item.entry["value"] for name, item in page.items.items() if item.entry}


def site_prefix():
    """Return the path the site is published under, from site_url (e.g. "/deep-learning/").

    `mkdocs serve` serves the site under it too, as GitHub Pages does for a project site.
    """
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return urlsplit(config["site_url"]).path or "/"


def mkdocs(project, *args, timeout=900):
    """Run `mkdocs ARGS` in `project` with the test's own Python; return the CompletedProcess."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "mkdocs", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=timeout)


def build(project, site_dir):
    """Build `project` strictly into site_dir; return the CompletedProcess."""
    return mkdocs(project, "build", "--strict", "--site-dir", str(site_dir))


def copy_project(destination, cache=True):
    """Copy what a build reads (config, pages, package, hooks) to destination; return it.

    cache: also copy what the working tree's .cache/ holds (results, executed notebooks, typeset
    math), so that the copy's first build reuses what its edits leave unchanged instead of
    recomputing the whole site. Every entry there is stored under a hash of everything it is made
    from, so an entry the copy reuses is one it would have made the same: a copy behaves as a
    warm clone, and tests of a cold build ask for cache=False.
    """
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=ignore)
        else:
            shutil.copy2(source, destination / part)
    if cache:
        _copy_cache(ROOT / ".cache", destination / ".cache")
    return destination


def _copy_cache(source, destination):
    """Copy a .cache/ folder that other builds of the suite may be writing meanwhile.

    Skipped: temporary files (ours are written under a dot name or as .partial, then renamed),
    files removed as outdated while they are copied, and JSON that does not parse
    (mkdocs-jupyter writes its entries in place, so one may be caught half-written).
    """
    for path in sorted(source.rglob("*")) if source.is_dir() else []:
        if path.name.startswith(".") or path.suffix == ".partial" or not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        if path.suffix == ".json":
            try:
                json.loads(data)
            except ValueError:
                continue
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


LAB = ROOT / "tests" / "lab"  # the tests' own set (tests/lab/README.md), installed only into copies
LAB_SET, LAB_FOLDER, LAB_TITLE = "labset", "lab-set", "Lab set: batchnorm of four numbers"
collect_ignore = ["lab"]  # its test file runs inside a lab project, where solutions.labset exists


def lab_project(destination, cache=True):
    """Copy the project to destination with the lab set installed, released, with a register of its own
    (empty): what the engine's tests break, correct or withhold, whatever the real sets hold. Return it.
    cache: as for copy_project."""
    from solutions.engine import answerkey, errata, scaffold

    project = copy_project(destination, cache)
    shutil.copytree(LAB / LAB_SET, project / "solutions" / LAB_SET)
    shutil.copytree(LAB / "docs", project / "docs" / LAB_FOLDER)
    shutil.copy2(LAB / f"test_{LAB_SET}.py", project / "tests" / f"test_{LAB_SET}.py")
    config = project / "mkdocs.yml"
    config.write_text(scaffold.nav_with_set(config.read_text(encoding="utf-8"), LAB_TITLE, LAB_FOLDER,
                                            [("1. Batchnorm of four numbers", f"{LAB_FOLDER}/batchnorm.md")]),
                      encoding="utf-8")
    key_path = project / "solutions" / "answers.json"
    key = answerkey.load(key_path)
    module = f"{LAB_SET}.batchnorm"
    key.update(scaffold.key_entries(module, (LAB / LAB_SET / "batchnorm.py").read_text(encoding="utf-8"),
                                 f"{LAB_FOLDER}/batchnorm.md"))
    key_path.write_text(answerkey.dumps(key), encoding="utf-8")
    (project / "solutions" / "errata.yml").write_text(errata.dumps([]), encoding="utf-8")
    return project


def edit(path, old, new):
    """Replace the first occurrence of old in a file by new (old must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def fake_sets(monkeypatch):
    """Return a function that makes `solutions.<name>` an importable set package with the given metadata
    (RELEASED as given), for tests of the engine that must not depend on the real sets."""
    import types

    def make(name, released=True, **attributes):
        package = types.ModuleType(f"solutions.{name}")
        package.__dict__.update({"TITLE": f"Set {name}", "COURSE": f"Course of {name}", "SOURCE": f"Source of {name}",
                                 "RELEASED": released, **attributes})
        monkeypatch.setitem(sys.modules, f"solutions.{name}", package)
        return package
    return make


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site built from the working tree, once per test session."""
    site = tmp_path_factory.mktemp("site") / "site"
    result = build(ROOT, site)
    assert result.returncode == 0, result.stderr
    return site


@pytest.fixture(scope="session")
def base_url(built_site):
    """The built site's address on 127.0.0.1, under the site's sub-path (served by tests.test_browser's handler)."""
    import http.server
    import threading

    from tests.test_browser import SubPathHandler

    handler = type("Handler", (SubPathHandler,), {"prefix": site_prefix()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(handler, directory=str(built_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{site_prefix()}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session, shared by every browser test file (Playwright allows one per process)."""
    from tests.test_browser import CHROMIUM, CHROMIUM_FLAGS, playwright_api

    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def pytest_collection_modifyitems(items):
    """Put the tests marked long first (a stable sort): pytest-xdist hands out test files in this
    order, so each long one starts on a worker at once and the short ones fill the others."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)

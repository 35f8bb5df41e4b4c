"""Shared test helpers: building the site (or a modified copy of the project) into a temporary folder."""

import functools
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


def mkdocs(project, *args, timeout=300):
    """Run `mkdocs ARGS` in `project` with the test's own Python; return the CompletedProcess."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "mkdocs", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=timeout)


def build(project, site_dir):
    """Build `project` strictly into site_dir; return the CompletedProcess."""
    return mkdocs(project, "build", "--strict", "--site-dir", str(site_dir))


def copy_project(destination):
    """Copy what a build reads (config, pages, package, hooks) to destination; return it."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=ignore)
        else:
            shutil.copy2(source, destination / part)
    return destination


def edit(path, old, new):
    """Replace the first occurrence of old in a file by new (old must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site built from the working tree, once per test session."""
    site = tmp_path_factory.mktemp("site") / "site"
    result = build(ROOT, site)
    assert result.returncode == 0, result.stderr
    return site

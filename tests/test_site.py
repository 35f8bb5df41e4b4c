"""The built site: every value on its page, offline, deterministic, and loud failures on bad input."""

import filecmp
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from solutions.engine import answerkey
from solutions.engine.publish import page_url
from tests.conftest import ROOT, build, copy_project, edit, site_prefix

INLINE_MATH = re.compile(r"\$([^$]+)\$")


def page_text(site, url):
    html = (site / url / "index.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser").select_one("article").get_text()


def test_every_value_appears_as_formatted_on_its_page(built_site):
    catalog = answerkey.compute()
    checked = 0
    for src, page in catalog.pages.items():
        source = (ROOT / "docs" / src).read_text(encoding="utf-8")
        text = page_text(built_site, page_url(src))
        for name, item in page.items.items():
            assert re.search(r"\{\{\s*" + name + r"\s*\}\}", source), f"{src} never places {name}"
            if item.entry is None:
                continue
            pieces = INLINE_MATH.findall(item.markdown) if item.entry["kind"] == "table" else [item.markdown]
            for piece in pieces:
                assert piece in text, f"{page.module}.{name}: {piece!r} not on {src}"
                checked += 1
    assert checked > 100


def test_published_answer_key_equals_committed_key(built_site):
    published = json.loads((built_site / "answers.json").read_text())["values"]
    assert not answerkey.diff(answerkey.load(), published)


def test_every_figure_is_published_as_svg_with_alt_text(built_site):
    shown = set()
    for html in built_site.rglob("*.html"):
        for img in BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser").select("article img"):
            target = (html.parent / img["src"].partition("#")[0]).resolve()
            assert target.is_file() and target.read_bytes().startswith(b"<?xml"), f"{html}: {img['src']}"
            assert len(img.get("alt", "")) > 40, f"{html}: {img['src']} has no descriptive alt text"
            shown.add(target.relative_to(built_site.resolve()).as_posix())
    # Every drawing (light and dark) of every figure is shown, on its page and in its set's handout.
    assert shown == {uri for uri, _ in answerkey.compute().figures()}


def test_no_page_refers_to_another_host(built_site):
    external = re.compile(r"^(https?:)?//", re.I)
    for html in built_site.rglob("*.html"):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        for tag, attribute in [("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
                               ("source", "src"), ("video", "src"), ("audio", "src")]:
            for element in soup.find_all(tag):
                if tag == "link" and element.get("rel") == ["canonical"]:
                    continue  # names the published address of the page; browsers do not fetch it
                value = element.get(attribute, "")
                assert not external.match(value), f"{html.relative_to(built_site)}: <{tag} {attribute}={value}>"
    for css in built_site.rglob("*.css"):
        assert not re.search(r"(url\(|@import)\s*['\"]?(https?:)?//", css.read_text(encoding="utf-8")), css


def test_math_is_typeset_at_build_time_with_fonts_served_by_the_site(built_site):
    assert any((built_site / "assets/mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))
    assert not (built_site / "assets/mathjax/tex-chtml.js").exists()  # no MathJax runs in the browser
    css = (built_site / "assets/mathjax/chtml.css").read_text(encoding="utf-8")
    assert "@font-face" in css and "mjx-container" in css
    html = (built_site / "midterm-review/batchnorm/index.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="../../assets/mathjax/chtml.css">' in html
    assert "<mjx-container" in html and "<mjx-assistive-mml" in html and "<script src=\"../../assets/mathjax" not in html
    assert "\\(" not in html.split("<article")[1]  # no TeX left for a script to typeset
    landing = (built_site / "index.html").read_text(encoding="utf-8")
    assert ("chtml.css" in landing) == ("<mjx-container" in landing)  # only pages with math link it


def test_two_builds_are_byte_identical(built_site, tmp_path):
    second = tmp_path / "second"
    assert build(ROOT, second).returncode == 0
    comparison = filecmp.dircmp(built_site, second)
    def differing(c):
        return c.diff_files + c.left_only + c.right_only + [f for sub in c.subdirs.values() for f in differing(sub)]
    assert not differing(comparison)
    for path in built_site.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (second / path.relative_to(built_site)).read_bytes(), path


def test_docs_hold_no_hand_typed_decimal_numbers():
    # Every computed number reaches a page through {{ name }}; a decimal typed into docs/ is a stale copy.
    for path in (ROOT / "docs").rglob("*.md"):
        text = re.sub(r"\{\{.*?\}\}", "", path.read_text(encoding="utf-8"))
        typed = re.search(r".{0,20}\d\.\d.{0,10}", text)
        assert not typed, f"{path.relative_to(ROOT)}: {typed.group(0)!r}"


# ------------------------------------------------------------ bad input stops the build


@pytest.fixture
def project(tmp_path):
    """A copy of the project that a test may break."""
    return copy_project(tmp_path / "project")


def assert_build_fails(project, *messages, untouched=True):
    """Build into a folder holding an old site: the build must fail, say why, and leave it untouched."""
    site = project / "site"
    site.mkdir()
    (site / "old.html").write_text("old site")
    result = build(project, site)
    assert result.returncode != 0
    for message in messages:
        assert message in result.stderr, result.stderr
    if untouched:
        assert [p.name for p in site.iterdir()] == ["old.html"], "a failed build touched the old site"


def test_a_raising_solution_module_fails_the_build_naming_it(project):
    edit(project / "solutions/midterm_review/batchnorm.py", "    mean = x.mean()", "    raise RuntimeError('boom')")
    assert_build_fails(project, "solutions.midterm_review.batchnorm (used by page midterm-review/batchnorm.md) failed",
                       "RuntimeError: boom at solutions/midterm_review/batchnorm.py:",
                       ": raise RuntimeError('boom')")


def test_a_syntax_error_in_a_module_fails_the_build_naming_it(project):
    edit(project / "solutions/midterm_review/ridge.py", "def gain(", "def gain((")
    assert_build_fails(project, "solutions.midterm_review.ridge (used by page midterm-review/ridge.md) failed: SyntaxError",
                       "at solutions/midterm_review/ridge.py:")


def test_an_unknown_name_fails_the_build_naming_page_and_name(project):
    edit(project / "docs/midterm-review/batchnorm.md", "{{ mean }}", "{{ meen }}")
    assert_build_fails(project, "page midterm-review/batchnorm.md: unknown name {{ meen }}")


def test_a_duplicate_name_fails_the_build_naming_it(project):
    edit(project / "solutions/midterm_review/batchnorm.py", '    page.value("std"', '    page.value("var", 0.0)\n    page.value("std"')
    assert_build_fails(project, "midterm_review.batchnorm: the name 'var' is published twice")


def test_a_value_never_shown_fails_the_build_naming_it(project):
    edit(project / "docs/midterm-review/batchnorm.md", "standard deviation $s = {{ std }}$", "standard deviation")
    assert_build_fails(project, "published but never shown", "midterm_review.batchnorm.std")


def test_a_value_differing_from_the_committed_key_fails_the_strict_build(project):
    edit(project / "solutions/midterm_review/batchnorm.py", '"batch": [1, 7, 7, 9]', '"batch": [1, 7, 7, 8]')
    assert_build_fails(project, "differ from the committed answer key", "midterm_review.batchnorm.mean: 6.0 -> 5.75")


def test_a_page_missing_from_the_nav_fails_the_strict_build(project):
    # MkDocs' own strict warnings abort only after the pages are written, so the old site is not kept.
    (project / "docs/midterm-review/orphan.md").write_text("# Orphan\n")
    assert_build_fails(project, "orphan.md", untouched=False)


# ------------------------------------------------------------ mkdocs serve


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_serve_shows_an_edited_module_after_exactly_one_rebuild(project, tmp_path):
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                              cwd=project, stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    url = f"http://127.0.0.1:{port}{site_prefix()}midterm-review/batchnorm/"

    def page():
        try:
            return urllib.request.urlopen(url, timeout=5).read().decode()
        except OSError:
            return ""

    def builds():
        return Path(log.name).read_text().count("Documentation built in")

    try:
        assert r"\(\mu = 6\)" in wait_for(page)
        edit(project / "solutions/midterm_review/batchnorm.py", '"batch": [1, 7, 7, 9]', '"batch": [1, 7, 7, 13]')
        assert r"\(\mu = 7\)" in wait_for(lambda: r"\(\mu = 7\)" in page() and page())
        time.sleep(4)  # a rebuild loop would show up as further builds here
        assert builds() == 2, Path(log.name).read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

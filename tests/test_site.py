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
import yaml
from bs4 import BeautifulSoup

from solutions.engine import answerkey
from solutions.engine.publish import page_url
from tests.conftest import LAB_FOLDER, LAB_SET, ROOT, build, edit, lab_project, site_prefix

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
            if item.entry is None or f"{page.module}.{name}" in catalog.withheld:
                continue  # a figure, or a solution of a set not yet released
            pieces = INLINE_MATH.findall(item.markdown) if item.entry["kind"] == "table" else [item.markdown]
            for piece in pieces:
                assert piece in text, f"{page.module}.{name}: {piece!r} not on {src}"
                checked += 1
    assert checked


def test_published_answer_key_equals_committed_key(built_site):
    published = json.loads((built_site / "answers.json").read_text())["values"]
    public = answerkey.compute().public_key()  # without the solutions of sets not yet released
    assert not answerkey.diff({id_: entry for id_, entry in answerkey.load().items() if id_ in public}, published)


def test_every_figure_is_published_as_svg_with_alt_text(built_site):
    shown = set()
    for html in built_site.rglob("*.html"):
        for img in BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser").select("article img"):
            if img.find_parent("figure", class_="notebook-figure"):
                continue  # a companion notebook's own output (tests/test_notebooks.py)
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
    # Each font shows when it loads; until then the characters are drawn in a local font, not hidden.
    faces = re.findall(r"@font-face[^{]*\{([^}]*)\}", css)
    assert faces and all("font-display: swap" in face for face in faces), [f for f in faces if "swap" not in f][:1]
    url = next(entry["url"] for entry in answerkey.load().values() if entry["url"].count("/") == 2)  # a problem page
    html = (built_site / url / "index.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="../../assets/mathjax/chtml.css">' in html
    assert "<mjx-container" in html and "<mjx-assistive-mml" in html and "<script src=\"../../assets/mathjax" not in html
    assert "\\(" not in html.split("<article")[1]  # no TeX left for a script to typeset
    landing = (built_site / "index.html").read_text(encoding="utf-8")
    assert ("chtml.css" in landing) == ("<mjx-container" in landing)  # only pages with math link it


def test_the_math_fonts_are_cut_down_keeping_the_original_outlines(built_site):
    """offline_mathjax.py cuts each MathJax font down to the characters the site's math shows (the
    browser tests check that every character shown is drawn in one of them). Here, with fontTools
    reading the files: each published font maps only characters that the font MathJax ships maps,
    each with its original shape and advance width; every character a rule of the stylesheet draws
    that some shipped font holds is still in some published font (which one the browser uses, the
    browser test asks); together they are smaller than the originals."""
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    import mathjax

    shipped_folder = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"  # what the pinned package ships
    published_folder = built_site / "assets" / "mathjax"
    css = (published_folder / "chtml.css").read_text(encoding="utf-8")
    drawn = set()
    for text in re.findall(r'content:\s*"((?:[^"\\]|\\.)*)"', css):  # CSS strings, with \HEX escapes
        drawn.update(ord(c) for c in re.sub(r"\\([0-9A-Fa-f]{1,6})\s?", lambda m: chr(int(m.group(1), 16)), text))
    urls = re.findall(r'@font-face[^{]*\{[^}]*src:\s*url\("([^"]+)"\)', css)
    assert urls and drawn
    held, still_held = set(), set()
    for url in urls:
        shipped, published = TTFont(shipped_folder / url), TTFont(published_folder / url)
        kept, original = published.getBestCmap() or {}, shipped.getBestCmap()  # none kept: no cmap
        assert set(kept) <= set(original), url
        held |= drawn & set(original)
        still_held |= set(kept)
        for code, name in kept.items():
            pens = RecordingPen(), RecordingPen()
            published.getGlyphSet()[name].draw(pens[0])
            shipped.getGlyphSet()[original[code]].draw(pens[1])
            assert pens[0].value == pens[1].value, f"{url}: the outline of {code:#x} differs"
            assert published["hmtx"][name] == shipped["hmtx"][original[code]], f"{url}: the width of {code:#x}"
    assert held <= still_held, sorted(map(hex, held - still_held))
    assert sum((published_folder / url).stat().st_size for url in urls) < sum(
        (shipped_folder / url).stat().st_size for url in urls)


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
    """A copy of the project, with the lab set (tests/lab), that a test may break."""
    return lab_project(tmp_path / "project")


MODULE, PAGE = f"solutions/{LAB_SET}/batchnorm.py", f"docs/{LAB_FOLDER}/batchnorm.md"


def assert_build_fails(project, *messages, untouched=True):
    """Build into a folder holding an old site: the build must fail, say why, and leave it untouched."""
    site = project / "site"
    site.mkdir()
    (site / "old.html").write_text("old site")
    result = build(project, site)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr  # a message, not a crash
    for message in messages:
        assert message in result.stderr, result.stderr
    if untouched:
        assert [p.name for p in site.iterdir()] == ["old.html"], "a failed build touched the old site"


def test_a_raising_solution_module_fails_the_build_naming_it(project):
    edit(project / MODULE, "    mean = x.mean()", "    raise RuntimeError('boom')")
    assert_build_fails(project, f"{MODULE} (used by {PAGE}) failed", f"RuntimeError: boom at {MODULE}:",
                       ": raise RuntimeError('boom')")


def test_a_syntax_error_in_a_module_fails_the_build_naming_it(project):
    edit(project / MODULE, "def publish(", "def publish((")
    assert_build_fails(project, f"{MODULE} (used by {PAGE}) failed: SyntaxError", f"at {MODULE}:")


def test_a_page_naming_a_missing_module_fails_in_one_line_naming_both(project):
    edit(project / PAGE, "solution: labset.batchnorm", "solution: labset.batchnrom")
    assert_build_fails(project, f"{PAGE}: front matter names `solution: labset.batchnrom`, but "
                       "solutions/labset/batchnrom.py does not exist (did you mean labset.batchnorm?)")


def test_an_unknown_name_fails_the_build_naming_page_name_and_the_closest(project):
    edit(project / PAGE, "{{ mean }}", "{{ meen }}")
    assert_build_fails(project, f"{PAGE}: unknown name {{{{ meen }}}} ({MODULE} publishes no such name; closest: mean")


def test_a_duplicate_name_fails_the_build_naming_it(project):
    edit(project / MODULE, '    page.value("std"', '    page.value("var", 0.0)\n    page.value("std"')
    assert_build_fails(project, f"{MODULE}: the name 'var' is published twice")


def test_a_value_never_shown_fails_the_build_naming_page_and_module(project):
    edit(project / PAGE, "standard deviation $s = {{ std }}$", "standard deviation")
    assert_build_fails(project, "published but never shown", f"{PAGE}: std (published by {MODULE}; place {{{{ std }}}}")


def test_a_value_placed_outside_math_is_typeset_as_math(project):
    edit(project / PAGE, "$x = {{ batch }}$", "x = {{ batch }}")
    site = project / "site"
    assert build(project, site).returncode == 0
    html = (site / LAB_FOLDER / "batchnorm/index.html").read_text(encoding="utf-8")
    # Typeset at build time; the formula's MathML keeps its TeX as the annotation.
    typeset = re.search(r'x = <span class="arithmatex"><mjx-container .*?<annotation encoding="application/x-tex">'
                        r"(.*?)</annotation>", html, re.S)
    assert typeset and typeset.group(1) == r"\begin{bmatrix} 2 &amp; 3 &amp; 5 &amp; 11 \end{bmatrix}"


def test_a_figure_placed_inside_math_fails_naming_page_and_name(project):
    edit(project / PAGE, "    {{ outputs }}", "    $a = {{ outputs }}$")
    assert_build_fails(project, f"{PAGE}: {{{{ outputs }}}} is a figure but is placed inside math")


def test_a_decimal_typed_in_docs_fails_the_build_listing_every_hit(project):
    edit(project / PAGE, "Run batch normalization", "Run (mean 5.25) batch normalization")
    (project / "docs/index.md").write_text((project / "docs/index.md").read_text() + "\nAbout 0.5 of it.\n")
    assert_build_fails(project, "decimal numbers typed by hand in docs/", f"{PAGE}:9:", "docs/index.md:")


def test_a_gradient_check_that_fails_names_page_and_both_values(project):
    edit(project / MODULE, "def publish(page):", """def publish(page):
    from solutions.toolkit.gradcheck import check_gradients
    page.gradient_table("grads", check_gradients(lambda p: float(p["w"]) ** 2, {"w": 3.0}, {"w": 5.0}))""")
    edit(project / PAGE, "    {{ outputs }}", "    {{ outputs }}\n\n    {{ grads }}")
    # d(w^2)/dw at 3 is 6 by hand: the published 5 is wrong, and the central difference says 6.
    assert_build_fails(project, f"{PAGE} ({MODULE}), grads: \\partial L / \\partial w: analytic 5.0, central difference 6.0")


def test_a_value_differing_from_the_committed_key_fails_the_strict_build(project):
    edit(project / MODULE, '"batch": [2, 3, 5, 11]', '"batch": [2, 3, 5, 12]')
    # mean (2 + 3 + 5 + 12) / 4 = 5.5, was 21 / 4 = 5.25: the lab set is released, so an erratum is the next step
    assert_build_fails(project, "differ from the committed answer key", "labset.batchnorm.mean: 5.25 -> 5.5",
                       'python3 scripts/run.py python -m solutions regenerate --erratum "what was wrong"')


def test_a_page_missing_from_the_nav_fails_the_strict_build(project):
    # MkDocs' own strict warnings abort only after the pages are written, so the old site is not kept.
    (project / f"docs/{LAB_FOLDER}/orphan.md").write_text("# Orphan\n")
    assert_build_fails(project, "orphan.md", untouched=False)


# ------------------------------------------------------------ mkdocs serve


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, server=None, log=None):
    """Poll predicate until it returns something true, and return that; fail after timeout seconds,
    or as soon as the server (a Popen) has exited, with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        if server is not None and server.poll() is not None:
            raise AssertionError(f"mkdocs serve exited with {server.returncode}:\n{Path(log.name).read_text()}")
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout} s" + (f":\n{Path(log.name).read_text()}" if log else ""))


# The first page comes after a cold build (every notebook executed, every formula typeset): about 40 s on an
# idle machine of 2 CPUs, minutes when the suite's other workers (and the any-content proof's) share them.
# These are limits on a hang, not speed targets: scripts/bench.py measures edit-to-page time.
FIRST_BUILD_LIMIT, REBUILD_LIMIT = 900, 300


def tex(formula):
    """Return how a typeset inline formula keeps its TeX source in the page (its MathML's annotation)."""
    return f'<annotation encoding="application/x-tex">{formula}</annotation>'


def test_serve_shows_an_edited_module_at_once_and_its_notebook_when_executed_never_an_outdated_one(project, tmp_path):
    """Under `mkdocs serve` an edited module's page is rebuilt and served first, before the whole site and
    without waiting for the set's notebook, which is never served outdated: it is off the site, then says
    it is being executed, then (a second whole build, when it is done) is served with the new outputs.
    An edit saved during a whole build stops it, and its page is served first in turn; the whole site
    follows. Nothing else is built: Python's bytecode caches, written as the module is imported, rebuild
    nothing."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                              cwd=project, stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    url = f"http://127.0.0.1:{port}{site_prefix()}{LAB_FOLDER}/batchnorm/"
    notebook_url = f"http://127.0.0.1:{port}{site_prefix()}{LAB_FOLDER}/notebook/"
    handout_url = f"http://127.0.0.1:{port}{site_prefix()}{LAB_FOLDER}/print/"

    def get(address):
        try:
            return urllib.request.urlopen(address, timeout=5).read().decode()
        except OSError:  # including 404: the outdated notebook taken off the site
            return ""

    def logged():
        return Path(log.name).read_text()

    def builds():
        return logged().count("Documentation built in")

    def timeline():  # what a failure shows: the server's steps, not every line of every build
        steps = ("Building documentation", "Documentation built in", "rebuilt first", "whole build stopped",
                 "whole site built", "Detected file changes", "Reloading browsers", "ERROR", "Traceback")
        return "\n".join(line for line in logged().splitlines() if any(step in line for step in steps))

    # What the notebook prints for the batch's mean (explore.Results.lines): 21 / 4 before, 24 / 4 after.
    old_mean, new_mean = f"{LAB_SET}.batchnorm.mean = 5.25", f"{LAB_SET}.batchnorm.mean = 6.0"
    seen = []

    def notebook_caught_up():
        text = get(notebook_url)
        seen.append(text)
        return new_mean in text

    first = f"solutions: {LAB_FOLDER}/batchnorm.md rebuilt first"
    try:
        assert tex(r"\mu = 5.2500") in wait_for(lambda: get(url), FIRST_BUILD_LIMIT, server, log)
        assert old_mean in get(notebook_url)
        edit(project / MODULE, '"batch": [2, 3, 5, 11]', '"batch": [2, 3, 5, 14]')  # mean 24 / 4 = 6
        assert tex(r"\mu = 6") in wait_for(lambda: tex(r"\mu = 6") in get(url) and get(url), REBUILD_LIMIT,
                                            server, log)
        # Served from the page rebuilt first: before the whole build after the edit ended, if it has.
        text = logged()
        second_build = text.find("Documentation built in", text.find("Documentation built in") + 1)
        assert first in text and (second_build == -1 or text.index(first) < second_build), text
        wait_for(notebook_caught_up, REBUILD_LIMIT, server, log)
        served = [text for text in seen if text]
        assert any("Being executed again." in text for text in served), "the notebook was never shown as pending"
        assert not any(old_mean in text for text in served), "the outdated notebook was served after the edit"
        time.sleep(4)  # a rebuild loop would show up as further builds here
        assert builds() == 3, timeline()  # the first, the one after the edit, the one serving the notebook
        assert logged().count("whole site built, now served") == 2, timeline()  # the two after the first

        # Two prose edits, the second saved while the whole build after the first is under way.
        edit(project / PAGE, "Run batch normalization", "Run batch normalization (first edit)")
        wait_for(lambda: "(first edit)" in get(url), REBUILD_LIMIT, server, log)
        edit(project / PAGE, "(first edit)", "(second edit)")
        wait_for(lambda: "(second edit)" in get(url), REBUILD_LIMIT, server, log)
        wait_for(lambda: "(second edit)" in get(handout_url), REBUILD_LIMIT, server, log)  # the whole site

        def idle():  # no build under way: the last one began has ended (or stopped), and browsers were told
            text = logged()
            return text.count(first) == 3 and text.rfind("Reloading browsers") > text.rfind("Building documentation")

        wait_for(idle, REBUILD_LIMIT, server, log)
        time.sleep(2)
        assert idle(), timeline()
        assert logged().count("Building documentation") == 5, timeline()
        # The whole build after the first prose edit stopped for the second, and says which file stopped it.
        assert logged().count(f"whole build stopped, {PAGE} changed during it") == 1, timeline()
        assert builds() == 4 and logged().count("whole site built, now served") == 3, timeline()
        assert "ERROR" not in logged() and "Traceback" not in logged(), logged()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_no_heading_holds_math_which_the_table_of_contents_would_show_raw(built_site):
    for html in built_site.rglob("*.html"):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        for link in soup.select("nav.md-nav--secondary a"):
            assert "\\(" not in link.get_text() and "$" not in link.get_text(), f"{html.relative_to(built_site)}: {link.get_text()!r}"


# The stylesheets a page links that are not the site's own: the theme's, MathJax's and the notebooks'.
THEIRS = re.compile(r"assets/stylesheets/(main|palette|notebook)\.[0-9a-f]+(\.min)?\.css$|assets/mathjax/chtml\.css$")


def test_each_page_waits_for_one_stylesheet_of_the_sites_own_which_joins_them_in_order(built_site):
    listed = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["extra_css"]
    joined = (built_site / "assets" / "stylesheets" / "site.css").read_text(encoding="utf-8")
    # mkdocstrings' stylesheet comes first (lowest in the cascade), then mkdocs.yml's, in its order, each whole.
    starts = [joined.index((built_site / "assets" / "_mkdocstrings.css").read_text(encoding="utf-8").strip())]
    starts += [joined.index((ROOT / "docs" / path).read_text(encoding="utf-8").strip()) for path in listed]
    assert starts == sorted(starts)
    for html in [*built_site.rglob("index.html"), built_site / "404.html"]:
        head = html.read_text(encoding="utf-8").split("</head>")[0]
        links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', head)
        own = [href.rsplit("/", 1)[-1] for href in links if not THEIRS.search(href)]
        assert own == ["site.css"], (html, links)


def test_the_themes_script_is_deferred_and_the_sites_scripts_wait_for_it(built_site):
    for html in [*built_site.rglob("index.html"), built_site / "404.html"]:
        text = html.read_text(encoding="utf-8")
        bundle = re.findall(r'<script src="[^"]*assets/javascripts/bundle\.[0-9a-f]+\.min\.js"([^>]*)>', text)
        assert bundle == [" defer"], html
        # Inline scripts after it that use the theme's document$ run on DOMContentLoaded, after every deferred script.
        after = text.split("bundle.", 1)[1]
        for script in re.findall(r"<script>(.*?)</script>", after, re.S):
            if "document$" in script:
                assert script.strip().startswith('document.addEventListener("DOMContentLoaded"'), (html, script[:80])


def test_a_stylesheet_that_would_change_meaning_when_joined_fails_the_build_naming_its_line(project):
    edit(project / "docs" / "stylesheets" / "solutions.css", "/* Wide equations",
         '.md-typeset { background: url("paper.png"); }\n/* Wide equations')
    assert_build_fails(project, 'docs/stylesheets/solutions.css:1: `url("paper.png")`', "use a data: URL")

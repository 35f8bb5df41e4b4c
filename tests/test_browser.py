"""The reader's experience in a real browser: every page of the built site, served under its
sub-path on 127.0.0.1, opened in Debian's Chromium through Playwright.

Every page is visited once (in the light and in the dark palette) and what the browser saw
is recorded; each test then asserts one property over all pages, naming the page at fault.
Screenshots of one page per set, in both palettes and at phone width, are written to
build-output/screenshots/ for a person to look at.
"""

import http.server
import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pypdf
import pytest

from solutions.engine import answerkey, sets
from solutions.engine.publish import page_url
from tests.conftest import ROOT, site_prefix

pytestmark = pytest.mark.long  # Chromium on every page: minutes

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
SCREENSHOTS = ROOT / "build-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
HANDOUT = page_url(sets.handout_uri("{}"))  # a set's handout, by the set's folder

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"CI needs Chromium for the browser tests; {CHROMIUM} is missing (.ci/run installs it)")
    pytest.skip(f"Chromium is not installed ({CHROMIUM} is missing; `apt-get install chromium` "
                "or run .ci/run, which installs it)", allow_module_level=True)

playwright_api = pytest.importorskip("playwright.sync_api")


class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site folder under PREFIX only, as GitHub Pages serves a project site."""

    prefix = "/"

    def translate_path(self, path):
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__not_under_the_prefix__")
        return super().translate_path("/" + path[len(self.prefix):])

    def log_message(self, *args):
        pass


# base_url and browser are fixtures of conftest.py: one server and one Chromium for every browser test file.


def site_pages(site):
    """Return the URL path (relative to the site root) of every HTML page of the built site."""
    pages = []
    for html in sorted(site.rglob("index.html")):
        relative = html.parent.relative_to(site).as_posix()
        pages.append("" if relative == "." else relative + "/")
    return pages


# What each page is asked once it has loaded (its math typeset at build time, its fonts loaded).
INSPECT = """async () => {
  await document.fonts.ready;
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const math = [...document.querySelectorAll("article .arithmatex")];
  const containers = [...document.querySelectorAll("article mjx-container")];
  const glyphs = [...document.querySelectorAll("article mjx-c")];
  // Invisible operators (function application, invisible times, ...) have no glyph by design.
  const invisible = /(^| )mjx-c(2061|2062|2063|2064|200B|A0|20)( |$)/;
  const blankGlyphs = glyphs.filter((g) => !invisible.test(g.className)).filter((g) => {
    const content = getComputedStyle(g, "::before").content;
    return !content || content === "none" || content === '""';
  });
  const mathFonts = [...document.fonts].filter((f) => f.family.includes("MJX"));
  const headings = [...document.querySelectorAll("article h1, article h2, article h3, article h4, article h5, article h6")]
    .map((h) => Number(h.tagName[1]));
  return {
    title: document.title,
    scheme: document.body.getAttribute("data-md-color-scheme"),
    math: math.length,
    untypeset: math.filter((m) => !m.querySelector("mjx-container")).map((m) => m.textContent.slice(0, 60)),
    emptyMath: containers.filter((c) => !visible(c) && !c.closest("details:not([open])")).length,
    mathErrors: [...document.querySelectorAll("article mjx-merror")].map((e) => e.textContent.slice(0, 80)),
    glyphs: glyphs.length,
    blankGlyphs: blankGlyphs.map((g) => g.className).slice(0, 5),
    assistive: containers.filter((c) => c.querySelector("mjx-assistive-mml math")).length,
    containers: containers.length,
    mathFonts: mathFonts.map((f) => [f.family, f.status]),
    inClosedSolutions: [...document.querySelectorAll("article details:not([open]) img")]
      .map((img) => new URL(img.getAttribute("src"), document.baseURI).href.split("#")[0]),
    mathScripts: [...document.scripts].filter((s) => /mathjax/i.test(s.src)).length + (window.MathJax ? 1 : 0),
    headings,
  };
}"""

OPEN_SOLUTIONS = """async () => {
  const results = [];
  for (const details of document.querySelectorAll("article details")) {
    if (details.open) continue;
    details.querySelector(":scope > summary").click();
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const body = [...details.children].filter((c) => c.tagName !== "SUMMARY");
    const shown = body.filter((c) => c.getBoundingClientRect().height > 0);
    results.push({summary: details.querySelector("summary").textContent.trim(), open: details.open,
                  children: body.length, shown: shown.length, text: details.innerText.length});
  }
  return results;
}"""


# Run once the solutions are open: scroll each shown image into view (they load lazily) and
# describe every image of the article.
IMAGES = """async () => {
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const all = [...document.querySelectorAll("article img")];
  for (const img of all.filter(visible)) {
    img.scrollIntoView();
    if (!img.complete) await new Promise((resolve) => { img.onload = img.onerror = resolve; });
  }
  window.scrollTo(0, 0);
  return all.map((img) => ({
    src: img.getAttribute("src"), alt: img.getAttribute("alt") || "", lazy: img.loading === "lazy",
    url: new URL(img.getAttribute("src"), document.baseURI).href.split("#")[0],
    loaded: img.complete && img.naturalWidth > 0, shown: visible(img),
  }));
}"""

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# axe-core (pinned in package.json) on the page as the reader has it: solutions open, both
# palettes. One rule is waived for one kind of element, with its reason: `empty-table-header`
# on a table header that holds only math (a column named by a formula, such as x_i). axe does not
# read MathJax's assistive MathML (visually hidden, and not text for axe); the waiver applies
# only where that MathML is there, so a screen reader does read the header.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  const onlyMath = (th) => th && th.querySelector("mjx-assistive-mml math")
    && [...th.childNodes].every((n) => (n.nodeType === Node.TEXT_NODE && !n.textContent.trim())
                                      || (n.nodeType === Node.ELEMENT_NODE && n.matches(".arithmatex")
                                          && n.querySelector("mjx-assistive-mml math")));
  for (const v of result.violations) {
    if (v.id === "empty-table-header") v.nodes = v.nodes.filter((n) => !onlyMath(document.querySelector(n.target[0])));
  }
  return result.violations.filter((v) => v.nodes.length).map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(1, 2).join(""))}));
}"""


# The distinct class names of the math characters shown on a page (each names a character and its font).
GLYPH_CLASSES = """async () => {
  await document.fonts.ready;  // the fonts the opened solutions asked for
  const invisible = /(^| )mjx-c(2061|2062|2063|2064|200B|A0|20)( |$)/;  // no glyph by design
  return [...new Set([...document.querySelectorAll("article mjx-c")].map((c) => c.className))]
    .filter((name) => !invisible.test(name));
}"""


def glyphs_in_local_fonts(page, checked):
    """Return {class name: fonts} for each math character on page that the browser draws in a font
    of the reader's machine instead of the site's MathJax fonts (a character that its font lacks),
    as Chromium reports it (CDP CSS.getPlatformFontsForNode on the character's ::before, which holds
    it). A class name in `checked` (seen on an earlier page) is not asked again; each asked is added.
    Also return every class name on the page."""
    shown = page.evaluate(GLYPH_CLASSES)
    wanted = set(shown) - checked
    if not wanted:
        return {}, shown
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    pending, local = [cdp.send("DOM.getDocument", {"depth": -1})["root"]], {}
    while pending and wanted:
        node = pending.pop()
        pending += node.get("children", [])
        name = dict(zip(node.get("attributes", [])[::2], node.get("attributes", [])[1::2])).get("class")
        if node.get("nodeName") != "MJX-C" or name not in wanted:
            continue
        before = [p["nodeId"] for p in node.get("pseudoElements", []) if p.get("pseudoType") == "before"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": before[0]})["fonts"] if before else []
        if not fonts or not all(font["isCustomFont"] for font in fonts):
            local[name] = [font["familyName"] for font in fonts]
        wanted.discard(name)
        checked.add(name)
    cdp.detach()
    return local, shown


# Resolves once what the page's layout asks for has been asked: its fonts are ready (a font
# requested by a newly shown formula included) and two frames have been drawn since.
SETTLED = """async () => {
  await document.fonts.ready;
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}"""


def settle(page, in_flight, url, timeout=30.0):
    """Return once the page has drawn two frames with its fonts ready and no request of it is in flight
    (in_flight: the requests started and neither finished nor failed, kept by the page's events).

    What Playwright's "networkidle" waits for, without its 0.5 s of quiet on every page: a request
    is started by the page's layout or script, so one that has not started when the page is settled
    and nothing is in flight is not going to start."""
    deadline = time.monotonic() + timeout
    while True:
        page.evaluate(SETTLED)  # the round trip also delivers the request events sent before it
        if not in_flight:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}: requests still in flight after {timeout} s: "
                                 f"{sorted(r.url for r in in_flight)}")
        page.wait_for_timeout(20)


def visit(context, url, glyphs_checked=None, audit=True):
    """Open url in a new page of context; return what the browser saw, including every request.

    glyphs_checked: a set of math characters' class names already seen drawn; given it, each new
    one on the page is checked against local fonts (seen["localGlyphs"]).
    audit: run axe-core on the page (seen["axe"]); a test that visits a page the visits fixture
    has audited already passes False."""
    page = context.new_page()
    seen = {"console": [], "failed": [], "requests": []}
    in_flight = set()
    page.on("console", lambda m: m.type == "error" and seen["console"].append(m.text))
    page.on("pageerror", lambda e: seen["console"].append(str(e)))
    page.on("request", lambda r: (seen["requests"].append(r.url), in_flight.add(r)))
    page.on("requestfinished", lambda r: in_flight.discard(r))
    page.on("requestfailed", lambda r: (seen["failed"].append(f"{r.url} ({r.failure})"), in_flight.discard(r)))
    page.on("response", lambda r: r.status >= 400 and seen["failed"].append(f"{r.url} (HTTP {r.status})"))
    page.goto(url, wait_until="load")
    seen.update(page.evaluate(INSPECT))
    seen["requested before opening"] = list(seen["requests"])
    seen["solutions"] = page.evaluate(OPEN_SOLUTIONS)
    seen["images"] = page.evaluate(IMAGES)
    settle(page, in_flight, url)
    if glyphs_checked is not None:
        seen["localGlyphs"], seen["glyphClasses"] = glyphs_in_local_fonts(page, glyphs_checked)
    seen["axe"] = []
    if audit and AXE.exists():
        page.add_script_tag(path=str(AXE))
        seen["axe"] = page.evaluate(AXE_RUN)
    return page, seen


@pytest.fixture(scope="session")
def visits(browser, base_url, built_site):
    """{(scheme, page path): what the browser saw}, for every page in the light and dark palettes."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shown = one_page_per_set(built_site)
    seen, glyphs = {}, {"light": set(), "dark": None}  # the fonts are the same in both palettes
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
        for path in site_pages(built_site):
            page, seen[scheme, path] = visit(context, base_url + path, glyphs[scheme])
            seen[scheme, path]["screenshots"] = screenshots(page, path, scheme) if path in shown else []
            page.close()
        context.close()
    return seen


def screenshots(page, path, scheme):
    """Write the page (solutions open) and each of its figures alone as PNGs; return their paths."""
    stem = path.strip("/").replace("/", "--")
    written = [SCREENSHOTS / f"{stem}--{scheme}.png"]
    page.screenshot(path=written[0], full_page=True)
    for number, figure in enumerate(page.locator("article figure").all(), start=1):
        written.append(SCREENSHOTS / f"{stem}--{scheme}--figure-{number}.png")
        figure.screenshot(path=written[-1])
    return written


def test_the_site_has_pages(visits):
    assert len({path for _, path in visits}) >= 5


def test_every_page_loads_without_console_errors_or_failed_requests(visits):
    problems = {f"{scheme} {path}": seen["console"] + seen["failed"] for (scheme, path), seen in visits.items()
                if seen["console"] or seen["failed"]}
    assert not problems


def test_no_page_requests_another_origin(visits, base_url):
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(base_url))
    outside = {path: [url for url in seen["requests"] if not (url.startswith(origin) or url.startswith("data:"))]
               for (_, path), seen in visits.items()}
    assert not {path: urls for path, urls in outside.items() if urls}


def test_all_math_is_typeset_with_visible_glyphs(visits):
    for (scheme, path), seen in visits.items():
        where = f"{scheme} {path}"
        assert not seen["untypeset"], f"{where}: math left as TeX: {seen['untypeset']}"
        assert not seen["mathErrors"], f"{where}: MathJax errors: {seen['mathErrors']}"
        assert not seen["emptyMath"], f"{where}: {seen['emptyMath']} formulas are typeset with no size"
        assert not seen["blankGlyphs"], f"{where}: glyphs with no character: {seen['blankGlyphs']}"
        if seen["math"]:
            assert seen["glyphs"] >= seen["math"], where
            # The glyphs are drawn from MathJax's own web fonts, served by the site (each
            # variant loads when a formula first needs it; none may fail).
            fonts = dict(seen["mathFonts"])
            assert fonts.get("MJXTEX") == "loaded" and "error" not in fonts.values(), f"{where}: {fonts}"
    assert sum(seen["math"] for seen in visits.values()) > 100


def test_every_math_character_is_drawn_in_the_sites_fonts(visits):
    """The site's MathJax fonts are cut down to the characters the site uses (offline_mathjax.py):
    the browser itself says that it draws each character shown on any page in one of them."""
    local = {path: seen["localGlyphs"] for (_, path), seen in visits.items() if seen.get("localGlyphs")}
    assert not local, f"math characters drawn in a local font (missing from the site's fonts): {local}"
    # Every page was asked (in the light palette), and the site shows math.
    assert all("glyphClasses" in seen for (scheme, _), seen in visits.items() if scheme == "light")
    assert any(seen.get("glyphClasses") for seen in visits.values())


def test_no_page_runs_mathjax_in_the_browser(visits):
    assert not {path for (_, path), seen in visits.items() if seen["mathScripts"]}


def test_formulas_carry_mathml_for_screen_readers(visits):
    for (scheme, path), seen in visits.items():
        assert seen["assistive"] == seen["containers"], f"{scheme} {path}: formulas without assistive MathML"


def test_a_screen_reader_is_given_every_formula_as_mathml(browser, base_url, built_site):
    """The accessibility tree itself (what a screen reader reads), not only the DOM, holds each formula's
    MathML, on the page with the most formulas, at phone width with its solutions open, so that most of
    them are far below the fold; the visual rendering is hidden from it (MathJax marks it aria-hidden)."""
    counts = {path: (built_site / path / "index.html").read_text(encoding="utf-8").count("<mjx-container")
              for path in site_pages(built_site)}
    path = max(sorted(counts), key=counts.get)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(base_url + path, wait_until="load")
    page.evaluate(OPEN_SOLUTIONS)
    containers = page.evaluate("document.querySelectorAll('mjx-container').length")
    hidden = page.evaluate("[...document.querySelectorAll('mjx-container > mjx-math')]"
                           ".filter((m) => m.getAttribute('aria-hidden') === 'true').length")
    nodes = context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    context.close()
    read = [node for node in nodes if not node.get("ignored") and node.get("role", {}).get("value") == "MathMLMath"]
    assert containers == counts[path] > 0, path
    assert len(read) == containers, f"{path}: {len(read)} of {containers} formulas reach the accessibility tree"
    assert hidden == containers, f"{path}: {containers - hidden} formulas' visual rendering is not aria-hidden"


def test_every_image_loads_and_has_descriptive_alt_text(visits):
    for (scheme, path), seen in visits.items():
        for image in seen["images"]:  # the drawing a palette hides is never fetched (tested below)
            assert image["loaded"] or not image["shown"], f"{scheme} {path}: {image['src']} did not load"
            assert len(image["alt"]) > 40, f"{path}: {image['src']} alt text is not descriptive: {image['alt']!r}"


def test_each_palette_shows_its_own_drawing_of_every_figure(visits):
    figures = 0
    for (scheme, path), seen in visits.items():
        assert seen["scheme"] == {"light": "default", "dark": "slate"}[scheme], path
        for image in seen["images"]:
            if not image["src"].endswith(("#only-light", "#only-dark")):
                assert image["shown"], f"{scheme} {path}: {image['src']}"  # one drawing for both (a notebook's)
                continue
            dark_drawing = image["src"].endswith(".dark.svg#only-dark")
            assert image["shown"] == (dark_drawing == (scheme == "dark")), f"{scheme} {path}: {image['src']}"
            figures += image["shown"]
    assert figures >= 2


def test_only_the_drawing_for_the_palette_is_downloaded_and_only_when_shown(visits):
    """Both drawings of a figure are loading="lazy": Chromium never fetches the one its palette hides,
    nor, until the reader opens it, a drawing inside a closed solution."""
    checked = 0
    for (scheme, path), seen in visits.items():
        fetched = [url.split("#")[0] for url in seen["requests"] if ".svg" in url]
        assert len(fetched) == len(set(fetched)), f"{scheme} {path}: a drawing was fetched twice: {fetched}"
        early = {url.split("#")[0] for url in seen["requested before opening"]}
        for image in seen["images"]:
            where = f"{scheme} {path}: {image['src']}"
            assert image["lazy"], f"{where} is not loading=lazy"
            assert (image["url"] in fetched) == image["shown"], f"{where}: shown {image['shown']}, fetched {not image['shown']}"
            closed = image["url"] in seen["inClosedSolutions"]
            assert not (closed and image["url"] in early), f"{where}: fetched before its solution was opened"
            checked += 1
    assert checked >= 10


def test_axe_finds_no_accessibility_violations_in_either_palette(visits):
    if not AXE.exists():
        if os.environ.get("CI"):
            raise AssertionError(f"CI runs axe-core: {AXE} is missing (`npm ci` installs it)")
        pytest.skip(f"axe-core is not installed ({AXE} is missing; run `npm ci`)")
    found = [f"{scheme} {path}: {violation['id']} ({violation['impact']}): {violation['help']}: {node}"
             for (scheme, path), seen in visits.items() for violation in seen["axe"] for node in violation["nodes"]]
    assert not found, f"{len(found)} elements in violation:\n" + "\n".join(found[:40])


def test_headings_are_in_order(visits):
    for (_, path), seen in visits.items():
        levels = seen["headings"]
        assert levels[:1] == [1] and levels.count(1) == 1, f"{path}: one h1 first, got {levels}"
        jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
        assert not jumps, f"{path}: heading levels skip: {jumps}"


def test_every_collapsed_solution_opens_on_click_and_shows_its_content(visits):
    opened = 0
    for (scheme, path), seen in visits.items():
        for solution in seen["solutions"]:
            assert solution["open"], f"{scheme} {path}: {solution['summary']!r} did not open"
            assert solution["shown"] == solution["children"] > 0, f"{scheme} {path}: {solution}"
            assert solution["text"] > 40, f"{scheme} {path}: {solution}"
            opened += 1
    assert opened >= 4


def test_search_finds_the_batchnorm_page(browser, base_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url)
    page.locator("input.md-search__input").click()  # in the header at desktop width
    page.keyboard.type("batchnorm")
    result = page.locator(".md-search-result__item a[href*='midterm-review/batchnorm/']").first
    result.wait_for(state="attached", timeout=15000)
    context.close()


def one_page_per_set(built_site):
    """Return, for each set, its problem page with the most figures (the first such page on a tie)."""
    chosen = {}
    folders = {entry["page"].split("/")[0] for entry in answerkey.load().values()}  # the sets' folders
    for path in site_pages(built_site):
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] in folders and path != HANDOUT.format(parts[0]):
            figures = (built_site / path / "index.html").read_text(encoding="utf-8").count('#only-dark"')
            if figures > chosen.get(parts[0], (None, -1))[1]:
                chosen[parts[0]] = (path, figures)
    return sorted(path for path, _ in chosen.values())


def test_screenshots_of_one_page_per_set_in_both_palettes(visits, built_site):
    for scheme in ("light", "dark"):
        for path in one_page_per_set(built_site):
            written = visits[scheme, path]["screenshots"]
            assert written and all(target.stat().st_size > 10_000 for target in written), (scheme, path)


def test_phone_width_has_no_horizontal_scrolling(browser, base_url, built_site):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    for path in one_page_per_set(built_site):
        page, _ = visit(context, base_url + path, audit=False)  # solutions opened: their content counts too
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
        # What scrolls in its own box instead (wide formulas and tables, also those inside the
        # solutions, which are measured only once opened) can be scrolled from the keyboard.
        unfocusable = page.evaluate("""() => [...document.querySelectorAll(".md-typeset__scrollwrap, .md-typeset .arithmatex")]
          .filter((box) => box.scrollWidth > box.clientWidth && box.tabIndex < 0).map((box) => box.textContent.slice(0, 40))""")
        assert not unfocusable, f"{path}: scrolls but cannot be focused: {unfocusable}"
        page.screenshot(path=SCREENSHOTS / f"{path.strip('/').replace('/', '--')}--phone.png", full_page=True)
        assert max(widths) <= PHONE["width"], f"{path}: the page is {max(widths)} px wide at {PHONE['width']} px"
        page.close()
    context.close()


def pdf_text(page, tmp_path, name):
    """Print the page to PDF as Chromium's print dialog would; return the PDF's text, whitespace collapsed."""
    target = tmp_path / f"{name}.pdf"
    page.emulate_media(media="print")
    page.pdf(path=target, format="A4", print_background=False)
    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(target).pages).split())


def solution_texts(page):
    """Return five consecutive words of prose (no math in between) from each paragraph of the solutions."""
    return page.evaluate("""() => [...document.querySelectorAll("article details p")].map((p) => {
        const runs = [...p.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE)
          .map((n) => n.textContent.trim().split(/\\s+/)).filter((words) => words.length >= 5);
        return runs.length ? runs[0].slice(0, 5).join(" ") : null;
      }).filter((words) => words)""")


def unprinted_solutions(page):
    """Return the title of each solution whose content is not shown in the page's media (print, after pdf_text)."""
    return page.evaluate("""() => [...document.querySelectorAll("article details")].filter((d) =>
        [...d.children].some((c) => c.tagName !== "SUMMARY" && !c.checkVisibility()))
      .map((d) => d.querySelector("summary")?.textContent.trim())""")


def test_each_set_prints_as_a_handout_with_its_title_and_solutions(browser, base_url, built_site, tmp_path):
    handouts = [path for path in site_pages(built_site) if path.endswith(HANDOUT.format(""))]
    assert handouts == [HANDOUT.format(folder) for folder in sorted({path.split("/")[0]
                                                                     for path in one_page_per_set(built_site)})]
    context = browser.new_context(color_scheme="dark")  # printed in the light palette anyway
    for path in handouts:
        page, _ = visit(context, base_url + path, audit=False)  # audited in both palettes by `visits`
        title = page.locator("article h1").inner_text().replace("¶", "").strip()
        expected = solution_texts(page)
        text = pdf_text(page, tmp_path, path.strip("/").replace("/", "-"))
        assert title in text, f"{path}: the PDF lacks the set's title {title!r}"
        # Every solution is laid out for print (whatever it holds), and its prose is in the PDF.
        assert not unprinted_solutions(page), f"{path}: solutions not printed: {unprinted_solutions(page)}"
        missing = [words for words in expected if words not in text]
        assert not missing, f"{path}: solution text missing from the PDF: {missing}"
        assert "Skip to content" not in text and "Switch to" not in text, f"{path}: navigation was printed"
        # Printed from the dark palette, the ink is still dark (Material's print styles see to it).
        ink = page.evaluate("""() => getComputedStyle(document.querySelector("article p")).color
            .match(/[\\d.]+/g).slice(0, 3).map(Number)""")
        assert max(ink) < 100, f"{path}: printed text colour {ink} is too pale for paper"
        page.close()
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["scripts", "no-scripts"])
def test_a_problem_page_prints_with_its_solutions_open(browser, base_url, built_site, tmp_path, javascript):
    # With scripts, Material opens the solutions on `beforeprint`; without them (or where
    # that event does not fire) the print stylesheet alone must show them.
    path = one_page_per_set(built_site)[0]
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + path)
    expected = solution_texts(page)
    context.close()
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(base_url + path)
    assert page.evaluate("() => [...document.querySelectorAll('article details')].every((d) => !d.open)")
    text = pdf_text(page, tmp_path, "problem")
    assert page.locator("article details").count() and not unprinted_solutions(page), path
    assert not [words for words in expected if words not in text], path
    context.close()


# Every computed property of the rendered notebook's elements (and their ::before and ::after,
# where they have content): one element of each kind, a kind being its tag and classes and its
# parent's (the page repeats a few kinds hundreds of times; a rule missing for one misses for all).
COMPUTED_STYLES = """() => {
  const kinds = new Map();
  const kind = (el) => `${el.tagName}.${el.className}`;
  for (const el of document.querySelectorAll(".jupyter-wrapper, .jupyter-wrapper *")) {
    const key = `${kind(el)} < ${kind(el.parentElement)}`;
    if (!kinds.has(key)) kinds.set(key, el);
  }
  return [...kinds].flatMap(([key, el]) => [null, "::before", "::after"].map((pseudo) => {
    const style = getComputedStyle(el, pseudo);
    if (pseudo && style.content === "none") return `${key}${pseudo} none`;
    return `${key}${pseudo || ""} ${[...style].map((p) => `${p}:${style.getPropertyValue(p)}`).join(";")}`;
  }));
}"""


def test_a_notebook_page_is_styled_as_with_the_whole_of_nbconvert_s_stylesheet(browser, base_url, built_site):
    # The page links nbconvert's stylesheet cut down to the rules that can match it. Put back the
    # whole of it, as mkdocs-jupyter renders the notebook on its own: no element's style changes.
    from mkdocs_jupyter.nbconvert2 import nb2html

    folder = next(path for path in site_pages(built_site) if path.endswith("/notebook/"))
    rendered = nb2html(str(next((built_site / folder).glob("*.ipynb"))), theme="light", include_requirejs=False,
                       custom_mathjax_url="")
    rendered = re.sub(r"<svg\b.*?</svg>", "", rendered, flags=re.S)  # a figure's own style is in its .svg file
    whole = "\n".join(css for css in re.findall(r"<style[^>]*>(.*?)</style>", rendered, re.S)
                      if not css.strip().startswith("['"))  # a Python list the hook drops too
    [link] = re.findall(r'<link rel="stylesheet" href="([^"]*notebook\.[0-9a-f]+\.css)">',
                        (built_site / folder / "index.html").read_text(encoding="utf-8"))
    assert (built_site / folder / link).resolve().stat().st_size < len(whole) / 5, "hardly cut down"
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(base_url + folder, wait_until="load")
        published = page.evaluate(COMPUTED_STYLES)
        page.evaluate("""(css) => {
          document.querySelector('link[href*="notebook."]').remove();
          const style = document.createElement("style");
          style.textContent = css;
          document.head.append(style);
        }""", whole)
        with_whole = page.evaluate(COMPUTED_STYLES)
        context.close()
        assert len(published) == len(with_whole) > 100
        changed = [(a.split(" ", 1)[0], sorted(set(a.split(";")) ^ set(b.split(";")))[:6])
                   for a, b in zip(published, with_whole) if a != b]
        assert not changed, f"{scheme} {folder}: {len(changed)} styles differ, first: {changed[0]}"

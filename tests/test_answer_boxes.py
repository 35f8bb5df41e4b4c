"""The answer boxes in a real browser: every box of the built site (found from its pages), typed into
in Chromium with values taken from the published key, in both palettes, by keyboard; the
JavaScript checker run on the Python checker's case file; progress on each set's index page."""

import json
import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from solutions.engine import answercheck
from tests.conftest import ROOT
from tests.test_browser import site_pages

pytestmark = pytest.mark.long  # Chromium on every page: minutes

CASES = json.loads((ROOT / "tests" / "answer_cases.json").read_text(encoding="utf-8"))
GARBAGE = "the answer is (1"
VERDICT = """(box) => ({verdict: box.getAttribute("data-verdict"),
  status: box.querySelector('[role="status"]').textContent})"""
# The verdict and its contrast against the background behind it, in one round trip to the page.
VERDICT_AND_CONTRAST = """(box) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => { const v = rgb(c).map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  let el = box, bg = "rgba(0, 0, 0, 0)";
  while (el && (bg === "rgba(0, 0, 0, 0)" || bg === "transparent")) { bg = getComputedStyle(el).backgroundColor; el = el.parentElement; }
  const fg = getComputedStyle(box.querySelector('[role="status"]')).color;
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return {verdict: box.getAttribute("data-verdict"), status: box.querySelector('[role="status"]').textContent,
          contrast: (a + 0.05) / (b + 0.05)};
}"""


def boxes_by_page(site):
    """Return {page path: [(id, label)]} for every page of the built site with answer boxes."""
    found = {}
    for path in site_pages(site):
        soup = BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")
        for box in soup.select(".answer-box[data-answer-id]"):
            found.setdefault(path, []).append((box["data-answer-id"], box["data-answer-label"]))
    return found


def entries(value):
    return [x for v in value for x in entries(v)] if isinstance(value, list) else [value]


def shaped(value, texts):
    """Return texts (one per entry of value, in order) typed in value's shape."""
    texts = iter(texts)
    if not isinstance(value, list):
        return next(texts)
    if value and isinstance(value[0], list):
        return "; ".join(", ".join(next(texts) for _ in row) for row in value)
    return ", ".join(next(texts) for _ in value)


def three_figures(x):
    """Return x rounded to 3 significant figures, ties away from zero (as the policy rounds), as text."""
    exact = Decimal(x)
    if exact == 0:
        return "0"
    return format(exact.quantize(Decimal(1).scaleb(exact.adjusted() - 2), rounding=ROUND_HALF_UP), "e")


def attempts(answer):
    """Return [(what, typed, expected verdict, text the status must contain)] for one box's answer data."""
    value = answer["value"]
    flat = entries(value)
    scale = max([abs(x) for x in flat] + [1e-300])
    tries = [("the key's value", answercheck.typed(value), "correct", "Correct"),
             ("3 significant figures", shaped(value, [three_figures(x) for x in flat]), "correct", "Correct")]
    off = shaped(value, [repr(x * 1.1 if x else 0.1 * scale) for x in flat])
    python = answercheck.verdict(off, answer)["verdict"]
    tries.append(("off by 10%", off, python if python == "mistake" else "incorrect", "Not correct"))
    for mistake in answer["mistakes"]:
        tries.append(("a published mistake", answercheck.typed(mistake["value"]), "mistake", mistake["why"]))
    for before in answer["errata"]:
        tries.append(("a value before an erratum", answercheck.typed(before["value"]), "mistake", before["date"]))
    fractions = [Fraction(x).limit_denominator(1000) for x in flat]
    if any(f.denominator > 1 for f in fractions) and all(
            abs(float(f) - x) <= 1e-12 * abs(x) for f, x in zip(fractions, flat)):
        tries.append(("a fraction", shaped(value, [str(f) for f in fractions]), "correct", "Correct"))
    tries.append(("garbage", GARBAGE, "invalid", "Cannot read this"))
    if flat[1:]:
        fewer = ", ".join(answercheck.typed(x) for x in flat[:-1])
        tries.append(("one entry too few", fewer, "invalid", f"got {len(flat) - 1} number"))
    return tries


def type_and_check(page, box, text, keyboard=True, judge=VERDICT, handle=None):
    """Enter text in the box's field and check it: with the Enter key, or with a click on the button.

    By keyboard the text arrives as one input event (keyboard.insert_text, as a paste or an input
    method sends it) and Enter checks it; a key press per character would test the browser, not the box,
    and the keys themselves are tested in test_keyboard_alone_reaches_the_check_button.

    box: the box's locator; handle: its element, found once (box.element_handle()) by a caller that
    checks many answers in one box. A locator is looked up again on every use, and on a page of many
    formulas that look-up cost more than typing and checking (measured: 0.19 s an attempt with
    locators, 0.09 s with the element found once)."""
    handle = handle or box.element_handle()
    field = handle.query_selector("input")
    field.fill("")  # waits until the field can be typed in, focuses it and empties it
    page.keyboard.insert_text(text) if keyboard else field.fill(text)
    if keyboard:
        page.keyboard.press("Enter")
    else:
        box.get_by_role("button", name="Check").click()
    seen = handle.evaluate(f"(box) => box.isConnected ? ({judge})(box) : null")
    assert seen is not None, "the answer box was replaced in the page while checking: its element went stale"
    return seen


@pytest.fixture(scope="module")
def site_boxes(built_site):
    found = boxes_by_page(built_site)
    assert found, "the built site has no answer box"
    return found


@pytest.fixture(scope="module")
def published(built_site):
    return json.loads((built_site / "answers.json").read_text(encoding="utf-8"))["values"]


def open_page(context, url, requests):
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url, wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('.answer-box form').length > 0 || "
                           "!document.querySelector('.answer-box')")
    return page, errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_box_judges_values_from_the_published_key(browser, base_url, site_boxes, published, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    requests, failures, checked = [], [], 0
    for path, boxes in site_boxes.items():
        page, errors = open_page(context, base_url + path, requests)
        data = json.loads(page.locator("script#answer-data").text_content())
        for number, (id_, label) in enumerate(boxes):
            answer = data["answers"][id_]
            assert answer["value"] == published[id_]["value"], f"{path}: {id_} differs from the published key"
            box = page.locator(f'.answer-box[data-answer-id="{id_}"]')
            field = box.get_by_label(label, exact=True)
            assert field.count() == 1 and field.evaluate("(el) => el.tagName") == "INPUT", f"{path}: {label}"
            handle = box.element_handle()
            for what, text, expected, shown in attempts(answer):
                # Typed and sent with Enter; on every other box the key's value is sent with the button.
                seen = type_and_check(page, box, text, keyboard=number % 2 == 0 or what != "the key's value",
                                      judge=VERDICT_AND_CONTRAST, handle=handle)
                python = answercheck.verdict(text, answer)
                if seen["verdict"] != expected or shown not in seen["status"] or seen["status"] != python["message"]:
                    failures.append(f"{scheme} {path} {id_}: {what} {text!r} -> {seen} (expected {expected}, "
                                    f"Python says {python['message']!r})")
                if expected in ("correct", "incorrect", "mistake") and seen["contrast"] < 4.5:
                    failures.append(f"{scheme} {path} {id_}: the {expected} verdict has too little contrast")
                checked += 1
        assert not errors, f"{path}: {errors}"
        page.close()
    context.close()
    assert not failures, "\n".join(failures[:20])
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(base_url))
    assert not [url for url in requests if not url.startswith((origin, "data:"))]
    assert checked >= 4 * sum(len(boxes) for boxes in site_boxes.values())  # at least value, 3 figures, off, garbage


def test_keyboard_alone_reaches_the_check_button(browser, base_url, site_boxes, published):
    context = browser.new_context()
    for path, boxes in site_boxes.items():
        page, _ = open_page(context, base_url + path, [])
        id_, _ = boxes[0]
        box = page.locator(f'.answer-box[data-answer-id="{id_}"]')
        box.locator("input").focus()
        page.keyboard.type(answercheck.typed(published[id_]["value"]))
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent") == "Check", path
        page.keyboard.press("Space")
        assert box.evaluate(VERDICT)["verdict"] == "correct", path
        page.close()
    context.close()


def test_each_set_index_counts_the_answers_checked_correct_in_this_browser(browser, base_url, site_boxes, published):
    context = browser.new_context()
    sets = sorted({path.split("/")[0] for path in site_boxes})
    for folder in sets:
        page, _ = open_page(context, base_url + folder + "/", [])
        total = len(page.locator(".answer-progress").get_attribute("data-answer-ids").split())
        assert f"0 of {total} checked" in page.locator(".answer-progress").inner_text(), folder
        page.close()
    right = {}
    for path, boxes in site_boxes.items():
        page, _ = open_page(context, base_url + path, [])
        for id_, _ in boxes[::2]:  # every other box checked correct, the others wrong
            box = page.locator(f'.answer-box[data-answer-id="{id_}"]')
            type_and_check(page, box, answercheck.typed(published[id_]["value"]))
            right[path.split("/")[0]] = right.get(path.split("/")[0], 0) + 1
        for id_, _ in boxes[1::2]:
            type_and_check(page, page.locator(f'.answer-box[data-answer-id="{id_}"]'), GARBAGE)
        page.close()
    for folder in sets:
        page, _ = open_page(context, base_url + folder + "/", [])
        line = page.locator(".answer-progress")
        total = len(line.get_attribute("data-answer-ids").split())
        assert f"{right[folder]} of {total} checked" in line.inner_text(), folder
        page.close()
    context.close()


def test_without_javascript_the_boxes_show_nothing(browser, base_url, site_boxes):
    context = browser.new_context(java_script_enabled=False)
    for path in list(site_boxes) + sorted({path.split("/")[0] + "/" for path in site_boxes}):
        page = context.new_page()
        page.goto(base_url + path)
        shown = page.evaluate("""() => [...document.querySelectorAll('.answer-box, .answer-progress')]
            .filter((el) => el.getBoundingClientRect().height > 0 || el.textContent.trim()).length""")
        assert shown == 0 and page.locator("article input, article button").count() == 0, path
        page.close()
    context.close()


def test_the_browser_checker_agrees_with_the_case_file_and_with_python(browser, base_url, site_boxes):
    context = browser.new_context()
    page, _ = open_page(context, base_url + next(iter(site_boxes)), [])
    cases = [(case["typed"], CASES["answers"][case["answer"]]) for case in CASES["cases"]]
    # Random values and typings besides: significant figures at every length, exact ties, expressions.
    rng = random.Random(15)
    for _ in range(3000):
        value = rng.choice([rng.uniform(-1, 1) * 10 ** rng.randint(-8, 8), rng.randint(-999, 999) / 8,
                            rng.randint(-50, 50) / rng.randint(1, 12)])
        figures = rng.randint(1, 17)
        text = rng.choice([f"{value:.{figures}g}", f"{value:#.{figures}g}", f"{value:.{figures}e}",
                           f"{value * (1 + rng.choice([-1, 1]) * 10 ** -figures):.{figures}g}",
                           str(Fraction(value).limit_denominator(rng.choice([7, 12, 1000]))), f"{value:.{figures}f}"])
        answer = {"value": value, "shape": [], "rtol": rng.choice([1e-12, 1e-9, 0.0]), "atol": rng.choice([0.0, 1e-12])}
        cases.append((text, answer))
    seen = page.evaluate("(cases) => cases.map(([text, answer]) => window.AnswerCheck.verdict(text, answer))", cases)
    context.close()
    for case, (text, answer), result in zip(CASES["cases"] + [None] * len(cases), cases, seen):
        python = answercheck.verdict(text, answer)
        assert result == python, (text, answer)
        if case is not None:
            assert result["verdict"] == case["verdict"] and result["message"] == case.get("message", result["message"])

"""The answer boxes' checker in Python: the verdict policy's cases (the same file drives the browser's
checker), the parser, where the engine puts each box, and the build errors of a wrong `ask:`."""

import gzip
import json
import math
import re

import pytest
from bs4 import BeautifulSoup
from mkdocs.utils.meta import get_data

from solutions.engine import answercheck, answerkey, sets
from solutions.engine.errata import Change, Erratum
from solutions.engine.publish import Catalog, Page, SolutionError
from tests.conftest import ROOT, build, copy_project

CASES = json.loads((ROOT / "tests" / "answer_cases.json").read_text(encoding="utf-8"))
WEIGHT_LIMIT = 30 * 1024  # gzip bytes the checker may add to a page


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda case: f"{case['answer']}:{case['typed']!r}")
def test_the_verdict_policy(case):
    result = answercheck.verdict(case["typed"], CASES["answers"][case["answer"]])
    assert result["verdict"] == case["verdict"], result
    if "message" in case:
        assert result["message"] == case["message"]
    if "off" in case:
        assert result["off"] == case["off"]


def test_the_case_file_covers_every_verdict_and_the_policy_examples():
    verdicts = {case["verdict"] for case in CASES["cases"]}
    assert verdicts == {"correct", "incorrect", "mistake", "invalid"}
    third = {case["typed"]: case["verdict"] for case in CASES["cases"] if case["answer"] == "third"}
    assert third["0.333"] == "correct" and third["0.3"] == "incorrect"  # the policy's own example


@pytest.mark.parametrize("text, value", [
    ("0.3333", 0.3333), ("-1.6667", -1.6667), ("1e-3", 1e-3), ("-5/3", -5 / 3), ("sqrt(2)/2", math.sqrt(2) / 2),
    ("1/(1+exp(-1))", 1 / (1 + math.exp(-1))), ("2^3^2", 512.0), ("-2^2", -4.0), ("2^-1", 0.5), ("2**3", 8.0),
    ("(1+2)*3", 9.0), ("1 - 2 - 3", -4.0), ("8/2/2", 2.0), ("pi", math.pi), ("e", math.e), ("log(e^2)", 2.0),
    ("\u22123", -3.0), ("+.5", 0.5), ("1.", 1.0), ("2E+2", 200.0),
])
def test_the_parser_reads_numbers_and_expressions(text, value):
    [[entry]] = answercheck.parse(text)
    assert entry.value == pytest.approx(value, rel=1e-15) and entry.text == text.strip().replace("\u2212", "-")


def test_the_parser_reads_rows_and_refuses_what_is_not_arithmetic():
    rows = answercheck.parse("1, 2/3; -4, sqrt(9)")
    assert [[e.value for e in row] for row in rows] == [[1.0, 2 / 3], [-4.0, 3.0]]
    for text in ["__import__('os')", "1 if 1 else 2", "[1, 2]", "x", "exp", "lambda: 1", "1e", "0x10", "1_000"]:
        with pytest.raises(answercheck.ParseError):
            answercheck.parse(text)


@pytest.mark.parametrize("text, figures", [("0.333", 3), ("-1.6667", 5), ("1.20e-3", 3), ("1200", 4), ("0.0012", 2),
                                           ("0", 0), ("0.000", 0), ("1/3", 0), ("sqrt(2)", 0), (".5", 1)])
def test_significant_figures_as_typed(text, figures):
    assert answercheck.significant_figures(text) == figures


def test_typed_values_are_accepted_as_their_own_answer():
    for value in [1 / 3, -5 / 3, 1e-300, 6.02e23, 600, [0.1, -0.0, 2], [[1.5, 2.0], [3.25, 1 / 7]]]:
        answer = {"value": value, "shape": answercheck.shape_of(value), "rtol": 1e-12, "atol": 0.0}
        assert answercheck.verdict(answercheck.typed(value), answer)["verdict"] == "correct", value


def test_the_policy_is_written_once_in_the_staff_guide():
    guides = [path for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))] if path.is_file()]
    normal = " ".join(answercheck.POLICY.split())
    assert any(normal in " ".join(path.read_text(encoding="utf-8").split()) for path in guides), \
        "the verdict policy (answercheck.POLICY) is not in the staff guide"
    assert normal in " ".join(answercheck.help_page().split())


# ------------------------------------------------------------ where the engine puts the boxes

PAGE = """---
solution: demo.problem
ask: [b, {name: a, label: "y"}, c]
---
# A problem

The statement uses {{ shown }}.

## (a)

??? success "Solution"

    $a = {{ a }}$.

    ??? success "Verification"

        $b = {{ b }}$.

## (b)

!!! question "Part (b)"

    Compute c.

    ??? success "Solution"

        $c = {{ c }}$, and again $a = {{ a }}$.
"""


def demo_catalog(source=PAGE, publish=None, errata=()):
    page = Page("demo.problem", "demo/problem.md", {})
    if publish is None:
        page.value("shown", 2, statement=True)
        page.value("a", [1 / 3, -5 / 3])
        page.value("b", [[1, 2], [3, 4]])
        page.value("c", 0.5)
        page.mistake("c_wrong", 0.25, of="c", why="halved it twice")
    else:
        publish(page)
    catalog = Catalog({"demo/problem.md": page})
    catalog.sources = {"demo/problem.md": source}
    catalog.errata = list(errata)
    return catalog


def body(source=PAGE):
    return get_data(source)[0]


def boxes_and_what_follows(markdown):
    """Return [(indent, id, label, the next line that is neither blank nor a box)] of the boxes in markdown."""
    lines, found = markdown.splitlines(), []
    box = re.compile(r'( *)<div class="answer-box" data-answer-id="([^"]+)" data-answer-label="([^"]+)"></div>\Z')
    for number, line in enumerate(lines):
        match = box.match(line)
        if match:
            after = next(later for later in lines[number + 1:] if later.strip() and not box.match(later))
            found.append((*match.groups(), after))
    return found


def test_each_box_stands_before_the_outermost_solution_where_its_value_first_appears():
    catalog = demo_catalog()
    answercheck.check(catalog)
    markdown = answercheck.with_boxes(catalog, "demo/problem.md", body())
    # b first appears in a nested block: its box goes before the outer one, in the order of ask:;
    # c's box keeps the indentation of its solution, inside the admonition.
    assert boxes_and_what_follows(markdown) == [
        ("", "demo.problem.b", "Your answer for b", '??? success "Solution"'),
        ("", "demo.problem.a", "Your answer for y", '??? success "Solution"'),
        ("    ", "demo.problem.c", "Your answer for c", '    ??? success "Solution"'),
    ]
    assert markdown.index("demo.problem.a") < markdown.index("$a = {{ a }}$") < markdown.index("demo.problem.c")
    assert "Compute c.\n\n    <div" in markdown


def test_an_indented_box_is_not_left_inside_a_paragraph():
    import markdown

    catalog = demo_catalog()
    text = answercheck.with_boxes(catalog, "demo/problem.md", body())
    html = answercheck.unwrapped(markdown.markdown(text, extensions=["admonition", "pymdownx.details"]))
    soup = BeautifulSoup(html, "html.parser")
    boxes = soup.select(".answer-box")
    assert len(boxes) == 3 and all(box.parent.name != "p" for box in boxes)
    assert boxes[2].find_next_sibling().name == "details"


def test_the_page_data_holds_only_its_asked_ids_with_mistakes_and_old_values():
    erratum = Erratum(1, "2026-11-20", "demo.problem", "was wrong", (Change("demo.problem.c", 0.75, 0.5),
                                                                     Change("demo.problem.shown", 3, 2)))
    catalog = demo_catalog(errata=[erratum])
    markdown = answercheck.with_boxes(catalog, "demo/problem.md", body())
    data = json.loads(re.search(r'<script type="application/json" id="answer-data">(.*)</script>\n\Z',
                                markdown).group(1))
    assert data["help"] == "../../answer-check/"
    assert set(data["answers"]) == {"demo.problem.a", "demo.problem.b", "demo.problem.c"}
    assert data["answers"]["demo.problem.c"] == {
        "value": 0.5, "shape": [], "rtol": 1e-12, "atol": 0.0,
        "mistakes": [{"value": 0.25, "rtol": 1e-12, "atol": 0.0, "why": "halved it twice"}],
        "errata": [{"value": 0.75, "date": "2026-11-20"}]}
    assert data["answers"]["demo.problem.b"]["shape"] == [2, 2]
    c = data["answers"]["demo.problem.c"]
    assert answercheck.verdict("0.25", c)["message"].endswith("halved it twice")
    assert "2026-11-20" in answercheck.verdict("3/4", c)["message"]


def test_the_data_script_cannot_end_early():
    source = "---\nsolution: demo.problem\nask: [c]\n---\n# P\n\n??? success\n\n    {{ c }} {{ m }}\n"
    catalog = demo_catalog(source, lambda page: (page.value("c", 1.0),
                                                 page.mistake("m", 2.0, of="c", why="wrote </script><b>")))
    markdown = answercheck.with_boxes(catalog, "demo/problem.md", body(source))
    assert markdown.count("</script>") == 1 and "\\u003c/script\\u003e" in markdown


def test_a_page_that_asks_nothing_is_unchanged():
    source = PAGE.replace("ask: [b, {name: a, label: \"y\"}, c]\n", "")
    catalog = demo_catalog(source)
    answercheck.check(catalog)
    assert answercheck.with_boxes(catalog, "demo/problem.md", body(source)) == body(source)


@pytest.mark.parametrize("ask, message", [
    ("ask: out", "docs/demo/problem.md: ask: must be a list of published names"),
    ("ask: [nothing]", "docs/demo/problem.md: ask: 'nothing' is not published by solutions/demo/problem.py"),
    ("ask: [a, a]", "docs/demo/problem.md: ask: asks for 'a' twice"),
    ("ask: [3]", "docs/demo/problem.md: ask: 3 is neither a name nor {name: ..., label: ...}"),
    ("ask: [shown]", "docs/demo/problem.md: ask: {{ shown }} appears in no `??? success` block"),
    ("ask: [c_wrong]", "docs/demo/problem.md: ask: 'c_wrong' is published as mistake; only values and tables"),
    ("ask: [given]", "docs/demo/problem.md: ask: 'given' is published as input; only values and tables"),
])
def test_an_ask_that_cannot_get_a_box_fails_naming_the_page_file_and_the_name(ask, message):
    def publish(page):
        page.value("shown", 2, statement=True)
        page.value("a", 1.0)
        page.value("c", 0.5)
        page.mistake("c_wrong", 0.25, of="c", why="halved it twice")
        page.input("given", 3)
    source = f"---\nsolution: demo.problem\n{ask}\n---\n# P\n\n{{{{ shown }}}} {{{{ given }}}}\n\n??? success\n\n" \
             "    {{ a }} {{ c }} {{ c_wrong }}\n"
    with pytest.raises(SolutionError) as raised:
        answercheck.check(demo_catalog(source, publish))
    assert message in str(raised.value)


def test_a_mistake_its_box_would_accept_as_correct_fails():
    def publish(page):
        page.value("c", 0.5)
        page.mistake("c_same", 0.5 + 1e-15, of="c", why="no mistake at all")
    source = "---\nsolution: demo.problem\nask: [c]\n---\n# P\n\n??? success\n\n    {{ c }} {{ c_same }}\n"
    with pytest.raises(SolutionError, match="the mistake 'c_same' of 'c' .* would accept it as correct"):
        answercheck.check(demo_catalog(source, publish))


def test_a_page_without_a_module_cannot_ask():
    catalog = demo_catalog()
    catalog.sources["demo/index.md"] = "---\nask: [a]\n---\n# Demo\n"
    with pytest.raises(SolutionError, match="docs/demo/index.md: ask: the page names no solution module"):
        answercheck.check(catalog)


def test_the_build_fails_on_an_unknown_asked_name(tmp_path):
    project = copy_project(tmp_path / "project")
    page = project / "docs/midterm-review/batchnorm.md"
    text = re.sub(r"^ask:.*\n", "", page.read_text(encoding="utf-8"), flags=re.M)
    page.write_text(text.replace("solution: midterm_review.batchnorm\n",
                                 "solution: midterm_review.batchnorm\nask: [outt]\n", 1), encoding="utf-8")
    result = build(project, project / "site")
    assert result.returncode != 0
    assert "docs/midterm-review/batchnorm.md: ask: 'outt' is not published by solutions/midterm_review/batchnorm.py" \
        in result.stderr, result.stderr


def test_an_unreleased_set_gets_no_boxes_no_data_and_no_progress(monkeypatch):
    catalog = answerkey.compute()
    asked = [src for src in catalog.pages if answercheck.asks(catalog, src)]
    assert asked
    src = asked[0]
    package = __import__(f"solutions.{catalog.pages[src].module.split('.')[0]}", fromlist=["x"])
    index = src.rsplit("/", 1)[0] + "/index.md"
    released = sets.published_markdown(catalog, src, body(catalog.sources[src]), "")
    assert "answer-box" in released and "answer-data" in released
    assert "answer-progress" in sets.published_markdown(catalog, index, body(catalog.sources[index]), "")
    monkeypatch.setattr(package, "RELEASED", False, raising=False)
    for page in [src, index]:
        markdown = sets.published_markdown(catalog, page, body(catalog.sources[page]), "")
        assert not re.search("answer-(box|data|progress)", markdown), page
    handout = sets.handouts(catalog, "")
    assert not any("answer-box" in text for text in handout.values())


# ------------------------------------------------------------ the built site


def site_boxes(site):
    """Return [(page path, box tag, page data)] for every answer box of the built site."""
    found = []
    for html in sorted(site.rglob("index.html")):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        data = soup.select_one("script#answer-data")
        for box in soup.select(".answer-box"):
            found.append((html.parent.relative_to(site).as_posix(), box, json.loads(data.string) if data else None))
    return found


def test_every_box_is_empty_outside_any_solution_and_has_its_published_value(built_site):
    published = json.loads((built_site / "answers.json").read_text(encoding="utf-8"))["values"]
    boxes = site_boxes(built_site)
    assert boxes
    for path, box, data in boxes:
        id_ = box["data-answer-id"]
        assert not box.contents and box.get("data-answer-label"), (path, id_)
        assert box.find_parent("details") is None, f"{path}: the box for {id_} is inside a solution"
        following = box.find_next_sibling()
        assert following.name == "details" or "answer-box" in following.get("class", []), (path, id_)
        entry = published[id_]
        assert data["answers"][id_]["value"] == entry["value"], (path, id_)
        assert (data["answers"][id_]["rtol"], data["answers"][id_]["atol"]) == (entry["rtol"], entry["atol"])
        assert entry["url"].rstrip("/") == path, (path, id_)
        assert sorted(m["why"] for m in data["answers"][id_]["mistakes"]) == sorted(
            e["why"] for e in published.values() if e["kind"] == "mistake" and e["of"] == id_)
    for path in {path for path, _, _ in boxes}:
        ids = {box["data-answer-id"] for p, box, _ in boxes if p == path}
        data = next(d for p, _, d in boxes if p == path)
        assert set(data["answers"]) == ids, f"{path}: its data holds other ids than its boxes'"


def test_each_set_index_lists_its_asked_ids_for_the_progress_line(built_site):
    boxes = site_boxes(built_site)
    for folder in {path.split("/")[0] for path, _, _ in boxes}:
        soup = BeautifulSoup((built_site / folder / "index.html").read_text(encoding="utf-8"), "html.parser")
        line = soup.select_one("p.answer-progress")
        assert line is not None and not line.contents, folder
        assert set(line["data-answer-ids"].split()) == {box["data-answer-id"] for path, box, _ in boxes
                                                        if path.split("/")[0] == folder}


def test_the_checker_adds_at_most_30_kib_gzip_to_any_page(built_site):
    assets = sum(len(gzip.compress((built_site / path).read_bytes(), 9))
                 for path in ["javascripts/answer-check.js", "stylesheets/answer-check.css"])
    pages = {}
    for path, _, data in site_boxes(built_site):
        html = (built_site / path / "index.html").read_text(encoding="utf-8")
        added = "".join(re.findall(r'<div class="answer-box"[^>]*></div>|<script type="application/json" '
                                   r'id="answer-data">.*?</script>', html))
        pages[path] = assets + len(gzip.compress(added.encode(), 9))
    assert pages and max(pages.values()) <= WEIGHT_LIMIT, pages


def test_the_help_note_is_published_with_the_policy(built_site):
    text = BeautifulSoup((built_site / "answer-check/index.html").read_text(encoding="utf-8"),
                         "html.parser").select_one("article").get_text()
    assert " ".join(answercheck.POLICY.replace("`", "").split())[:200] in " ".join(text.split())

"""Sets: metadata, the provenance line, the landing table's verification status, handouts."""

import numpy as np
import pytest

from solutions import midterm_review
from solutions.engine import sets
from solutions.toolkit.gradcheck import GradientRow
from solutions.engine.publish import Catalog, Page, SolutionError

BLOB = "https://example.org/repo/blob/main/"


def gradient_page(module, src, analytic, numeric):
    page = Page(module, src)
    page.value("answer", 1.5)
    page.gradient_table("grads", [GradientRow("w", analytic, numeric)])
    return page


def test_metadata_of_a_set():
    problem_set = sets.problem_set("midterm_review.batchnorm")
    assert (problem_set.title, problem_set.course, problem_set.source) == (
        midterm_review.TITLE, midterm_review.COURSE, midterm_review.SOURCE)
    assert problem_set.tests == "tests/test_midterm_review.py"


def test_a_set_without_its_metadata_is_refused_naming_its_init(monkeypatch):
    monkeypatch.delattr(midterm_review, "SOURCE")
    with pytest.raises(SolutionError, match=r"solutions/midterm_review/__init__.py must define SOURCE"):
        sets.problem_set("midterm_review.batchnorm")


def test_provenance_links_the_module_and_its_tests():
    line = sets.provenance("midterm_review.batchnorm", BLOB, "../print/")
    assert f'href="{BLOB}solutions/midterm_review/batchnorm.py"' in line
    assert f'href="{BLOB}tests/test_midterm_review.py"' in line
    assert midterm_review.SOURCE in line and midterm_review.COURSE in line
    assert 'href="../print/"' in line
    assert "href" not in sets.provenance("midterm_review.batchnorm", "")  # no repository: names only


def test_provenance_goes_under_the_title_and_links_the_handout_relatively():
    markdown = sets.with_provenance("---\n# Title\n\nText.\n", "midterm_review.batchnorm", BLOB,
                                    "midterm-review/batchnorm.md")
    title, provenance, text = [block for block in markdown.split("\n") if block and block != "---"]
    assert (title, text) == ("# Title", "Text.")
    assert provenance.startswith('<p class="provenance">') and 'href="../print/"' in provenance


def test_status_counts_problems_values_and_gradient_checks():
    catalog = Catalog({
        "midterm-review/a.md": gradient_page("midterm_review.a", "midterm-review/a.md", 2.0, 2.0 + 1e-9),
        "midterm-review/b.md": gradient_page("midterm_review.b", "midterm-review/b.md", -1.0, -1.0),
    })
    [(problem_set, folder, summary)] = sets.status(catalog)
    assert (problem_set.name, folder) == ("midterm_review", "midterm-review")
    assert summary == {"problems": 2, "values": 4, "gradients": 2}  # a value and a table on each page
    table = sets.overview(catalog)
    assert f"[{midterm_review.TITLE}](midterm-review/index.md)" in table
    assert "| 2 | 4 | ✓ 2 gradient checks, " in table
    assert "[handout](midterm-review/print.md)" in table


def test_a_gradient_that_disagrees_with_central_differences_stops_the_build():
    # relative error |2 - 2.001| / 2.001 = 5e-4, far above the 1e-6 a correct gradient reaches
    catalog = Catalog({"midterm-review/a.md": gradient_page("midterm_review.a", "midterm-review/a.md", 2.0, 2.001)})
    with pytest.raises(SolutionError, match=r"midterm_review\.a\.grads: \\partial L / \\partial w \(relative error 5\.0e-04\)"):
        sets.status(catalog)


def test_handout_puts_the_problems_in_nav_order_under_one_title_with_solutions_open():
    first = Page("midterm_review.first", "midterm-review/first.md")
    first.value("x", 2.5)
    second = Page("midterm_review.second", "midterm-review/second.md")
    second.value("y", np.array([1.0, 2.0]), row=True)
    markdown = {
        "midterm-review/first.md": "---\nsolution: midterm_review.first\n---\n# 1. First\n\n"
                                   "## Solution\n\n??? success \"Solution\"\n\n    $x = {{ x }}$\n",
        "midterm-review/second.md": "# 2. Second\n\n??? success \"Solution\"\n\n    $y = {{ y }}$\n",
    }
    order = ["index.md", "midterm-review/second.md", "other/c.md", "midterm-review/first.md"]
    catalog = Catalog({"midterm-review/first.md": first, "midterm-review/second.md": second},
                      sources=markdown, order=order)
    [(uri, handout)] = sets.handouts(catalog, BLOB).items()
    assert uri == "midterm-review/print.md"
    assert handout.startswith("---\nsearch:\n  exclude: true\n---\n")  # search finds the problem pages instead
    assert handout.count("\n# ") == 1 and f"# {midterm_review.TITLE}: the whole set" in handout
    assert handout.index("## 2. Second") < handout.index("## 1. First")
    assert "### Solution" in handout and "solution: midterm_review.first" not in handout
    assert handout.count('???+ success "Solution"') == 2 and "??? success" not in handout
    assert "$x = 2.5000$" in handout
    assert r"$y = \begin{bmatrix} 1 & 2 \end{bmatrix}$" in handout
    assert handout.count('class="provenance"') == 2


def test_nav_order_flattens_sections_in_order():
    nav = [{"Home": "index.md"}, {"B set": ["b/index.md", {"1. One": "b/one.md"}]}, {"A set": ["a/index.md"]}]
    assert sets.nav_order(nav) == ["index.md", "b/index.md", "b/one.md", "a/index.md"]


def test_sets_are_listed_in_nav_order():
    catalog = Catalog({
        "midterm-review/a.md": gradient_page("midterm_review.a", "midterm-review/a.md", 1.0, 1.0),
        "discussion-2/b.md": gradient_page("discussion2.b", "discussion-2/b.md", 1.0, 1.0),
    })
    assert [s.name for s, _, _ in sets.status(catalog)] == ["discussion2", "midterm_review"]  # by folder
    catalog.order = ["index.md", "midterm-review/a.md", "discussion-2/b.md"]
    assert [s.name for s, _, _ in sets.status(catalog)] == ["midterm_review", "discussion2"]

"""Sets: metadata, the provenance line, the landing table's verification status, handouts."""

import numpy as np
import pytest

from solutions.engine import sets
from solutions.toolkit.gradcheck import GradientRow
from solutions.engine.publish import Catalog, Page, SolutionError

BLOB = "https://example.org/repo/blob/main/"


def gradient_page(module, src, analytic, numeric):
    page = Page(module, src)
    page.value("answer", 1.5)
    page.gradient_table("grads", [GradientRow("w", analytic, numeric)])
    return page



@pytest.fixture
def sets_(fake_sets):
    """Two sets of these tests' own, so that they hold whatever the real sets are."""
    class Sets:
        someset = fake_sets("someset")
        otherset = fake_sets("otherset")
    return Sets

def test_metadata_of_a_set(sets_):
    problem_set = sets.problem_set("someset.batchnorm")
    assert (problem_set.title, problem_set.course, problem_set.source) == (
        sets_.someset.TITLE, sets_.someset.COURSE, sets_.someset.SOURCE)
    assert problem_set.tests == "tests/test_someset.py"


def test_a_set_without_its_metadata_is_refused_naming_its_init(monkeypatch, sets_):
    monkeypatch.delattr(sets_.someset, "SOURCE")
    with pytest.raises(SolutionError, match=r"solutions/someset/__init__.py must define SOURCE"):
        sets.problem_set("someset.batchnorm")


def test_provenance_links_the_module_and_its_tests(sets_):
    line = sets.provenance("someset.batchnorm", BLOB, "../print/")
    assert f'href="{BLOB}solutions/someset/batchnorm.py"' in line
    assert f'href="{BLOB}tests/test_someset.py"' in line
    assert sets_.someset.SOURCE in line and sets_.someset.COURSE in line
    assert 'href="../print/"' in line
    assert "href" not in sets.provenance("someset.batchnorm", "")  # no repository: names only


def test_the_provenance_of_an_unreleased_set_links_neither_module_nor_tests(sets_):
    sets_.someset.RELEASED = False
    line = sets.provenance("someset.batchnorm", BLOB, "../print/")
    assert "solutions/" not in line and "tests/" not in line and "Computed by" not in line
    assert sets_.someset.SOURCE in line and 'href="../print/"' in line


def test_provenance_goes_under_the_title_and_links_the_handout_relatively(sets_):
    markdown = sets.with_provenance("---\n# Title\n\nText.\n", "someset.batchnorm", BLOB,
                                    "some-set/batchnorm.md")
    title, provenance, text = [block for block in markdown.split("\n") if block and block != "---"]
    assert (title, text) == ("# Title", "Text.")
    assert provenance.startswith('<p class="provenance">') and 'href="../print/"' in provenance


def test_status_counts_problems_values_and_gradient_checks(sets_):
    catalog = Catalog({
        "some-set/a.md": gradient_page("someset.a", "some-set/a.md", 2.0, 2.0 + 1e-9),
        "some-set/b.md": gradient_page("someset.b", "some-set/b.md", -1.0, -1.0),
    })
    [(problem_set, folder, summary)] = sets.status(catalog)
    assert (problem_set.name, folder) == ("someset", "some-set")
    assert summary == {"problems": 2, "values": 4, "gradients": 2}  # a value and a table on each page
    table = sets.overview(catalog)
    assert f"[{sets_.someset.TITLE}](some-set/index.md)" in table
    assert "| 2 | 4 | ✓ 2 gradient checks, " in table
    assert "[handout](some-set/print.md)" in table


def test_a_gradient_that_disagrees_with_central_differences_stops_the_build(sets_):
    # relative error |2 - 2.001| / 2.001 = 5e-4, far above the 1e-6 a correct gradient reaches
    catalog = Catalog({"some-set/a.md": gradient_page("someset.a", "some-set/a.md", 2.0, 2.001)})
    with pytest.raises(SolutionError, match=r"docs/some-set/a\.md \(solutions/someset/a\.py\), grads: \\partial L / \\partial w: "
                                            r"analytic 2\.0, central difference 2\.001 \(relative error 5\.0e-04\)"):
        sets.status(catalog)


def test_handout_puts_the_problems_in_nav_order_under_one_title_with_solutions_open(sets_):
    first = Page("someset.first", "some-set/first.md")
    first.value("x", 2.5)
    second = Page("someset.second", "some-set/second.md")
    second.value("y", np.array([1.0, 2.0]), row=True)
    markdown = {
        "some-set/first.md": "---\nsolution: someset.first\n---\n# 1. First\n\n"
                                   "## Solution\n\n??? success \"Solution\"\n\n    $x = {{ x }}$\n",
        "some-set/second.md": "# 2. Second\n\n??? success \"Solution\"\n\n    $y = {{ y }}$\n",
    }
    order = ["index.md", "some-set/second.md", "other/c.md", "some-set/first.md"]
    catalog = Catalog({"some-set/first.md": first, "some-set/second.md": second},
                      sources=markdown, order=order)
    [(uri, handout)] = sets.handouts(catalog, BLOB).items()
    assert uri == "some-set/print.md"
    assert handout.startswith("---\nsearch:\n  exclude: true\n---\n")  # search finds the problem pages instead
    assert handout.count("\n# ") == 1 and f"# {sets_.someset.TITLE}: the whole set" in handout
    assert handout.index("## 2. Second") < handout.index("## 1. First")
    assert "### Solution" in handout and "solution: someset.first" not in handout
    assert handout.count('???+ success "Solution"') == 2 and "??? success" not in handout
    assert "$x = 2.5000$" in handout
    assert r"$y = \begin{bmatrix} 1 & 2 \end{bmatrix}$" in handout
    assert handout.count('class="provenance"') == 2


def test_nav_order_flattens_sections_in_order():
    nav = [{"Home": "index.md"}, {"B set": ["b/index.md", {"1. One": "b/one.md"}]}, {"A set": ["a/index.md"]}]
    assert sets.nav_order(nav) == ["index.md", "b/index.md", "b/one.md", "a/index.md"]


def test_sets_are_listed_in_nav_order(sets_):
    catalog = Catalog({
        "some-set/a.md": gradient_page("someset.a", "some-set/a.md", 1.0, 1.0),
        "other-set/b.md": gradient_page("otherset.b", "other-set/b.md", 1.0, 1.0),
    })
    assert [s.name for s, _, _ in sets.status(catalog)] == ["otherset", "someset"]  # by folder
    catalog.order = ["index.md", "some-set/a.md", "other-set/b.md"]
    assert [s.name for s, _, _ in sets.status(catalog)] == ["someset", "otherset"]

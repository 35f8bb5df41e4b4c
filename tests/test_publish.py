"""Publishing: names, placeholders and their errors, on literal markdown (no site build needed)."""

import re
import sys
import types

import pytest

from solutions.toolkit.figures import new_figure
from solutions.engine.publish import Catalog, Page, SolutionError, page_url, run_module


def page_with(**values):
    page = Page("demo.problem", "demo/problem.md")
    for name, value in values.items():
        page.value(name, value)
    return page


def test_placeholders_become_latex_and_are_recorded_as_used():
    used = set()
    assert page_with(mean=6.0, x=[1, 2]).render("$\\mu = {{ mean }}$, $x = {{x}}$", used) == (
        r"$\mu = 6$, $x = \begin{bmatrix} 1 \\ 2 \end{bmatrix}$")
    assert used == {"mean", "x"}


def test_unknown_name_names_page_and_name():
    with pytest.raises(SolutionError, match=r"docs/demo/problem.md: unknown name \{\{ nope \}\}"):
        page_with(mean=1.0).render("{{ nope }}", set())


def test_duplicate_name_names_module_and_name():
    page = page_with(mean=1.0)
    with pytest.raises(SolutionError, match="solutions/demo/problem.py: the name 'mean' is published twice"):
        page.value("mean", 2.0)


def test_invalid_name_is_refused():
    with pytest.raises(SolutionError, match="not a valid name"):
        page_with().value("bad-name", 1.0)


def test_multiline_output_keeps_the_indentation_of_its_line():
    page = Page("demo.problem", "demo/problem.md")
    page.table("t", ["x", "y"], ["a", "b"], [[1.0], [2.0]])
    rendered = page.render("??? success\n\n    {{ t }}\n", set())
    assert rendered == ("??? success\n\n    | x | y |\n    |---:|---:|\n    | $a$ | $1$ |\n"
                        "    | $b$ | $2$ |\n")


def test_table_shape_must_match_labels_and_columns():
    with pytest.raises(SolutionError, match="table 't'"):
        Page("demo.problem", "p.md").table("t", ["x", "y"], ["a"], [[1.0, 2.0]])


def test_figure_is_an_svg_beside_the_page_with_alt_text_and_caption():
    page = Page("demo.problem", "demo/problem.md")
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    page.figure("line", fig, alt="a line from (0, 0) to (1, 1)", caption="A line.")
    item = page.items["line"]
    (light_uri, light), (dark_uri, dark) = item.files
    assert (light_uri, dark_uri) == ("demo/figures/problem/line.svg", "demo/figures/problem/line.dark.svg")
    assert light.startswith(b"<?xml") and dark.startswith(b"<?xml") and light != dark
    # Material shows the first in its light palette, the second in its dark one.
    # Both lazy, with the drawing's size in CSS pixels: 96 to the inch, as matplotlib's inches are.
    width, height = (round(inches * 96) for inches in fig.get_size_inches())
    attributes = f"{{ loading=lazy width={width} height={height} }}"
    assert f"![a line from (0, 0) to (1, 1)](figures/problem/line.svg#only-light){attributes}" in item.markdown
    assert f"![a line from (0, 0) to (1, 1)](figures/problem/line.dark.svg#only-dark){attributes}" in item.markdown
    assert "/// caption\nA line.\n///" in item.markdown


def test_figure_without_alt_text_is_refused():
    fig, _ = new_figure()
    with pytest.raises(SolutionError, match="alt text"):
        Page("demo.problem", "p.md").figure("f", fig, alt=" ", caption="c")


def test_non_finite_values_are_refused():
    with pytest.raises(ValueError, match="finite"):
        page_with(bad=float("inf"))


@pytest.mark.parametrize("src, url", [("index.md", ""), ("a/index.md", "a/"), ("a/b.md", "a/b/"), ("b.md", "b/")])
def test_page_url(src, url):
    assert page_url(src) == url


@pytest.fixture
def demo_modules(monkeypatch):
    """Two throwaway problem modules, solutions.demo_ok and solutions.demo_broken."""
    ok = types.ModuleType("solutions.demo_ok")
    ok.INPUTS = {"a": 2.0}
    ok.publish = lambda page: (page.input("a", 2.0), page.value("twice", 4.0))
    broken = types.ModuleType("solutions.demo_broken")
    def publish(page):
        raise ZeroDivisionError("division by zero")
    broken.publish = publish
    monkeypatch.setitem(sys.modules, "solutions.demo_ok", ok)
    monkeypatch.setitem(sys.modules, "solutions.demo_broken", broken)


def test_catalog_key_ids_pages_and_inputs(demo_modules):
    catalog = Catalog.collect({"set/ok.md": "demo_ok"})
    key = catalog.key()
    assert sorted(key) == ["demo_ok.a", "demo_ok.twice"]
    assert key["demo_ok.twice"]["page"] == "set/ok.md"
    assert key["demo_ok.twice"]["url"] == "set/ok/"
    assert key["demo_ok.twice"]["inputs"] == {"a": 2.0}
    assert key["demo_ok.a"]["kind"] == "input"


def test_a_failing_module_is_named_with_its_page(demo_modules):
    with pytest.raises(SolutionError, match=r"solutions/demo_broken.py \(used by docs/set/b.md\) failed: ZeroDivisionError"):
        Catalog.collect({"set/ok.md": "demo_ok", "set/b.md": "demo_broken"})


def test_a_missing_module_is_named():
    with pytest.raises(SolutionError, match=r"solutions/no_such_set/problem.py \(used by docs/x.md\) failed: ModuleNotFoundError: No module named 'solutions.no_such_set'$"):
        Catalog.collect({"x.md": "no_such_set.problem"})


def test_two_pages_cannot_share_a_module(demo_modules):
    with pytest.raises(SolutionError, match="both name solution module demo_ok"):
        Catalog.collect({"a.md": "demo_ok", "b.md": "demo_ok"})


def test_placeholder_on_a_page_without_module_is_an_error(demo_modules):
    with pytest.raises(SolutionError, match="docs/plain.md: uses {{ x }} but names no solution module"):
        Catalog.collect({}).render("plain.md", "text {{ x }}", {})


def test_unused_values_are_reported(demo_modules):
    catalog = Catalog.collect({"set/ok.md": "demo_ok"})
    used = {}
    catalog.render("set/ok.md", "{{ a }}", used)
    assert catalog.unused(used) == {"set/ok.md": ["twice"]}


@pytest.fixture(scope="module")
def three_jobs():
    """Three (module, page) jobs of the site, whichever problems it has."""
    from solutions.engine import answerkey

    pages = answerkey.read_pages()
    jobs = sorted((module, src) for src, text in pages.items() if (module := answerkey.solution_module(src, text)))
    return jobs[::max(1, len(jobs) // 3)][:3]


def test_problems_run_in_parallel_publish_exactly_what_they_publish_one_by_one(three_jobs):
    from solutions.engine.publish import run_modules

    parallel = run_modules(three_jobs, workers=2)
    serial = [run_module(*job) for job in three_jobs]
    assert [page.items for page in parallel] == [page.items for page in serial]  # figures: SVG bytes compared too


def test_a_process_with_threads_runs_problems_in_parallel_without_forking_itself(three_jobs, monkeypatch):
    """As under `mkdocs serve`, whose file watcher and server are threads: forking such a process can copy
    a lock another thread holds (Python 3.12+ warns), so its workers must come from elsewhere."""
    import os
    import threading

    from solutions.engine.publish import run_modules

    forks, fork = [], os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(threading.active_count()) or fork())
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)
    watcher.start()
    try:
        parallel = run_modules(three_jobs, workers=2)
    finally:
        stop.set()
        watcher.join()
    assert forks == []
    assert [page.items for page in parallel] == [page.items for page in map(lambda job: run_module(*job), three_jobs)]


def test_a_failing_problem_run_in_parallel_is_named(demo_modules):
    from solutions.engine.publish import run_modules

    with pytest.raises(SolutionError, match=r"solutions/demo_broken.py \(used by docs/set/b.md\) failed: ZeroDivisionError"):
        run_modules([("demo_ok", "set/ok.md"), ("demo_broken", "set/b.md")], workers=2)


def test_a_mistake_is_keyed_with_the_value_it_is_a_mistake_for_and_why(monkeypatch):
    module = types.ModuleType("solutions.demo_mistake")
    module.publish = lambda page: (page.value("var", 9.0),
                                   page.mistake("var_m1", 12.0, of="var", why="divided by m - 1"))
    monkeypatch.setitem(sys.modules, "solutions.demo_mistake", module)
    entry = run_module("demo_mistake", "set/m.md").items["var_m1"].entry
    assert (entry["kind"], entry["of"], entry["why"], entry["value"]) == ("mistake", "demo_mistake.var", "divided by m - 1", 12.0)


@pytest.mark.parametrize("publish, message", [
    (lambda page: page.mistake("wrong", 1.0, of="nothing", why="x"), "mistake 'wrong' is of 'nothing', which this module does not publish"),
    (lambda page: (page.value("v", [1.0, 2.0]), page.mistake("wrong", 1.0, of="v", why="x")), "mistake 'wrong' has the shape ()"),
    (lambda page: (page.value("v", 1.0), page.mistake("wrong", 2.0, of="v", why=" ")), "needs why="),
])
def test_a_malformed_mistake_is_refused_naming_the_module_file(monkeypatch, publish, message):
    module = types.ModuleType("solutions.demo_mistake")
    module.publish = publish
    monkeypatch.setitem(sys.modules, "solutions.demo_mistake", module)
    with pytest.raises(SolutionError, match=re.escape(message)):
        run_module("demo_mistake", "set/m.md")

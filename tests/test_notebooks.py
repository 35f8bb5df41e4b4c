"""The companion notebooks: generated from the package, executed, their printed values equal to the
committed key, rendered offline with a download link, and re-executed exactly when what they import changes."""

import ast
import os
import re
import subprocess
import sys

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from solutions.engine import answerkey, explore, notebooks, sets
from solutions.engine.publish import SolutionError
from tests.conftest import LAB_FOLDER, LAB_SET, ROOT, build, edit, lab_project

CONFIG = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
EXECUTED = re.compile(r"Companion notebook (\S+): executed")
REUSED = re.compile(r"Companion notebook (\S+): reused")


def companions():
    return notebooks.plan(CONFIG["nav"], ROOT / "docs")


def site_notebook(site, companion):
    """Return the executed notebook as the site offers it for download."""
    return nbformat.read(site / companion.folder / "notebook" / notebooks.NOTEBOOK, as_version=4)


# ------------------------------------------------------------------ generated from the package


def nav_sections():
    """Return {nav section title: [(page title, path)]} straight from mkdocs.yml."""
    return {title: [next(iter(entry.items())) for entry in entries if isinstance(entry, dict)]
            for section in CONFIG["nav"] if isinstance(section, dict)
            for title, entries in section.items() if isinstance(entries, list)}


def test_each_notebook_cites_its_set_and_has_a_cell_per_problem_in_nav_order():
    sections = list(nav_sections().values())
    for companion in companions():
        notebook = notebooks.build(companion, CONFIG["repo_url"])
        title, setup = notebook.cells[0], notebook.cells[1]
        assert title.source.startswith(f"# Companion notebook: {companion.problem_set.title}\n")
        assert companion.problem_set.course in title.source and "clone of the repository" in title.source
        assert setup.cell_type == "code" and "sys.path.insert(0, str(root))" in setup.source
        # The problems' headings are the nav's titles of the set's section, in its order.
        section = next(pages for pages in sections if any(path == companion.problems[0].src_uri for _, path in pages))
        expected = [title for title, path in section if path in {p.src_uri for p in companion.problems}]
        headings = [cell.source.splitlines()[0] for cell in notebook.cells[2::2]]
        assert headings == [f"## {title}" for title in expected] and len(expected) == len(companion.problems)
        for problem, code in zip(companion.problems, notebook.cells[3::2]):
            # The inputs cell states exactly the module's INPUTS, and runs the module with them.
            module = __import__(f"solutions.{problem.module}", fromlist=["INPUTS"])
            statement = ast.parse(code.source).body[0]
            assert ast.literal_eval(statement.value) == module.INPUTS, problem.module
            assert f"explore.run({problem.module!r}, inputs)" in code.source


def test_a_notebook_is_the_same_bytes_for_the_same_package():
    companion = companions()[0]
    assert nbformat.writes(notebooks.build(companion)) == nbformat.writes(notebooks.build(companion))
    assert "id" in notebooks.build(companion).cells[0]  # fixed cell ids, not random ones


# ------------------------------------------------------------------ explore: edited inputs


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A copy of the project with the lab set (tests/lab), whose values are known by hand."""
    return lab_project(tmp_path_factory.mktemp("lab") / "project")


def explore_in(project, code):
    """Run Python code in project (with `explore` imported) and return what it prints, as a literal."""
    result = subprocess.run([sys.executable, "-c", f"from solutions.engine import explore\n{code}"], cwd=project,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


def test_run_with_an_edited_batch_recomputes_from_it(lab):
    values = explore_in(lab, "print(explore.run('labset.batchnorm', {'batch': [2, 3, 5, 14]}).values)")
    # By hand: mean (2 + 3 + 5 + 14) / 4 = 6; deviations -4, -3, -1, 8; variance (16 + 9 + 1 + 64) / 4 = 22.5.
    assert values["labset.batchnorm.batch"] == [2, 3, 5, 14]
    assert values["labset.batchnorm.mean"] == 6.0
    assert values["labset.batchnorm.var"] == 22.5


def test_run_follows_values_a_module_derives_from_inputs_at_import_and_leaves_the_module_alone(lab):
    # The lab module derives M = len(INPUTS["batch"]) at import; its figure's description follows the edit.
    alt, m = explore_in(lab, "import solutions.labset.batchnorm as module\n"
                             "results = explore.run('labset.batchnorm', {'batch': [1, 2, 3, 4, 5]})\n"
                             "print((results.figures[0].alt, module.M))")
    assert "of the 5 batchnorm outputs" in alt and m == 4


def test_run_with_an_unknown_input_names_it(lab):
    message = explore_in(lab, "try:\n    explore.run('labset.batchnorm', {'batchh': [1, 2]})\n"
                              "except Exception as exc:\n    print(repr(str(exc)))")
    assert "solutions.labset.batchnorm has no input 'batchh'" in message


def test_printed_lines_parse_back_to_the_published_values():
    results = explore.run(companions()[0].problems[0].module)
    assert explore.parse("\n".join(results.lines())) == results.values
    with pytest.raises(ValueError, match="printed twice"):
        explore.parse("a.b = 1\na.b = 2")


# ------------------------------------------------------------------ executed


def smallest():
    return min(companions(), key=lambda companion: len(companion.problems))


def test_executing_a_notebook_twice_gives_the_bytes_the_site_offers(built_site):
    companion = smallest()
    notebook = notebooks.build(companion, CONFIG["repo_url"])
    first = nbformat.writes(notebooks.execute(notebook, companion.uri, ROOT))
    assert first == nbformat.writes(notebooks.execute(notebook, companion.uri, ROOT))
    assert first == (built_site / companion.folder / "notebook" / notebooks.NOTEBOOK).read_text(encoding="utf-8")


def test_a_forked_kernel_gives_the_bytes_of_a_kernel_started_afresh(monkeypatch):
    # The companion drawing the most figures, and a notebook of matplotlib's own inline figure and
    # what the kernel has imported: executed in a kernel started afresh and in one forked from the server.
    companion = max(companions(), key=lambda companion: sum(
        (ROOT / sets.module_path(problem.module)).read_text(encoding="utf-8").count(".figure(")
        for problem in companion.problems))
    inline = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title('inline')"),
        nbformat.v4.new_code_cell("import sys\nprint(sorted(name for name in sys.modules if name.split('.')[0] == 'solutions'))\n"
                                  "print(sys.path[0], sys.argv[0].rsplit('/', 1)[-1], sys.flags.hash_randomization)")])
    executed = {}
    for forked in (False, True):
        monkeypatch.setattr(notebooks, "FORKED", forked)
        executed[forked] = [nbformat.writes(notebooks.execute(notebooks.build(companion), companion.uri, ROOT)),
                            nbformat.writes(notebooks.execute(inline, "inline.ipynb", ROOT))]
    assert executed[True] == executed[False]
    outputs = nbformat.reads(executed[True][1], as_version=4).cells
    assert "image/png" in outputs[0].outputs[-1]["data"]  # the inline backend showed the figure
    assert outputs[1].outputs[0]["text"].startswith("[]\n")  # the server imports no module of the package


def test_a_kernel_is_forked_from_the_server_and_gone_once_executed():
    from solutions.engine import kernels

    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nprint(os.getppid(), os.getpid())")])
    text = notebooks.execute(probe, "probe.ipynb", ROOT).cells[0].outputs[0]["text"]
    parent, kernel = map(int, text.split())
    assert parent == kernels._server(kernels.kernel_env(notebooks._kernel_env())).process.pid != os.getpid()
    with pytest.raises(ProcessLookupError):  # shut down, and reaped by the server
        os.kill(kernel, 0)


def test_a_failing_cell_is_named_with_its_notebook():
    companion = smallest()
    notebook = notebooks.build(companion)
    notebook.cells[3].source = notebook.cells[3].source.replace("inputs = {", "inputs = {'no_such_input': 1, ", 1)
    heading = notebook.cells[2].source.splitlines()[0]
    with pytest.raises(notebooks.NotebookError) as raised:
        notebooks.execute(notebook, companion.uri, ROOT)
    message = str(raised.value)
    assert message.startswith(f'companion notebook {companion.uri} failed at cell 3 (under "{heading}"): inputs = {{')
    assert "SolutionError" in message and "'no_such_input'" in message


def test_a_deferred_notebook_is_a_placeholder_until_executed_into_its_cache_entry(tmp_path, monkeypatch, built_site):
    # What `mkdocs serve` does after an edit (the hook's part is tested in test_site, under a real server).
    companion, repo_url = smallest(), CONFIG["repo_url"]
    [item] = notebooks.executed([companion], tmp_path, repo_url, defer=True)
    assert item.pending and not item.executed and item.target.name == notebooks.key(companion, repo_url)
    shown = nbformat.read(item.path, as_version=4)
    assert [cell.cell_type for cell in shown.cells] == ["markdown", "markdown"]  # no code cell: no outputs at all
    assert shown.cells[0].source.startswith(f"# {notebooks.TITLE}: ") and "Being executed again." in shown.cells[1].source

    # Edited again while it ran (the key of the package on disk is another): its outputs are not kept.
    real_key = notebooks.key
    monkeypatch.setattr(notebooks, "key", lambda *args, **kwargs: "edited-meanwhile")
    assert notebooks.complete(item, ROOT) is None and not item.target.exists()
    monkeypatch.setattr(notebooks, "key", real_key)

    assert notebooks.complete(item, ROOT) == item.target
    offered = (built_site / companion.folder / "notebook" / notebooks.NOTEBOOK).read_text(encoding="utf-8")
    assert (item.target / companion.uri).read_text(encoding="utf-8") == offered  # what a build executes
    [again] = notebooks.executed([companion], tmp_path, repo_url, defer=True)
    assert not again.pending and not again.executed and again.src_dir == item.target


def test_a_notebook_failing_in_the_background_is_recorded_and_the_server_told(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("companion_hook", ROOT / "overrides/hooks/companion_notebooks.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    monkeypatch.setattr(hook, "DONE", tmp_path)
    companion = smallest()
    [item] = notebooks.executed([companion], tmp_path / "root", defer=True)

    class Failing:  # stands for solutions.engine.notebooks, whose cell fails
        NotebookError = notebooks.NotebookError
        THREADS = notebooks.THREADS
        kernels_at_once = staticmethod(notebooks.kernels_at_once)

        @staticmethod
        def complete(item, root):
            raise notebooks.NotebookError(f"companion notebook {item.companion.uri} failed at cell 3: boom")

    hook._running.add(item.target.name)
    hook._complete(Failing, [item])
    assert hook._failed == {item.target.name: f"companion notebook {companion.uri} failed at cell 3: boom"}
    assert hook._running == set()
    assert (tmp_path / "stamp").read_text(encoding="utf-8") == item.target.name + "\n"  # the server rebuilds


def test_a_notebook_page_search_entries_are_kept_only_for_the_same_inputs(tmp_path, monkeypatch):
    import importlib.util
    from types import SimpleNamespace

    from mkdocs.structure.toc import AnchorLink

    spec = importlib.util.spec_from_file_location("companion_hook", ROOT / "overrides/hooks/companion_notebooks.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    monkeypatch.setattr(hook, "SEARCH", hook._Kept(tmp_path, ".json"))
    monkeypatch.setattr(hook, "_executed", [SimpleNamespace(companion=SimpleNamespace(uri="a/notebook.ipynb"))])
    made = []

    def add_entry_from_context(page):  # stands for Material's: one entry per call, naming what it read
        made.append(page.url)
        index.entries.append({"location": page.url, "title": page.title, "text": page.content})

    index = SimpleNamespace(entries=[])
    add = hook._entries_kept(index, add_entry_from_context)

    def page(uri, content, title="Notebook", toc=()):
        return SimpleNamespace(file=SimpleNamespace(src_uri=uri), url=uri.rsplit(".", 1)[0] + "/", title=title,
                               meta={}, toc=list(toc), content=content)

    add(page("a/notebook.ipynb", "<p>one</p>"))
    add(page("a/notebook.ipynb", "<p>one</p>"))  # the same inputs: read back, not made again
    assert made == ["a/notebook/"] and index.entries[0] == index.entries[1]
    add(page("a/notebook.ipynb", "<p>two</p>"))  # each thing the plugin reads is part of the key
    add(page("a/notebook.ipynb", "<p>one</p>", title="Renamed"))
    add(page("a/notebook.ipynb", "<p>one</p>", toc=[AnchorLink("Section", "section", 2)]))
    assert made == ["a/notebook/"] * 4
    assert [entry["text"] for entry in index.entries] == ["<p>one</p>", "<p>one</p>", "<p>two</p>", "<p>one</p>",
                                                          "<p>one</p>"]
    add(page("b/page.md", "<p>one</p>"))  # not a notebook page: the plugin's own, every time
    add(page("b/page.md", "<p>one</p>"))
    assert made[4:] == ["b/page/", "b/page/"] and len(list(tmp_path.glob("*.json"))) == 4


def test_printed_values_equal_the_committed_key(built_site):
    key = answerkey.load()
    checked = 0
    for companion in companions():
        notebook = site_notebook(built_site, companion)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(cell.execution_count for cell in code), companion.uri
        assert not [o for cell in code for o in cell.outputs if o.output_type == "error"], companion.uri
        printed = notebooks.printed_values(notebook)
        of_set = {id_ for id_ in key if id_.split(".")[0] == companion.problem_set.name}
        assert set(printed) == of_set, companion.uri
        for id_, value in printed.items():
            entry = key[id_]
            assert not answerkey.value_changes(id_, entry["value"], value, entry["rtol"], entry["atol"]), id_
            checked += 1
    assert checked == len([id_ for id_ in key if id_.split(".")[0] in {c.problem_set.name for c in companions()}])


# ------------------------------------------------------------------ on the site


def test_every_released_set_has_a_notebook_page_with_a_download_link_in_its_nav(built_site):
    folders = [folder for problem_set, folder, _ in sets.status(answerkey.compute()) if problem_set.released]
    assert [companion.folder for companion in companions()] == folders
    for folder in folders:
        page = BeautifulSoup((built_site / folder / "notebook/index.html").read_text(encoding="utf-8"), "html.parser")
        link = page.select_one("a[download]")
        assert link["href"] == notebooks.NOTEBOOK and "Download" in link["aria-label"], folder
        assert (built_site / folder / "notebook" / link["href"]).is_file()
        index = BeautifulSoup((built_site / folder / "index.html").read_text(encoding="utf-8"), "html.parser")
        assert [a for a in index.select("nav a") if a.get("href") == "notebook/"
                and a.get_text(strip=True) == notebooks.TITLE], f"{folder}: no nav entry"


def test_notebook_pages_fetch_nothing_elsewhere_and_mark_math_and_figures(built_site):
    figures = {companion.folder: sum(len(explore.run(module).figures) for module in companion.modules)
               for companion in companions()}
    for folder, count in figures.items():
        page = BeautifulSoup((built_site / folder / "notebook/index.html").read_text(encoding="utf-8"), "html.parser")
        for script in page.find_all("script"):
            assert not re.match(r"(https?:)?//", script.get("src", "")), f"{folder}: {script}"
            assert not re.search(r"https?://|mathjax\.hub|mermaid", script.get_text(), re.I), f"{folder}: {script}"
        for style in page.find_all("style"):
            assert not re.search(r"(url\(|@import)\s*['\"]?(https?:)?//", style.get_text()), folder
        cells = page.select("article .jp-RenderedMarkdown")
        assert cells and not [cell for cell in cells if "$" in cell.get_text()], f"{folder}: math left as $...$"
        assert page.select("article .jp-RenderedMarkdown .arithmatex"), folder
        # Each figure is an .svg file beside the page, loaded lazily, named by its alt text; the
        # page inlines neither SVG (whose ids would repeat) nor nbconvert's stylesheets (shared).
        drawn = page.select("article figure.notebook-figure img[loading=lazy]")
        assert len(drawn) == count, folder
        assert all(len(img["alt"]) > 40 for img in drawn), folder
        for img in drawn:
            svg = (built_site / folder / "notebook" / img["src"]).read_text(encoding="utf-8")
            assert "<svg " in svg and "viewBox=" in svg, f"{folder}: {img['src']}"
        assert not page.select("article figure svg") and not page.select("body style"), folder
        [shared] = [link["href"] for link in page.select("head link[rel=stylesheet]") if "notebook." in link["href"]]
        assert ".jupyter-wrapper .jp-" in (built_site / folder / "notebook" / shared).resolve().read_text(encoding="utf-8"), folder


# ------------------------------------------------------------------ cache and build


@pytest.fixture
def project(tmp_path):
    """A copy of the project with the lab set, and the working tree's cache (its executed notebooks) if any."""
    return lab_project(tmp_path / "project")


def built(project, site):
    result = build(project, site)
    assert result.returncode == 0, result.stderr
    return EXECUTED.findall(result.stderr), REUSED.findall(result.stderr)


def test_an_edit_reexecutes_only_its_sets_notebook_and_no_change_none(project, tmp_path):
    uris = [companion.uri for companion in companions()] + [f"{LAB_FOLDER}/notebook.ipynb"]
    executed, reused = built(project, tmp_path / "one")
    assert sorted(executed + reused) == sorted(uris)
    assert built(project, tmp_path / "two") == ([], uris)
    module = project / f"solutions/{LAB_SET}/batchnorm.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# an edit that changes no value\n", encoding="utf-8")
    executed, reused = built(project, tmp_path / "three")
    assert executed == [f"{LAB_FOLDER}/notebook.ipynb"]
    assert reused == [uri for uri in uris if uri not in executed]
    # Only the executed notebooks of the last build are kept.
    assert len(list((project / notebooks.CACHE).iterdir())) == len(uris)


def test_a_failing_notebook_fails_the_build_naming_notebook_and_cell(project):
    # The site's own computation never calls explore.Results.show; the notebooks do.
    edit(project / "solutions/engine/explore.py", '        print("\\n".join(self.lines()))',
         '        raise RuntimeError("boom")')
    result = build(project, project / "site")
    assert result.returncode != 0 and "RuntimeError: boom" in result.stderr
    assert re.search(r'companion notebook \S+/notebook\.ipynb failed at cell 3 \(under "## [^"]+"\)', result.stderr)


def test_an_unreleased_set_has_no_notebook(project, tmp_path):
    init = project / f"solutions/{LAB_SET}/__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\nRELEASED = False\n", encoding="utf-8")
    site = tmp_path / "site"
    executed, reused = built(project, site)
    assert f"{LAB_FOLDER}/notebook.ipynb" not in executed + reused
    assert not (site / f"{LAB_FOLDER}/notebook").exists()
    assert not list(site.rglob(f"{LAB_FOLDER}/**/*.ipynb"))
    index = BeautifulSoup((site / f"{LAB_FOLDER}/index.html").read_text(encoding="utf-8"), "html.parser")
    assert "notebook/" not in {a.get("href") for a in index.select("nav a")}  # its own, relative to it
    for companion in companions():  # every other set keeps its own
        assert f"../{companion.folder}/notebook/" in {a.get("href") for a in index.select("nav a")}
        assert (site / companion.folder / "notebook" / notebooks.NOTEBOOK).is_file()

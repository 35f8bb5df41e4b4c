"""The results cache: what a problem depends on, and which problems a build actually runs.

Which modules ran is observed, not inferred: the cache records every module it ran and every
one it reused, and a run on a copy of the project prints both. The edits below are those an
author makes (appending a comment changes a file's bytes and nothing else), so every run
here must publish exactly what the committed key holds.
"""

import filecmp
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys

import pytest

from solutions.engine import answerkey, cache, publish
from tests.conftest import LAB_SET, ROOT, build, copy_project, lab_project

# Run in a copy of the project (its own solutions package, its own .cache/solutions/):
# compute everything its pages publish, print which modules ran and which were reused.
RUN = """
import json
from solutions.engine import answerkey, cache
results = cache.Results(cache.default_folder("."))
catalog = answerkey.compute(results=results)
assert not answerkey.diff(answerkey.load(), catalog.key()), "published values differ from the key"
print(json.dumps({"computed": results.computed, "reused": results.reused}))
"""


def page_modules(root=ROOT):
    """Return every module named in a page's front matter, read from docs/ independently of the engine."""
    found = set()
    for path in (root / "docs").rglob("*.md"):
        match = re.match(r"---\n(?:(?!---\n).*\n)*?solution:\s*(\S+)\n", path.read_text(encoding="utf-8"))
        if match:
            found.add(match.group(1))
    return found


def run(project):
    """Compute the project's pages in a fresh process; return (modules computed, modules reused)."""
    result = subprocess.run([sys.executable, "-c", RUN], cwd=project, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"), timeout=300)
    assert result.returncode == 0, result.stderr
    logged = json.loads(result.stdout.strip().splitlines()[-1])
    return set(logged["computed"]), set(logged["reused"])


def append(path, text="\n# an edit that changes the file's bytes only\n"):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A copy of the project with the lab set, whose cache a first run filled (and that first run's log)."""
    project = lab_project(tmp_path_factory.mktemp("warm") / "project", cache=False)
    return project, run(project)


@pytest.fixture
def project(warm, tmp_path):
    """A copy of the warm project, with its cache, that a test may edit."""
    destination = tmp_path / "project"
    shutil.copytree(warm[0], destination)
    return destination


def test_an_empty_cache_computes_every_problem(warm):
    computed, reused = warm[1]
    assert computed == page_modules(warm[0]) and f"{LAB_SET}.batchnorm" in computed
    assert not reused


def test_nothing_changed_recomputes_nothing(project):
    computed, reused = run(project)
    assert computed == set()
    assert reused == page_modules(project)


def test_an_edited_module_recomputes_that_problem_only(project):
    append(project / f"solutions/{LAB_SET}/batchnorm.py")
    computed, reused = run(project)
    assert computed == {f"{LAB_SET}.batchnorm"}
    assert reused == page_modules(project) - computed


def test_an_edited_module_recomputes_the_problems_that_import_it(project):
    # A problem module may import another (its network, its data); editing that one reruns both.
    lab = project / f"solutions/{LAB_SET}"
    (lab / "helpers.py").write_text("SHIFT = 0\n", encoding="utf-8")
    edit_text = (lab / "batchnorm.py").read_text(encoding="utf-8")
    (lab / "batchnorm.py").write_text(edit_text.replace("import numpy as np\n", "import numpy as np\n\n"
                                                        f"from solutions.{LAB_SET}.helpers import SHIFT  # noqa: F401\n", 1),
                                      encoding="utf-8")
    assert run(project)[0] == {f"{LAB_SET}.batchnorm"}
    append(lab / "helpers.py")
    computed, _ = run(project)
    assert computed == {f"{LAB_SET}.batchnorm"}


def test_an_edited_core_file_recomputes_every_problem(project):
    append(project / "solutions/toolkit/fmt.py")
    computed, reused = run(project)
    assert computed == page_modules(project)
    assert not reused


def test_a_corrupt_entry_is_recomputed_and_overwritten(project):
    folder = cache.default_folder(project)
    other = sorted(page_modules(project) - {f"{LAB_SET}.batchnorm"})[0]
    entry = next(folder.glob(f"{other}.*.pickle"))
    entry.write_bytes(entry.read_bytes()[:100])  # as a crash in the middle of a plain write would leave it
    garbage = next(folder.glob(f"{LAB_SET}.batchnorm.*.pickle"))
    garbage.write_bytes(b"not a pickle at all")
    computed, _ = run(project)
    assert computed == {other, f"{LAB_SET}.batchnorm"}
    assert run(project)[0] == set()  # both were written again, whole


def test_a_failing_module_is_not_cached_and_its_last_good_result_still_serves(project):
    folder = cache.default_folder(project)
    before = sorted(path.name for path in folder.iterdir())
    module = project / f"solutions/{LAB_SET}/batchnorm.py"
    good = module.read_text(encoding="utf-8")
    module.write_text(good.replace("    mean = x.mean()", "    raise RuntimeError('boom')", 1), encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", RUN], cwd=project, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"), timeout=300)
    assert result.returncode != 0 and "RuntimeError: boom" in result.stderr
    assert sorted(path.name for path in folder.iterdir()) == before
    module.write_text(good, encoding="utf-8")
    assert run(project)[0] == set()


# ------------------------------------------------------------ in this process, a temporary cache folder

def _problems():
    """Return [(module, page)] of the real site, those that publish a figure first."""
    catalog = answerkey.compute(results=cache.Results(cache.default_folder(ROOT)))
    pairs = sorted((page.module, src) for src, page in catalog.pages.items())
    drawn = [(page.module, src) for src, page in sorted(catalog.pages.items()) if any(i.files for i in page.items.values())]
    return drawn + [pair for pair in pairs if pair not in drawn]


PROBLEMS = _problems()  # any content: these tests need two problems of the site, one with a figure
RIDGE, BATCHNORM = PROBLEMS[0], PROBLEMS[1]  # RIDGE publishes a figure


def test_a_cached_page_is_identical_to_a_fresh_one(tmp_path):
    fresh = publish.run_module(*RIDGE)
    assert any(item.files for item in fresh.items.values()), "ridge should publish a figure"
    first, second = cache.Results(tmp_path), cache.Results(tmp_path)
    stored, reused = first.page(*RIDGE), second.page(*RIDGE)
    assert (first.computed, second.reused, second.computed) == ([RIDGE[0]], [RIDGE[0]], [])
    for page in (stored, reused):
        assert list(page.items) == list(fresh.items)
        for name, item in fresh.items.items():
            assert page.items[name].entry == item.entry
            assert page.items[name].markdown == item.markdown
            assert page.items[name].files == item.files  # (uri, svg bytes) of both drawings


def test_a_new_entry_replaces_the_modules_older_ones_only(tmp_path):
    stale = tmp_path / f"{BATCHNORM[0]}.{'0' * 64}.pickle"
    neighbour = tmp_path / f"{BATCHNORM[0]}_variant.{'0' * 64}.pickle"
    other = tmp_path / f"{RIDGE[0]}.{'0' * 64}.pickle"
    for path in (stale, neighbour, other):
        path.write_bytes(b"an older entry")
    cache.Results(tmp_path).page(*BATCHNORM)
    entries = sorted(path.name for path in tmp_path.glob("*.pickle"))
    assert stale.name not in entries
    assert neighbour.name in entries and other.name in entries
    assert len([name for name in entries if name.startswith(BATCHNORM[0] + ".")]) == 1


def test_an_interrupted_write_leaves_no_entry_and_the_build_goes_on(tmp_path, monkeypatch):
    def interrupted(source, destination):
        raise OSError("disk full")
    monkeypatch.setattr(cache.os, "replace", interrupted)
    results = cache.Results(tmp_path)
    page = results.page(*BATCHNORM)
    assert page.items and results.computed == [BATCHNORM[0]]
    assert [what for what, _ in results.unwritable] == [cache.Results.IMPORTS, BATCHNORM[0]]
    assert list(tmp_path.iterdir()) == []  # neither an entry nor a temporary file


def test_an_entry_for_another_page_is_a_miss(tmp_path):
    # An entry is checked against the module and page it is read for, not only named after them.
    results = cache.Results(tmp_path)
    results.page(*BATCHNORM)
    entry = next(tmp_path.glob(f"{BATCHNORM[0]}.*.pickle"))
    page = pickle.loads(entry.read_bytes())
    page.src_uri = "elsewhere.md"
    entry.write_bytes(pickle.dumps(page))
    again = cache.Results(tmp_path)
    assert again.page(*BATCHNORM).src_uri == BATCHNORM[1]
    assert again.computed == [BATCHNORM[0]]


def test_an_outdated_or_garbled_imports_record_is_parsed_again(tmp_path):
    # imports.json spares a new process parsing the package; a record counts only for the bytes it was made from.
    key = cache.fingerprint([BATCHNORM[0]], BATCHNORM[1])
    cache.Results(tmp_path).page(*BATCHNORM)
    records = json.loads((tmp_path / cache.Results.IMPORTS).read_text())
    relative = BATCHNORM[0].replace(".", "/") + ".py"
    source = (ROOT / "solutions" / relative).read_bytes()
    assert records[relative][0] == hashlib.sha256(source).hexdigest()
    for garbled in ({relative: ["0" * 64, name, ["core.nonexistent"]] for relative, (_, name, _) in records.items()},
                    {relative: [digest, name, "core"] for relative, (digest, name, _) in records.items()},
                    "{not json"):
        (tmp_path / cache.Results.IMPORTS).write_text(garbled if isinstance(garbled, str) else json.dumps(garbled))
        results = cache.Results(tmp_path)
        results.page(*BATCHNORM)
        assert results._snapshot.parsed > 0
        assert results._snapshot.fingerprint([BATCHNORM[0]], BATCHNORM[1]) == key
        assert results.reused == [BATCHNORM[0]]
    assert cache.Results(tmp_path)._snapshot.parsed == 0


# ------------------------------------------------------------ dependencies()


def write(root, files):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_dependencies_follow_relative_sibling_and_package_imports(tmp_path, monkeypatch):
    package = tmp_path / "solutions"
    write(package, {
        "__init__.py": "",
        "toolkit/__init__.py": "",
        "toolkit/util.py": "import numpy\n",
        "myset/__init__.py": 'TITLE = "a set"\n',
        "myset/problem.py": ("from .helpers import f  # relative\n"
                             "from solutions.myset import sibling  # a sibling, absolute\n"
                             "def later():\n"
                             "    try:\n"
                             "        from ..other import thing  # relative, two levels, inside a function\n"
                             "    except ImportError:\n"
                             "        pass\n"),
        "myset/helpers.py": "from solutions.toolkit import util\nf = 1\n",
        "myset/sibling.py": "",
        "myset/unrelated.py": "",
        "other/__init__.py": "from solutions.other.impl import x  # run by importing anything in other\n",
        "other/impl.py": "x = 1\n",
        "other/thing.py": "",
        "other/unused.py": "",
    })
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    monkeypatch.setattr(cache, "SHARED_DIRS", (package / "toolkit",))
    assert cache.dependencies("myset.problem") == sorted([
        "__init__.py", "myset/__init__.py", "myset/problem.py", "myset/helpers.py", "myset/sibling.py",
        "toolkit/__init__.py", "toolkit/util.py", "other/__init__.py", "other/impl.py", "other/thing.py"])
    assert cache.dependencies("other.unused") == ["__init__.py", "other/__init__.py", "other/impl.py",
                                                   "other/unused.py"]
    # A module that does not parse still has a fingerprint (running it then reports the error).
    write(package, {"myset/broken.py": "from . import sibling\ndef f((x):\n"})
    assert cache.dependencies("myset.broken") == ["__init__.py", "myset/__init__.py", "myset/broken.py"]
    with pytest.raises(FileNotFoundError, match="solutions.myset.missing"):
        cache.dependencies("myset.missing")


def test_dependencies_of_a_real_problem_include_the_module_it_imports():
    found = cache.dependencies("section08.zero_initialization")
    assert {"section08/zero_initialization.py", "section08/forward_backward.py", "section08/__init__.py",
            "__init__.py", "toolkit/activations.py", "toolkit/figures.py"} <= set(found)
    assert "section08/chain_rule_warm_up.py" not in found


def test_the_fingerprint_is_that_of_the_files_and_the_page(tmp_path, monkeypatch):
    key = cache.fingerprint([BATCHNORM[0]], BATCHNORM[1])
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert cache.fingerprint([BATCHNORM[0]], BATCHNORM[1]) == key
    assert cache.fingerprint([BATCHNORM[0]], "another/page.md") != key
    assert cache.fingerprint([RIDGE[0]], BATCHNORM[1]) != key
    monkeypatch.setattr(cache, "environment", lambda: "python 3.11.7; numpy==0.0")
    assert cache.fingerprint([BATCHNORM[0]], BATCHNORM[1]) != key


def test_the_environment_names_the_installed_versions():
    from importlib import metadata

    for library in cache.LIBRARIES:
        assert f"{library}=={metadata.version(library)}" in cache.environment()


# ------------------------------------------------------------ the build


def test_a_build_from_the_cache_is_byte_identical_to_a_cold_build(tmp_path):
    project = copy_project(tmp_path / "project", cache=False)
    cold, cached = tmp_path / "cold", tmp_path / "cached"
    first = build(project, cold)
    assert first.returncode == 0, first.stderr
    second = build(project, cached)
    assert second.returncode == 0, second.stderr
    count = len(page_modules())
    assert f"solutions: {count} problem(s) recomputed, 0 reused" in first.stderr
    assert f"solutions: 0 problem(s) recomputed, {count} reused" in second.stderr

    def differing(c):
        return c.diff_files + c.left_only + c.right_only + [f for sub in c.subdirs.values() for f in differing(sub)]
    # The search entries of every notebook page were kept the first time and read back the second.
    assert len(list((project / ".cache/notebook-search").glob("*.json"))) == len(list(cold.rglob("*.ipynb")))
    assert not differing(filecmp.dircmp(cold, cached))
    for path in cold.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (cached / path.relative_to(cold)).read_bytes(), path


def test_the_cache_is_outside_docs_and_ignored_by_git():
    folder = cache.default_folder(ROOT)
    assert folder == ROOT / ".cache/solutions"
    assert ROOT / "docs" not in folder.parents
    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", str(folder / "x.pickle")])
    assert ignored.returncode == 0


def test_check_and_regenerate_reuse_the_cache_unless_told_not_to(tmp_path, monkeypatch):
    from solutions import __main__ as cli

    given = []
    def compute(docs_dir=answerkey.DOCS, results=None):
        given.append(results)
        raise publish.SolutionError("stop here")
    monkeypatch.setattr(answerkey, "compute", compute)
    monkeypatch.setattr(answerkey, "ROOT", tmp_path)
    assert cli.main(["check"]) == 2
    assert cli.main(["regenerate", "--no-cache"]) == 2
    assert isinstance(given[0], cache.Results) and given[0].folder == tmp_path / ".cache/solutions"
    assert given[1] is None


def test_the_key_comparison_measures_shapes_as_numpy_does():
    # The comparison of a rebuilt key runs without numpy (a build that reuses every problem never
    # imports it); numpy.shape is the reference for its shapes.
    import numpy as np

    for value in [1.5, [], [1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0, 3.0]], [[[1.0], [2.0]]], [[]], ["a", "b"]]:
        assert answerkey._shape(value) == np.shape(value), value
    assert answerkey._shape([[1.0, 2.0], [3.0]]) is None  # ragged: numpy refuses it
    assert [str(c) for c in answerkey.value_changes("t", [[1.0, 2.0]], [[1.0], [2.0]], 0, 0)] == [
        "t (shape): [[1.0, 2.0]] -> [[1.0], [2.0]]"]
    assert answerkey.value_changes("t", [[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0]], 0, 0) == []

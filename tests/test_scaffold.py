"""The scaffold and the lifecycle of a set (draft -> released -> corrected), walked as a new TA would, on
copies of the project; and the proof that the suite holds for any content: a copy with a new released
set, an erratum recorded today and another set held back runs the content-dependent tests green."""

import datetime
import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from solutions.engine import answerkey, scaffold, sets
from tests.conftest import ROOT, build, copy_project, edit

NEW = ["new", "softmax_set", "softmax_ce", "adam_step", "--title", "Homework 9: Softmax and Adam",
       "--course", "Example University CS 289, Fall 2026", "--source", "Homework 9 handout"]


def run_cli(project, *args):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "solutions", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)


def tree(project):
    """Return {path: sha256} of every file a scaffold may write (to prove that a refusal wrote nothing)."""
    return {path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for part in ("mkdocs.yml", "docs", "solutions", "tests") for path in sorted((project / part).rglob("*")
            if (project / part).is_dir() else [project / part]) if path.is_file() and "__pycache__" not in path.parts}


def release(init):
    """Release a set as the README says: delete the line `RELEASED = False` from its __init__.py."""
    lines = init.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("RELEASED = False")]
    assert len(kept) == len(lines) - 1, f"{init}: not one line RELEASED = False"
    init.write_text("".join(kept), encoding="utf-8")
    assert "draft" not in init.read_text(encoding="utf-8").lower(), f"{init}: still speaks of a draft once released"


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    """A copy of the project right after `new` (a draft set of two problems); returns (project, result, before)."""
    project = copy_project(tmp_path_factory.mktemp("scaffold") / "project")
    before = (project / "mkdocs.yml").read_text(encoding="utf-8")
    return project, run_cli(project, *NEW), before


def test_new_writes_a_draft_set_that_builds_and_checks_green(scaffolded, tmp_path):
    project, result, _ = scaffolded
    assert result.returncode == 0, result.stderr
    for path in ["solutions/softmax_set/__init__.py", "solutions/softmax_set/softmax_ce.py",
                 "solutions/softmax_set/adam_step.py", "docs/softmax-set/index.md", "docs/softmax-set/softmax-ce.md",
                 "docs/softmax-set/adam-step.md", "tests/test_softmax_set.py"]:
        assert (project / path).is_file() and path in result.stdout, path
    init = (project / "solutions/softmax_set/__init__.py").read_text(encoding="utf-8")
    assert "RELEASED = False" in init and "TITLE = 'Homework 9: Softmax and Adam'" in init
    page = (project / "docs/softmax-set/softmax-ce.md").read_text(encoding="utf-8")
    assert page.startswith("---\nsolution: softmax_set.softmax_ce\n---\n") and "*Restated from" in page
    assert '??? success "Solution"' in page and "{{ x }}" in page
    checked = run_cli(project, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    built = build(project, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    html = (tmp_path / "site/softmax-set/softmax-ce/index.html").read_text(encoding="utf-8")
    assert "Solutions not yet released" in html and "softmax_ce.py" not in html  # a draft: no link to its code


def test_new_edits_the_nav_as_text_keeping_comments_and_layout(scaffolded):
    project, _, before = scaffolded
    after = (project / "mkdocs.yml").read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == ['  - "Homework 9: Softmax and Adam":', "      - softmax-set/index.md",
                     '      - "1. Softmax ce": softmax-set/softmax-ce.md', '      - "2. Adam step": softmax-set/adam-step.md']
    assert [line for line in after.splitlines() if line not in added] == before.splitlines()  # nothing else moved
    nav = sets.nav_order(yaml.load(after, Loader=yaml.BaseLoader)["nav"])
    assert nav.index("softmax-set/adam-step.md") == nav.index("softmax-set/softmax-ce.md") + 1


def test_the_scaffolded_tests_are_skipped_with_the_fixed_marker(scaffolded):
    project, _, _ = scaffolded
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                             "tests/test_softmax_set.py"], cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout
    assert f"{scaffold.UNTESTED}: softmax_set.softmax_ce" in result.stdout and "2 skipped" in result.stdout


@pytest.mark.parametrize("args, message", [
    (NEW, "softmax_set"),  # the set exists: new with --title is refused
    (["new", "softmax_set", "softmax_ce"], "solutions/softmax_set/softmax_ce.py exists already"),
    (["new", "Bad-Set", "p", "--title", "t", "--course", "c", "--source", "s"], "set name 'Bad-Set' is not"),
    (["new", "fresh_set", "class", "--title", "t", "--course", "c", "--source", "s"], "problem name 'class' is not"),
    (["new", "engine", "p", "--title", "t", "--course", "c", "--source", "s"], "set name 'engine' is reserved"),
    (["new", "fresh_set", "p"], "a new set needs --title, --course, --source"),
])
def test_new_refuses_and_writes_nothing(scaffolded, args, message):
    project = scaffolded[0]
    before = tree(project)
    result = run_cli(project, *args)
    assert result.returncode == 2 and message in result.stderr and "Nothing was written" in result.stderr, result.stderr
    assert tree(project) == before


def test_releasing_with_an_untested_problem_fails_naming_problem_and_test_file(scaffolded, tmp_path):
    project = copy_project(tmp_path / "project")
    for part in tree(scaffolded[0]):
        (project / part).parent.mkdir(parents=True, exist_ok=True)
        (project / part).write_bytes((scaffolded[0] / part).read_bytes())
    release(project / "solutions/softmax_set/__init__.py")
    result = build(project, tmp_path / "site")
    assert result.returncode != 0
    assert re.search(r"tests/test_softmax_set\.py:\d+: problem softmax_set\.softmax_ce has no independent test yet",
                     result.stderr), result.stderr
    assert "softmax_set.adam_step" in result.stderr
    checked = run_cli(project, "check")
    assert checked.returncode == 1 and "softmax_set.adam_step has no independent test yet" in checked.stdout


def test_new_adds_a_problem_to_an_existing_set(scaffolded, tmp_path):
    project = copy_project(tmp_path / "project")
    for part in tree(scaffolded[0]):
        (project / part).parent.mkdir(parents=True, exist_ok=True)
        (project / part).write_bytes((scaffolded[0] / part).read_bytes())
    result = run_cli(project, "new", "softmax_set", "weight_decay")
    assert result.returncode == 0, result.stderr
    assert "3. [Weight decay](weight-decay.md)" in (project / "docs/softmax-set/index.md").read_text(encoding="utf-8")
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    assert '      - "2. Adam step": softmax-set/adam-step.md\n      - "3. Weight decay": softmax-set/weight-decay.md\n' in config
    assert run_cli(project, "check").returncode == 0
    assert build(project, tmp_path / "site").returncode == 0


# ------------------------------------------------------------ any content


# Every test file runs on the any-content copy except these, each named with why: a new test file runs
# there unless someone says here that it reads none of the sets.
READS_NO_SET = {
    "test_scaffold.py": "this proof, and scaffold tests that start from copies of their own",
    "test_toolkit.py": "the toolkit's functions on inputs written in the test",
    "test_css.py": "the stylesheet cutter on stylesheets written in the test",
}


def content_dependent(tests):
    """Return the test files of a tests/ folder that read the sets: all of them but READS_NO_SET."""
    names = sorted(path.name for path in tests.glob("test_*.py"))
    missing = sorted(set(READS_NO_SET) - set(names))
    assert not missing, f"READS_NO_SET names test files that {tests} does not have: {missing}"
    return [f"tests/{name}" for name in names if name not in READS_NO_SET]


def released_sets(project):
    """Return the names of the released sets of a project, in nav order (read from their packages)."""
    key = answerkey.load(project / "solutions/answers.json")
    names = []
    for entry in key.values():
        module = answerkey.solution_module(entry["page"], (project / "docs" / entry["page"]).read_text(encoding="utf-8"))
        name = module.split(".")[0]
        init = (project / "solutions" / name / "__init__.py").read_text(encoding="utf-8")
        if name not in names and not re.search(r"^RELEASED\s*=\s*False", init, re.M):
            names.append(name)
    return names


@pytest.mark.long
@pytest.mark.skipif(os.environ.get("ANY_CONTENT_COPY") == "1", reason="runs inside the copy it makes: once is enough")
def test_the_suite_holds_for_any_content(tmp_path):
    """A new TA's semester on a copy: a set added with the scaffold and released with real tests, an erratum
    recorded today in another released set, a third set held back; then every content-dependent test file
    runs on that copy, and passes."""
    project = copy_project(tmp_path / "project")
    (project / "README.md").write_bytes((ROOT / "README.md").read_bytes())
    (project / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    (project / "requirements.txt").write_bytes((ROOT / "requirements.txt").read_bytes())
    (project / ".github").mkdir()
    for path in (ROOT / ".github").rglob("*"):
        if path.is_file():
            (project / path.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
            (project / path.relative_to(ROOT)).write_bytes(path.read_bytes())
    (project / ".ci").mkdir()
    (project / ".ci/run").write_bytes((ROOT / ".ci/run").read_bytes())
    (project / ".gitignore").write_bytes((ROOT / ".gitignore").read_bytes())
    if (ROOT / "node_modules").is_dir():  # the audits the browser and validity tests run (axe-core, the Nu checker)
        (project / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)  # a clone is a repository: tests ask git what it ignores
    existing = released_sets(project)
    assert len(existing) >= 2, "needs two released sets to correct one and hold back another"

    # 1. a new set, written and released
    assert run_cli(project, "new", "holdout_set", "one_step", "--title", "Hold-out: one step", "--course",
                   "Example course", "--source", "its handout").returncode == 0
    module = project / "solutions/holdout_set/one_step.py"
    edit(module, '    page.input("x", INPUTS["x"])', '    page.input("x", INPUTS["x"])\n    page.value("square", INPUTS["x"] ** 2)')
    edit(project / "docs/holdout-set/one-step.md", "inside math: $x = {{ x }}$.", "inside math: $x^2 = {{ square }}$.")
    tests = project / "tests/test_holdout_set.py"
    tests.write_text(re.sub(r'@pytest.mark.skip\(reason="[^"]*"\)\n', "", tests.read_text(encoding="utf-8"))
                     .replace('assert values["x"] == one_step.INPUTS["x"]', 'assert values["square"] == 4  # 2 * 2 by hand'),
                     encoding="utf-8")
    release(project / "solutions/holdout_set/__init__.py")
    assert run_cli(project, "regenerate").returncode == 0

    # 2. an erratum dated today in a released set: its published value was wrong, the code now right
    key = json.loads((project / "solutions/answers.json").read_text(encoding="utf-8"))
    corrected = existing[0]
    id_ = next(id_ for id_, entry in sorted(key["values"].items()) if id_.startswith(corrected + ".")
               and entry["kind"] == "value" and isinstance(entry["value"], float))
    key["values"][id_]["value"] += 1.0  # as it was published
    (project / "solutions/answers.json").write_text(answerkey.dumps(key["values"]), encoding="utf-8")
    recorded = run_cli(project, "regenerate", "--erratum", "A value was misprinted.")
    assert recorded.returncode == 0, recorded.stderr
    assert datetime.date.today().isoformat() in (project / "solutions/errata.yml").read_text(encoding="utf-8")

    # 3. another set held back
    held = existing[-1]
    init = project / f"solutions/{held}/__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\nRELEASED = False\n", encoding="utf-8")
    assert run_cli(project, "check").returncode == 0

    files = content_dependent(project / "tests")
    assert "tests/test_holdout_set.py" in files  # the new set's own tests run too
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *files], cwd=project,
                            capture_output=True, text=True, timeout=3000, env=dict(os.environ, ANY_CONTENT_COPY="1"))
    assert result.returncode == 0, result.stdout[-6000:]

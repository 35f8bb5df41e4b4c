"""The errata register and problems-only releases: the workflow of a correction, walked on a
temporary copy of the project, and a set published as problems only, proven to leak no answer."""

import json
import math
import os
import re
import subprocess
import sys

import pytest
import yaml
from bs4 import BeautifulSoup

from solutions.engine import answerkey, errata, sets
from solutions.toolkit import fmt
from solutions.engine.publish import SolutionError
from tests.conftest import LAB_FOLDER, LAB_SET, LAB_TITLE, ROOT, build, edit, lab_project


def run_cli(project, *args):
    """Run `python -m solutions ARGS` in project, as an author would; return the CompletedProcess."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "solutions", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


def article(site, url):
    return BeautifulSoup((site / url / "index.html").read_text(encoding="utf-8"), "html.parser").select_one("article")


# ------------------------------------------------------------ the register, line by line


def write_register(tmp_path, document):
    path = tmp_path / "errata.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


ENTRY = {"date": "2026-11-20", "problem": "midterm_review.batchnorm", "what": "Wrong divisor.",
         "changes": [{"id": "midterm_review.batchnorm.var", "old": 12.0, "new": 9.0}]}


@pytest.mark.parametrize("change, message", [
    ({"date": "20 Nov"}, "entry 1: date '20 Nov' is not a date"),
    ({"what": " "}, "entry 1: `what` must say what was wrong"),
    ({"changes": []}, "entry 1: `changes` must list at least one changed value"),
    ({"changes": [{"id": "midterm_review.ridge.gain", "old": 1, "new": 2}]},
     "entry 1: id 'midterm_review.ridge.gain' is not a value of problem midterm_review.batchnorm"),
    ({"changes": [{"id": "midterm_review.batchnorm.var", "new": 2}]}, "entry 1: each change needs exactly id, old and new"),
])
def test_a_malformed_entry_is_refused_naming_file_and_entry(tmp_path, change, message):
    path = write_register(tmp_path, [{**ENTRY, **change}])
    with pytest.raises(errata.ErrataError, match=re.escape(f"{path}: {message}")):
        errata.load(path)


def test_entries_out_of_order_are_refused(tmp_path):
    path = write_register(tmp_path, [ENTRY, {**ENTRY, "date": "2026-01-01"}])
    with pytest.raises(errata.ErrataError, match="oldest first"):
        errata.load(path)


def test_the_register_agrees_with_the_key_through_its_newest_entry(tmp_path):
    later = {**ENTRY, "date": "2026-11-21", "changes": [{"id": "midterm_review.batchnorm.var", "old": 9.0, "new": 8.0}]}
    entries = errata.load(write_register(tmp_path, [ENTRY, later]))
    assert errata.disagreements(entries, {"midterm_review.batchnorm.var": {"value": 8.0}}) == []
    [message] = errata.disagreements(entries, {"midterm_review.batchnorm.var": {"value": 9.0}})
    assert message.startswith("midterm_review.batchnorm.var: the register's newest value 8.0 is not the key's 9.0")
    [message] = errata.disagreements(entries, {})
    assert message == "midterm_review.batchnorm.var: no such id in the answer key"


def test_the_register_round_trips_exactly(tmp_path):
    # Full float64 values must survive YAML: the check compares them exactly.
    values = [0.1 + 0.2, -1.6666666666666667, 1e-300, [[1.5, 2.0], [3.25, 1 / 3]]]
    entries = errata.record([], {"midterm_review.batchnorm": [
        errata.Change(f"midterm_review.batchnorm.v{i}", v, v) for i, v in enumerate(values)]}, "x", "2026-11-22")
    path = tmp_path / "errata.yml"
    path.write_text(errata.dumps(entries), encoding="utf-8")
    assert errata.load(path) == entries


# ------------------------------------------------------------ which changes need an erratum


def key_of(**values):
    return {id_: {"value": v, "rtol": 1e-12, "atol": 0.0} for id_, v in values.items()}


def test_only_changed_or_removed_values_of_released_sets_need_an_erratum(fake_sets):
    fake_sets("relset")
    fake_sets("draftset", released=False)
    old = key_of(**{"relset.bn.mean": 6.0, "relset.bn.var": 9.0, "relset.bn.std": 3.0, "draftset.ridge.w": 1.0})
    new = key_of(**{"relset.bn.mean": 6.0 * (1 + 1e-14),  # roundoff: within tolerance
                    "relset.bn.var": 12.0,  # changed
                    "relset.bn.fresh": 1.0,  # new id: free
                    "draftset.ridge.w": 2.0})  # unreleased set: free
    assert answerkey.protected(old, new) == ["relset.bn.std", "relset.bn.var"]


# ------------------------------------------------------------ statements only


def test_statement_only_drops_solution_blocks_and_keeps_every_heading():
    page = ("# 1. Title\n\nState the problem.\n\n!!! note \"Assumed\"\n\n    A stated input.\n\n"
            "## (a) First part\n\nAsk (a).\n\n??? success \"Solution\"\n\n    Answer (a).\n\n"
            "        nested code\n\n    !!! failure \"Where it goes wrong\"\n\n        Inside.\n\n"
            "## Verification\n\n???+ success \"Verification\"\n\n    A check.\n\n## (b) Second part\n\nAsk (b).\n")
    assert sets.statement_only(page) == ("# 1. Title\n\nState the problem.\n\n!!! note \"Assumed\"\n\n"
                                         "    A stated input.\n\n## (a) First part\n\nAsk (a).\n\n"
                                         "## Verification\n\n## (b) Second part\n\nAsk (b).\n")


# ------------------------------------------------------------ the whole correction, as an author makes it


@pytest.fixture(scope="module")
def corrected(tmp_path_factory):
    """A copy of the project walked through one correction; returns (project, site, outputs by step).

    The copy (with the lab set, and a register of its own) first publishes a mistake (the lab
    batchnorm's variance over m - 1 instead of m, its key written as a release would have been);
    the correction then restores the formula.
    """
    project = lab_project(tmp_path_factory.mktemp("errata") / "project")
    register, key = project / "solutions/errata.yml", project / "solutions/answers.json"
    module = project / f"solutions/{LAB_SET}/batchnorm.py"
    right, wrong = "var = ((x - mean) ** 2).mean()", "var = ((x - mean) ** 2).sum() / (x.size - 1)"
    edit(module, right, wrong)
    published = subprocess.run([sys.executable, "-c", "from solutions.engine import answerkey; "
                                "answerkey.save(answerkey.compute().key())"], cwd=project)
    assert published.returncode == 0
    steps = {"check_before": run_cli(project, "check")}
    edit(module, wrong, right)  # the fix
    steps["check"] = run_cli(project, "check")
    before = (register.read_bytes(), key.read_bytes())
    steps["refused"] = run_cli(project, "regenerate")
    steps["untouched"] = (register.read_bytes(), key.read_bytes()) == before
    steps["recorded"] = run_cli(project, "regenerate", "--erratum", "The variance was divided by m - 1.",
                                "--date", "2026-11-20")
    steps["check_after"] = run_cli(project, "check")
    site = project / "site"
    steps["build"] = build(project, site)
    return project, site, steps


def test_a_corrected_value_fails_check_naming_its_ids(corrected):
    steps = corrected[2]
    assert steps["check_before"].returncode == 0, steps["check_before"].stdout  # the mistake, as published
    result = steps["check"]
    assert result.returncode == 1
    # {2, 3, 5, 11}: mean 21/4, squared deviations (13/4)^2 + (9/4)^2 + (1/4)^2 + (23/4)^2 = 195/4;
    # the mistake (195/4) / 3 = 16.25, the fix (195/4) / 4 = 12.1875.
    assert "labset.batchnorm.var: 16.25 -> 12.1875" in result.stdout
    assert f"labset.batchnorm.std: {math.sqrt(16.25)!r} -> {math.sqrt(12.1875)!r}" in result.stdout
    assert "--erratum" in result.stdout


def test_regenerate_without_an_erratum_refuses_and_writes_nothing(corrected):
    steps = corrected[2]
    assert steps["refused"].returncode == 1
    assert "labset.batchnorm.var: 16.25 -> 12.1875" in steps["refused"].stderr
    assert steps["untouched"]


def test_regenerate_with_an_erratum_records_old_and_new_values(corrected):
    project, _, steps = corrected
    assert steps["recorded"].returncode == 0, steps["recorded"].stderr
    [entry] = errata.load(project / "solutions/errata.yml")
    assert (entry.date, entry.problem, entry.what) == ("2026-11-20", "labset.batchnorm",
                                                       "The variance was divided by m - 1.")
    changes = {change.id: (change.old, change.new) for change in entry.changes}
    assert changes["labset.batchnorm.var"] == (16.25, 12.1875)
    assert changes["labset.batchnorm.std"] == (pytest.approx(16.25 ** 0.5, rel=1e-15), pytest.approx(12.1875 ** 0.5, rel=1e-15))
    assert steps["check_after"].returncode == 0, steps["check_after"].stdout
    assert "1 correction(s)" in steps["check_after"].stdout


def test_the_errata_page_lists_the_correction_and_the_page_says_it_was_corrected(corrected):
    _, site, steps = corrected
    assert steps["build"].returncode == 0, steps["build"].stderr
    page = article(site, "errata")
    heading = page.find("h2", id="erratum-1")
    assert heading is not None and "2026-11-20" in heading.get_text()
    assert "1. Batchnorm of four numbers" in heading.get_text()
    rows = {tr.find_all("td")[0].get_text(): [td.get_text() for td in tr.find_all("td")[1:]]
            for tr in page.select("table tr") if tr.find_all("td")}
    assert rows["labset.batchnorm.var"] == ["16.25", "12.1875"]
    assert page.find("a", href=f"../{LAB_FOLDER}/batchnorm/") is not None
    note = article(site, f"{LAB_FOLDER}/batchnorm").select_one(".corrected")
    assert note is not None and "Corrected on" in note.get_text()
    assert note.find("a")["href"] == "../../errata/#erratum-1"
    other = next(entry["url"] for id_, entry in answerkey.load(site.parent / "solutions/answers.json").items()
                 if not id_.startswith(LAB_SET + ".") and entry["url"].count("/") == 2)
    assert article(site, other.rstrip("/")).select_one(".corrected") is None  # the copy's register names no other page


@pytest.mark.parametrize("tamper, named", [
    (lambda text: text.replace("new: 12.1875", "new: 8.0"), "labset.batchnorm.var: the register's newest value 8.0"),
    (lambda text: text.replace("id: labset.batchnorm.var", "id: labset.batchnorm.variance"),
     "labset.batchnorm.variance: no such id in the answer key"),
])
def test_check_and_the_build_fail_when_register_and_key_disagree(corrected, tmp_path, tamper, named):
    project = lab_project(tmp_path / "project")
    for part in ("solutions/errata.yml", "solutions/answers.json", f"solutions/{LAB_SET}/batchnorm.py"):
        (project / part).write_bytes((corrected[0] / part).read_bytes())
    register = project / "solutions/errata.yml"
    register.write_text(tamper(register.read_text(encoding="utf-8")), encoding="utf-8")
    result = run_cli(project, "check")
    assert result.returncode == 1 and named in result.stdout, result.stdout
    result = build(project, tmp_path / "site")
    assert result.returncode != 0 and named in result.stderr


def test_the_site_has_an_errata_page_and_marks_each_set_as_its_package_says(built_site):
    assert "No published value has been corrected so far." in article(built_site, "errata").get_text() \
        or article(built_site, "errata").find("h2", id="erratum-1")
    rows = article(built_site, "").select("table tbody tr")
    titles = {}
    for init in sorted((ROOT / "solutions").glob("*/__init__.py")):
        if init.parent.name not in ("engine", "toolkit"):
            problem_set = sets.problem_set(f"{init.parent.name}.x")
            titles[problem_set.title] = "released" if problem_set.released else "problems only"
    assert rows and {row.find("a").get_text(): row.find_all("td")[2].get_text() for row in rows} == titles


# ------------------------------------------------------------ a set published as problems only

UNRELEASED = LAB_SET  # the lab set, so that the real sets may be in any state


def distinctive_numbers(value):
    """Return the numbers of a value as the site prints them, keeping those with four or more digits."""
    if isinstance(value, list):
        return {text for v in value for text in distinctive_numbers(v)}
    if isinstance(value, str):
        return set()
    return {text for digits in (fmt.DIGITS, 6) if len(re.sub(r"\D", "", text := fmt.number(value, digits))) >= 4}


def site_texts(site, skip_folder=None):
    """Return {path: text} of every text file of a built site (skipping one folder, if given)."""
    texts = {}
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".xml", ".ipynb", ".js", ".svg", ".txt"):
            relative = path.relative_to(site).as_posix()
            if skip_folder and relative.startswith(skip_folder):
                continue
            if relative.startswith("assets/"):
                continue  # the theme's and MathJax's own files
            texts[relative] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def mark_unreleased(project):
    """Mark the set UNRELEASED as not released, in the one place that says so: its __init__.py."""
    init = project / f"solutions/{UNRELEASED}/__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\nRELEASED = False\n", encoding="utf-8")


@pytest.fixture(scope="module")
def problems_only(tmp_path_factory):
    """The site built from a copy of the project in which one set is marked unreleased."""
    project = lab_project(tmp_path_factory.mktemp("unreleased") / "project")
    mark_unreleased(project)
    site = project / "site"
    result = build(project, site)
    assert result.returncode == 0, result.stderr
    return site


def test_an_unreleased_set_publishes_none_of_its_answers_anywhere(problems_only, built_site):
    key = answerkey.load(problems_only.parent / "solutions/answers.json")
    answers = {id_: entry for id_, entry in key.items()
               if id_.startswith(UNRELEASED + ".") and entry["kind"] != "input" and not entry.get("statement")}
    assert len(answers) >= 5  # mean, var, std, out, and the mistake
    published = json.loads((problems_only / "answers.json").read_text())["values"]
    assert not set(answers) & set(published)
    real = json.loads((built_site / "answers.json").read_text())["values"]
    assert set(published) >= set(real)  # every other set publishes what it published without the lab set

    texts = site_texts(problems_only)
    folder = LAB_FOLDER
    # A number counts as revealed only if the released site shows it nowhere but in this set's pages.
    elsewhere = "\n".join(site_texts(built_site).values())  # the site without the lab set
    elsewhere = elsewhere.replace(json.dumps(json.loads(site_texts(built_site)["answers.json"])), "")
    tokens = {token for entry in answers.values() for token in distinctive_numbers(entry["value"])}
    tokens = {token for token in tokens if token not in elsewhere}
    assert len(tokens) >= 5, folder
    revealed = sorted(f"{token} in {path}" for token in tokens for path, text in texts.items()
                      if token in text and path != "answers.json")
    assert not revealed, revealed[:10]
    for id_ in answers:
        assert not any(id_ in text for text in texts.values()), f"{id_} appears in the site"


def test_an_unreleased_set_keeps_its_statements_and_says_its_solutions_are_coming(problems_only):
    page = article(problems_only, f"{LAB_FOLDER}/batchnorm")
    text = page.get_text()
    assert "Run batch normalization" in text and r"\begin{bmatrix} 2 & 3 & 5 & 11 \end{bmatrix}" in text
    assert "Solutions not yet released" in text
    assert not page.select("details")
    assert not page.select(".provenance a[href*='solutions/'], .provenance a[href*='tests/']")  # no link to the code
    handout = article(problems_only, f"{LAB_FOLDER}/print").get_text()
    assert "Solutions not yet released" in handout and r"\mu =" not in handout and "Common mistake" not in handout
    figures = [p for p in (problems_only / LAB_FOLDER).rglob("*.svg")]
    assert figures == []  # the set's one figure belongs to its solution


def test_the_landing_page_shows_which_sets_are_released(problems_only, built_site):
    rows = {row.find("a").get_text(): row.find_all("td")[2].get_text()
            for row in article(problems_only, "").select("table tbody tr")}
    assert rows.pop(LAB_TITLE) == "problems only"
    real = {row.find("a").get_text(): row.find_all("td")[2].get_text()
            for row in article(built_site, "").select("table tbody tr")}
    assert rows == real  # every other set as it was


def test_an_answer_outside_the_solution_blocks_of_an_unreleased_set_fails_the_build(tmp_path):
    project = lab_project(tmp_path / "project")
    mark_unreleased(project)
    edit(project / f"docs/{LAB_FOLDER}/batchnorm.md", "## Solution", "The mean is ${{ mean }}$.\n\n## Solution")
    result = build(project, tmp_path / "site")
    assert result.returncode != 0
    assert f"docs/{LAB_FOLDER}/batchnorm.md: its set is not released, but mean is shown outside" in result.stderr


def test_released_must_be_a_boolean(fake_sets):
    fake_sets("someset", released="no")
    with pytest.raises(SolutionError, match=r"solutions/someset/__init__.py: RELEASED must be True or False"):
        sets.problem_set("someset.problem")


def test_a_value_recorded_as_removed_must_be_gone_from_the_key(tmp_path):
    removed = {**ENTRY, "changes": [{"id": "midterm_review.batchnorm.var", "old": 9.0, "new": None}]}
    entries = errata.load(write_register(tmp_path, [removed]))
    assert errata.disagreements(entries, {}) == []
    [message] = errata.disagreements(entries, {"midterm_review.batchnorm.var": {"value": 9.0}})
    assert message == "midterm_review.batchnorm.var: the register says it was removed, but the answer key has it"

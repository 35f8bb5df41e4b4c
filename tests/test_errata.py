"""The errata register and problems-only releases: the workflow of a correction, walked on a
temporary copy of the project, and a set published as problems only, proven to leak no answer."""

import json
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
from tests.conftest import build, copy_project, edit


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


def test_only_changed_or_removed_values_of_released_sets_need_an_erratum(monkeypatch):
    import solutions.discussion2 as unreleased
    monkeypatch.setattr(unreleased, "RELEASED", False, raising=False)
    old = key_of(**{"midterm_review.batchnorm.mean": 6.0, "midterm_review.batchnorm.var": 9.0,
                    "midterm_review.batchnorm.std": 3.0, "discussion2.map_ridge.w": 1.0})
    new = key_of(**{"midterm_review.batchnorm.mean": 6.0 * (1 + 1e-14),  # roundoff: within tolerance
                    "midterm_review.batchnorm.var": 12.0,  # changed
                    "midterm_review.batchnorm.fresh": 1.0,  # new id: free
                    "discussion2.map_ridge.w": 2.0})  # unreleased set: free
    assert answerkey.protected(old, new) == ["midterm_review.batchnorm.std", "midterm_review.batchnorm.var"]


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

    The copy first publishes a mistake (batchnorm's variance over m - 1 instead of m, its key
    written as a release would have been); the correction then restores the formula.
    """
    project = copy_project(tmp_path_factory.mktemp("errata") / "project")
    register, key = project / "solutions/errata.yml", project / "solutions/answers.json"
    module = project / "solutions/midterm_review/batchnorm.py"
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
    # {1, 7, 7, 9}: mean 6, squared deviations 25 + 1 + 1 + 9 = 36; the mistake 36 / 3 = 12, the fix 36 / 4 = 9.
    assert "midterm_review.batchnorm.var: 12.0 -> 9.0" in result.stdout
    assert "midterm_review.batchnorm.std: 3.4641016151377544 -> 3.0" in result.stdout  # sqrt(12) -> 3
    assert "--erratum" in result.stdout


def test_regenerate_without_an_erratum_refuses_and_writes_nothing(corrected):
    steps = corrected[2]
    assert steps["refused"].returncode == 1
    assert "midterm_review.batchnorm.var: 12.0 -> 9.0" in steps["refused"].stderr
    assert steps["untouched"]


def test_regenerate_with_an_erratum_records_old_and_new_values(corrected):
    project, _, steps = corrected
    assert steps["recorded"].returncode == 0, steps["recorded"].stderr
    [entry] = errata.load(project / "solutions/errata.yml")
    assert (entry.date, entry.problem, entry.what) == ("2026-11-20", "midterm_review.batchnorm",
                                                       "The variance was divided by m - 1.")
    changes = {change.id: (change.old, change.new) for change in entry.changes}
    assert changes["midterm_review.batchnorm.var"] == (12.0, 9.0)
    assert changes["midterm_review.batchnorm.std"] == (pytest.approx(12 ** 0.5, rel=1e-15), 3.0)
    assert steps["check_after"].returncode == 0, steps["check_after"].stdout
    assert "1 correction(s)" in steps["check_after"].stdout


def test_the_errata_page_lists_the_correction_and_the_page_says_it_was_corrected(corrected):
    _, site, steps = corrected
    assert steps["build"].returncode == 0, steps["build"].stderr
    page = article(site, "errata")
    heading = page.find("h2", id="erratum-1")
    assert heading is not None and "2026-11-20" in heading.get_text()
    assert "3. Batchnorm of a small batch" in heading.get_text()
    rows = {tr.find_all("td")[0].get_text(): [td.get_text() for td in tr.find_all("td")[1:]]
            for tr in page.select("table tr") if tr.find_all("td")}
    assert rows["midterm_review.batchnorm.var"] == ["12", "9"]
    assert page.find("a", href="../midterm-review/batchnorm/") is not None
    note = article(site, "midterm-review/batchnorm").select_one(".corrected")
    assert note is not None and "Corrected on" in note.get_text()
    assert note.find("a")["href"] == "../../errata/#erratum-1"
    assert article(site, "midterm-review/ridge").select_one(".corrected") is None


@pytest.mark.parametrize("tamper, named", [
    (lambda text: text.replace("new: 9.0", "new: 8.0"), "midterm_review.batchnorm.var: the register's newest value 8.0"),
    (lambda text: text.replace("id: midterm_review.batchnorm.var", "id: midterm_review.batchnorm.variance"),
     "midterm_review.batchnorm.variance: no such id in the answer key"),
])
def test_check_and_the_build_fail_when_register_and_key_disagree(corrected, tmp_path, tamper, named):
    project = copy_project(tmp_path / "project")
    for part in ("solutions/errata.yml", "solutions/answers.json", "solutions/midterm_review/batchnorm.py"):
        (project / part).write_bytes((corrected[0] / part).read_bytes())
    register = project / "solutions/errata.yml"
    register.write_text(tamper(register.read_text(encoding="utf-8")), encoding="utf-8")
    result = run_cli(project, "check")
    assert result.returncode == 1 and named in result.stdout, result.stdout
    result = build(project, tmp_path / "site")
    assert result.returncode != 0 and named in result.stderr


def test_the_released_site_has_an_errata_page_and_every_set_is_marked_released(built_site):
    assert "No published value has been corrected so far." in article(built_site, "errata").get_text() \
        or article(built_site, "errata").find("h2", id="erratum-1")
    rows = article(built_site, "").select("table tbody tr")
    assert rows and all(row.find_all("td")[2].get_text() == "released" for row in rows)


# ------------------------------------------------------------ a set published as problems only

UNRELEASED = "midterm_review"


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
    project = copy_project(tmp_path_factory.mktemp("unreleased") / "project")
    mark_unreleased(project)
    site = project / "site"
    result = build(project, site)
    assert result.returncode == 0, result.stderr
    return site


def test_an_unreleased_set_publishes_none_of_its_answers_anywhere(problems_only, built_site):
    key = answerkey.load()
    answers = {id_: entry for id_, entry in key.items()
               if id_.startswith(UNRELEASED + ".") and entry["kind"] != "input" and not entry.get("statement")}
    assert len(answers) > 40
    published = json.loads((problems_only / "answers.json").read_text())["values"]
    assert not set(answers) & set(published)
    assert set(published) >= {id_ for id_ in key if not id_.startswith(UNRELEASED + ".")}  # other sets unchanged

    texts = site_texts(problems_only)
    folder = sets.problem_set(next(iter(answers)).rsplit(".", 1)[0])
    # A number counts as revealed only if the released site shows it nowhere but in this set's pages.
    elsewhere = "\n".join(site_texts(built_site, skip_folder="midterm-review/").values())
    elsewhere = elsewhere.replace(json.dumps(json.loads(site_texts(built_site)["answers.json"])), "")
    tokens = {token for entry in answers.values() for token in distinctive_numbers(entry["value"])}
    tokens = {token for token in tokens if token not in elsewhere}
    assert len(tokens) > 30, folder
    revealed = sorted(f"{token} in {path}" for token in tokens for path, text in texts.items()
                      if token in text and path != "answers.json")
    assert not revealed, revealed[:10]
    for id_ in answers:
        assert not any(id_ in text for text in texts.values()), f"{id_} appears in the site"


def test_an_unreleased_set_keeps_its_statements_and_says_its_solutions_are_coming(problems_only):
    page = article(problems_only, "midterm-review/batchnorm")
    text = page.get_text()
    assert "Run batch normalization" in text and r"\begin{bmatrix} 1 & 7 & 7 & 9 \end{bmatrix}" in text
    assert "Solutions not yet released" in text
    assert not page.select("details")
    handout = article(problems_only, "midterm-review/print").get_text()
    assert "Solutions not yet released" in handout and r"\mu = 6" not in handout
    figures = [p for p in (problems_only / "midterm-review").rglob("*.svg")]
    assert figures == []  # every figure of this set belongs to a solution


def test_the_landing_page_shows_which_sets_are_released(problems_only):
    rows = {row.find("a").get_text(): row.find_all("td")[2].get_text()
            for row in article(problems_only, "").select("table tbody tr")}
    from solutions import discussion2, midterm_review
    assert rows[midterm_review.TITLE] == "problems only"
    assert rows[discussion2.TITLE] == "released"


def test_an_answer_outside_the_solution_blocks_of_an_unreleased_set_fails_the_build(tmp_path):
    project = copy_project(tmp_path / "project")
    mark_unreleased(project)
    edit(project / "docs/midterm-review/batchnorm.md", "## Solution", "The mean is ${{ mean }}$.\n\n## Solution")
    result = build(project, tmp_path / "site")
    assert result.returncode != 0
    assert "page midterm-review/batchnorm.md: its set is not released, but mean is shown outside" in result.stderr


def test_released_must_be_a_boolean(monkeypatch):
    import solutions.midterm_review as package
    monkeypatch.setattr(package, "RELEASED", "no", raising=False)
    with pytest.raises(SolutionError, match=r"solutions/midterm_review/__init__.py: RELEASED must be True or False"):
        sets.problem_set("midterm_review.batchnorm")


def test_a_value_recorded_as_removed_must_be_gone_from_the_key(tmp_path):
    removed = {**ENTRY, "changes": [{"id": "midterm_review.batchnorm.var", "old": 9.0, "new": None}]}
    entries = errata.load(write_register(tmp_path, [removed]))
    assert errata.disagreements(entries, {}) == []
    [message] = errata.disagreements(entries, {"midterm_review.batchnorm.var": {"value": 9.0}})
    assert message == "midterm_review.batchnorm.var: the register says it was removed, but the answer key has it"

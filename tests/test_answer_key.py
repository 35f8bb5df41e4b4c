"""The committed answer key against recomputation, and the check / regenerate commands."""

import json
import re
import shutil

import pytest

from solutions import __main__ as cli
from solutions.engine import answerkey, errata, sets


def test_committed_key_matches_recomputation():
    committed, fresh = answerkey.load(), answerkey.compute().key()
    assert committed, "solutions/answers.json is missing or empty"
    changes = answerkey.diff(committed, fresh)
    assert not changes, "\n".join(map(str, changes))


def test_every_entry_has_value_page_and_inputs():
    for id_, entry in answerkey.load().items():
        assert id_.count(".") >= 2, id_
        assert entry["page"].endswith(".md") and entry["inputs"], id_
        assert "value" in entry, id_


def test_key_is_byte_identical_from_one_computation_to_the_next():
    first, second = answerkey.compute(), answerkey.compute()
    assert answerkey.dumps(first.key()) == answerkey.dumps(second.key())
    assert first.figures() == second.figures()


@pytest.fixture
def key_copy(tmp_path, monkeypatch):
    """A copy of the committed key that check and regenerate read and write instead, with a register of
    their own (empty: it agrees with any key)."""
    path = tmp_path / "answers.json"
    shutil.copy(answerkey.KEY_PATH, path)
    monkeypatch.setattr(answerkey, "KEY_PATH", path)
    monkeypatch.setattr(answerkey, "ROOT", tmp_path)
    (tmp_path / "errata.yml").write_text(errata.dumps([]), encoding="utf-8")
    monkeypatch.setattr(errata, "PATH", tmp_path / "errata.yml")
    return path


def released_entry(wanted):
    """Return (id, entry) of the first value in the committed key, of a released set, for which wanted(entry)
    holds: the tests below alter whichever values the sets hold, so that they hold for any content."""
    for id_, entry in sorted(answerkey.load().items()):
        if entry["kind"] == "value" and sets.problem_set(id_.rsplit(".", 1)[0]).released and wanted(entry):
            return id_, entry
    pytest.skip("no released set publishes such a value")


def scalar(entry):
    return isinstance(entry["value"], float) and abs(entry["value"]) > 1e-3 and entry["rtol"] <= 1e-9


def vector(entry):
    return (isinstance(entry["value"], list) and len(entry["value"]) >= 2
            and all(isinstance(v, float) for v in entry["value"]) and entry["rtol"] <= 1e-9)


def reported(text, where, old):
    """Return the new value the output reports for `where: old -> new` (recomputation may differ from the
    committed bytes by roundoff, within the id's tolerance, so it is compared with approx)."""
    match = re.search(rf"^  {re.escape(where)}: {re.escape(repr(old))} -> (\S+)$", text, re.M)
    assert match, text
    return float(match.group(1))


def alter(path, id_, value):
    document = json.loads(path.read_text())
    old = document["values"][id_]["value"]
    document["values"][id_]["value"] = value
    path.write_text(json.dumps(document))
    return old


def test_check_passes_on_the_committed_key(key_copy, capsys):
    assert cli.main(["check"]) == 0
    assert "match recomputation" in capsys.readouterr().out


def test_check_fails_and_names_an_altered_value(key_copy, capsys):
    id_, entry = released_entry(scalar)
    wrong = entry["value"] * 1.5 + 1
    alter(key_copy, id_, wrong)
    assert cli.main(["check"]) == 1
    assert reported(capsys.readouterr().out, id_, wrong) == pytest.approx(entry["value"], rel=1e-9)


def test_check_names_the_element_of_a_vector_that_changed(key_copy, capsys):
    id_, entry = released_entry(vector)
    wrong = [*entry["value"][:-1], entry["value"][-1] * 1.5 + 1]
    alter(key_copy, id_, wrong)
    assert cli.main(["check"]) == 1
    last = reported(capsys.readouterr().out, f"{id_}[{len(wrong) - 1}]", wrong[-1])
    assert last == pytest.approx(entry["value"][-1], rel=1e-9)


def test_check_reports_removed_and_added_ids(key_copy, capsys):
    id_, entry = released_entry(scalar)
    document = json.loads(key_copy.read_text())
    document["values"][id_ + "_retired"] = document["values"].pop(id_)
    key_copy.write_text(json.dumps(document))
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    assert f"{id_}_retired: no longer published" in out
    new = re.search(rf"^  {re.escape(id_)}: new value (\S+)$", out, re.M)
    assert new and float(new.group(1)) == pytest.approx(entry["value"], rel=1e-9), out


def test_regenerate_refuses_to_change_a_published_value_without_an_erratum(key_copy, capsys):
    id_, entry = released_entry(scalar)
    alter(key_copy, id_, entry["value"] + 1)
    before = key_copy.read_bytes()
    assert cli.main(["regenerate"]) == 1
    err = capsys.readouterr().err
    assert reported(err, id_, entry["value"] + 1) == pytest.approx(entry["value"], rel=1e-9)
    assert 'python3 scripts/run.py python -m solutions regenerate --erratum "what was wrong"' in err
    assert key_copy.read_bytes() == before


def test_regenerate_with_an_erratum_prints_old_to_new_and_rewrites_the_key(key_copy, capsys):
    id_, entry = released_entry(scalar)
    alter(key_copy, id_, entry["value"] + 1)
    assert cli.main(["regenerate", "--erratum", "The value was misprinted."]) == 0
    out = capsys.readouterr().out
    assert reported(out, id_, entry["value"] + 1) == pytest.approx(entry["value"], rel=1e-9)
    # the counts match the list: one difference, in one id, recorded as one corrected id
    assert "1 difference(s) from the committed key, in 1 id(s):" in out and "recorded 1 corrected id(s)" in out
    assert cli.main(["check"]) == 0


def test_regenerate_keeps_committed_bytes_within_tolerance(key_copy):
    # A recomputation on another CPU may differ in the last bits; the committed key must not churn.
    id_, entry = released_entry(lambda entry: scalar(entry) and entry["rtol"] >= 1e-13)
    nudged = entry["value"] * (1 + 1e-15)
    alter(key_copy, id_, nudged)
    assert cli.main(["regenerate"]) == 0
    assert json.loads(key_copy.read_text())["values"][id_]["value"] == nudged


def test_regenerate_leaves_the_key_untouched_when_a_module_fails(key_copy, monkeypatch, capsys):
    before = key_copy.read_bytes()
    def fail(*args):
        raise cli.SolutionError("solutions/x/y.py (used by docs/x/y.md) failed")
    monkeypatch.setattr(answerkey, "compute", fail)
    assert cli.main(["regenerate"]) == 2
    assert "solutions/x/y.py (used by docs/x/y.md) failed" in capsys.readouterr().err
    assert key_copy.read_bytes() == before


def test_a_changed_input_is_reported_by_name(key_copy, capsys):
    id_, entry = released_entry(lambda entry: any(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                  for v in entry["inputs"].values()))
    name, value = next((k, v) for k, v in entry["inputs"].items() if isinstance(v, (int, float)) and not isinstance(v, bool))
    document = json.loads(key_copy.read_text())
    document["values"][id_]["inputs"][name] = value + 1
    key_copy.write_text(json.dumps(document))
    assert cli.main(["check"]) == 1
    assert f"{id_} (input {name}): {value + 1} -> {value}" in capsys.readouterr().out  # inputs are exact


def test_value_changes_use_per_column_tolerances():
    old, new = [[1.0, 2.0, 1e-10]], [[1.0, 2.0 + 1e-9, 5e-10]]
    assert answerkey.value_changes("t", old, new, rtol=[0, 1e-8, 0], atol=[0, 0, 1e-6]) == []
    assert answerkey.value_changes("t", old, new, rtol=0, atol=0)[0].where == "[0][1]"

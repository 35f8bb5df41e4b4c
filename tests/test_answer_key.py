"""The committed answer key against recomputation, and the check / regenerate commands."""

import json
import shutil

import pytest

from solutions import __main__ as cli
from solutions.engine import answerkey, errata


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
    """A copy of the committed key that check and regenerate read and write instead."""
    path = tmp_path / "answers.json"
    shutil.copy(answerkey.KEY_PATH, path)
    monkeypatch.setattr(answerkey, "KEY_PATH", path)
    monkeypatch.setattr(answerkey, "ROOT", tmp_path)
    shutil.copy(errata.PATH, tmp_path / "errata.yml")
    monkeypatch.setattr(errata, "PATH", tmp_path / "errata.yml")
    return path


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
    alter(key_copy, "midterm_review.batchnorm.var", 12.0)
    assert cli.main(["check"]) == 1
    assert "midterm_review.batchnorm.var: 12.0 -> 9.0" in capsys.readouterr().out


def test_check_names_the_element_of_a_vector_that_changed(key_copy, capsys):
    alter(key_copy, "midterm_review.batchnorm.out", [-1.6666666666666667, 0.3333333333333333, 0.5, 1.0])
    assert cli.main(["check"]) == 1
    assert "midterm_review.batchnorm.out[2]: 0.5 -> 0.3333333333333333" in capsys.readouterr().out


def test_check_reports_removed_and_added_ids(key_copy, capsys):
    document = json.loads(key_copy.read_text())
    document["values"]["midterm_review.batchnorm.retired"] = document["values"].pop("midterm_review.batchnorm.std")
    key_copy.write_text(json.dumps(document))
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    assert "midterm_review.batchnorm.retired: no longer published" in out
    assert "midterm_review.batchnorm.std: new value 3.0" in out


def test_regenerate_refuses_to_change_a_published_value_without_an_erratum(key_copy, capsys):
    alter(key_copy, "midterm_review.batchnorm.mean", 5.5)
    before = key_copy.read_bytes()
    assert cli.main(["regenerate"]) == 1
    err = capsys.readouterr().err
    assert "midterm_review.batchnorm.mean: 5.5 -> 6.0" in err and "--erratum" in err
    assert key_copy.read_bytes() == before


def test_regenerate_with_an_erratum_prints_old_to_new_and_rewrites_the_key(key_copy, capsys):
    alter(key_copy, "midterm_review.batchnorm.mean", 5.5)
    assert cli.main(["regenerate", "--erratum", "The mean was misprinted."]) == 0
    assert "midterm_review.batchnorm.mean: 5.5 -> 6.0" in capsys.readouterr().out
    assert cli.main(["check"]) == 0


def test_regenerate_keeps_committed_bytes_within_tolerance(key_copy):
    # A recomputation on another CPU may differ in the last bits; the committed key must not churn.
    nudged = 0.7942872455533766 * (1 + 1e-15)
    alter(key_copy, "midterm_review.sigmoid_network.y_pred", nudged)
    assert cli.main(["regenerate"]) == 0
    assert json.loads(key_copy.read_text())["values"]["midterm_review.sigmoid_network.y_pred"]["value"] == nudged


def test_regenerate_leaves_the_key_untouched_when_a_module_fails(key_copy, monkeypatch, capsys):
    before = key_copy.read_bytes()
    def fail(*args):
        raise cli.SolutionError("solutions.x (used by page x.md) failed")
    monkeypatch.setattr(answerkey, "compute", fail)
    assert cli.main(["regenerate"]) == 2
    assert "solutions.x (used by page x.md) failed" in capsys.readouterr().err
    assert key_copy.read_bytes() == before


def test_a_changed_input_is_reported_by_name(key_copy, capsys):
    document = json.loads(key_copy.read_text())
    document["values"]["midterm_review.batchnorm.mean"]["inputs"]["batch"] = [1, 7, 7, 8]
    key_copy.write_text(json.dumps(document))
    assert cli.main(["check"]) == 1
    assert "midterm_review.batchnorm.mean (input batch): [1, 7, 7, 8] -> [1, 7, 7, 9]" in capsys.readouterr().out


def test_value_changes_use_per_column_tolerances():
    old, new = [[1.0, 2.0, 1e-10]], [[1.0, 2.0 + 1e-9, 5e-10]]
    assert answerkey.value_changes("t", old, new, rtol=[0, 1e-8, 0], atol=[0, 0, 1e-6]) == []
    assert answerkey.value_changes("t", old, new, rtol=0, atol=0)[0].where == "[0][1]"

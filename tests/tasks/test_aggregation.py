"""Majority vote and Dawid-Skene: ties, "unsure", tagging, gold anchors, adversarial workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import quality
from tasks.aggregation import Outcome, Vote, agreement, answer_ids_for, dawid_skene, majority

DIGITS = tuple(str(d) for d in range(10))


def _votes(item: int, *answers: tuple[str, ...]) -> list[Vote]:
    return [Vote(item, f"w{i}", answer) for i, answer in enumerate(answers)]


def test_majority_takes_the_most_common_answer_and_its_share() -> None:
    votes = _votes(1, ("7",), ("7",), ("1",)) + _votes(2, ("3",), ("3",), ("3",), ("3",))
    outcomes = majority(votes, "classification", DIGITS)
    assert outcomes[1] == Outcome(1, ("7",), pytest.approx(2 / 3), 3, pytest.approx(2 / 3))
    assert outcomes[2] == Outcome(2, ("3",), 1.0, 4, 1.0)


def test_a_tie_goes_to_the_first_label_of_the_project_whatever_the_vote_order() -> None:
    for answers in ((("5",), ("3",)), (("3",), ("5",))):
        assert majority(_votes(1, *answers), "classification", ("5", "3"))[1].label == ("5",)
        assert majority(_votes(1, *answers), "classification")[1].label == ("3",)  # by id
        assert majority(_votes(1, *answers), "classification")[1].confidence == 0.5


def test_unsure_is_no_vote() -> None:
    votes = _votes(1, ("no",), ("unsure",), ("unsure",), ("yes",), ("no",))
    votes += _votes(2, ("unsure",), ("unsure",))
    outcomes = majority(votes, "verification")
    assert outcomes[1] == Outcome(1, ("no",), pytest.approx(2 / 3), 3, pytest.approx(2 / 3))
    assert outcomes[2] == Outcome(2, (), 0.0, 0, 0.0)
    assert agreement(_votes(9, ("yes",), ("unsure",)), "verification") == (("yes",), 1.0)
    ds = dawid_skene(votes, "verification", ("yes", "no", "unsure"))
    assert ds[1].label == ("no",) and ds[1].answers == 3
    assert ds[2] == Outcome(2, (), 0.0, 0, 0.0)


def test_agreement_is_for_one_item() -> None:
    assert agreement([], "classification") == ((), 0.0)
    assert agreement(_votes(4, ("a",), ("b",), ("a",), ("a",)), "comparison") == (("a",), 0.75)
    with pytest.raises(ValueError):
        agreement(_votes(1, ("a",)) + _votes(2, ("b",)), "comparison")


def test_tagging_majority_chooses_labels_most_voters_chose() -> None:
    votes = _votes(1, ("cat", "dog"), ("cat",), ("cat", "bird"))
    votes += _votes(2, (), (), ("dog",))  # "none apply" is an answer too
    outcomes = majority(votes, "tagging", ("cat", "dog", "bird"))
    assert outcomes[1].label == ("cat",)
    assert outcomes[1].confidence == pytest.approx(2 / 3)  # dog and bird: 2 of 3 say absent
    assert outcomes[2].label == () and outcomes[2].answers == 3
    assert agreement(_votes(3, ("dog", "cat"), ("cat", "dog")), "tagging") == (("cat", "dog"), 1.0)


def test_answer_ids_follow_the_kind() -> None:
    assert answer_ids_for("classification", ["x", "y"]) == ("x", "y")
    assert answer_ids_for("verification", ["x", "y"]) == ("yes", "no")
    assert answer_ids_for("comparison", []) == ("a", "b")
    with pytest.raises(ValueError):
        majority([], "ranking")


@pytest.mark.parametrize("seed", [1, 2, 3, 7, 11])
def test_dawid_skene_beats_majority_with_adversarial_workers(seed: int) -> None:
    votes, truth = quality.simulate(seed=seed, items=300)
    workers = {v.worker for v in votes}
    assert any(w.startswith("fixed") for w in workers) and any(
        w.startswith("swap") for w in workers
    )
    by_majority = quality.accuracy(majority(votes, "classification", DIGITS), truth)
    by_ds = quality.accuracy(dawid_skene(votes, "classification", DIGITS), truth)
    assert by_ds >= by_majority
    assert by_ds >= 0.9


def test_dawid_skene_confidence_is_a_posterior() -> None:
    votes, truth = quality.simulate(seed=5, items=300)
    outcomes = dawid_skene(votes, "classification", DIGITS)
    confidences = np.array([o.confidence for o in outcomes.values()])
    assert ((confidences > 0.1) & (confidences <= 1.0)).all()
    right = np.array([outcomes[i].label == (d,) for i, d in truth.items()])
    conf = np.array([outcomes[i].confidence for i in truth])
    assert conf[right].mean() > conf[~right].mean()  # wrong labels are the less certain ones


def test_gold_anchors_teach_a_systematic_confusion() -> None:
    """Two workers who swap 1 and 7 outvote one honest worker; gold items show the swap."""
    swap = {"1": "7", "7": "1"}
    votes, gold, truth = [], {}, {}
    for item in range(1, 41):
        digit = "1" if item % 2 else "7"
        truth[item] = digit
        votes.append(Vote(item, "honest", (digit,)))
        votes += [Vote(item, f"swapper{s}", (swap[digit],)) for s in (1, 2)]
        if item <= 10:
            gold[item] = [digit]
    assert all(majority(votes, "classification")[i].label != (truth[i],) for i in truth)
    anchored = dawid_skene(votes, "classification", DIGITS, gold=gold)
    assert all(anchored[i].label == (truth[i],) for i in truth)
    assert anchored[11].agreement == pytest.approx(1 / 3)
    assert anchored[1].confidence == 1.0  # a gold item's truth is known


def test_dawid_skene_tagging_sees_through_contrary_and_tag_everything_workers() -> None:
    rng = np.random.default_rng(3)
    labels = ("car", "person", "tree")
    truth = {i: tuple(lab for lab in labels if rng.random() < 0.4) for i in range(1, 201)}
    names = ["good0", "good1", "good2", "contrarian", "everything"]
    votes = []
    for item, tags in truth.items():
        for w in rng.choice(len(names), size=3, replace=False):
            name, right = names[int(w)], rng.random(len(labels))
            if name == "everything":
                answer = labels
            elif name == "contrarian":  # decides each label wrong 90% of the time
                answer = tuple(
                    lab for k, lab in enumerate(labels) if (lab in tags) == (right[k] > 0.9)
                )
            else:  # decides each label right 85% of the time
                answer = tuple(
                    lab for k, lab in enumerate(labels) if (lab in tags) == (right[k] < 0.85)
                )
            votes.append(Vote(item, name, answer))
    ds = dawid_skene(votes, "tagging", labels)
    by_majority = majority(votes, "tagging", labels)
    right_ds = sum(ds[i].label == t for i, t in truth.items())
    right_majority = sum(by_majority[i].label == t for i, t in truth.items())
    assert right_ds > right_majority + 40
    assert all(0.5 <= o.confidence <= 1.0 for o in ds.values())
    assert all(o.answers == 3 for o in ds.values())
    gold = {i: list(t) for i, t in list(truth.items())[:20]}
    anchored = dawid_skene(votes, "tagging", labels, gold=gold)
    assert all(
        anchored[i].label == tuple(t) and anchored[i].confidence == 1.0 for i, t in gold.items()
    )


def test_quality_benchmark_prints_both_accuracies(capsys: pytest.CaptureFixture[str]) -> None:
    assert quality.main(["--seed", "7"]) == 0
    out = capsys.readouterr().out
    by_majority = float(out.split("majority vote  accuracy ")[1].split()[0])
    by_ds = float(out.split("Dawid-Skene    accuracy ")[1].split()[0])
    assert by_ds >= by_majority > 0.5


def test_the_truth_file_gives_the_digits(tmp_path: Path) -> None:
    truth_file = tmp_path / "digits_truth.csv"
    truth_file.write_text("id,label\nd001,4\nd002,9\n", encoding="utf-8")
    rng = np.random.default_rng(0)
    assert quality.load_truth(5, rng, truth_file) == ["4", "9", "4", "9", "4"]
    assert len(quality.load_truth(5, rng, tmp_path / "missing.csv")) == 5

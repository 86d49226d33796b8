"""project.yaml: a valid spec loads; each broken thing is named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.spec import ProjectSpec, SpecError, load_spec

# Line numbers below refer to this file (1-based).
VALID = """\
id: handwritten-digits
kind: classification
requires: [image-labelling]
title: {en: Digits, ar: أرقام, fa_AF: ارقام, uk: Цифри}
instructions:
  en: Pick the digit.
  ar: اختر الرقم.
  fa_AF: عدد را انتخاب کنید.
  uk: Оберіть цифру.
labels:
  - id: 7
    text: {en: "7", ar: "٧", fa_AF: "۷", uk: "7"}
    hint: {en: A bar on top, ar: خط في الأعلى, fa_AF: خط در بالا, uk: Риска зверху}
  - id: "1"
    text: {en: "1", ar: "١", fa_AF: "۱", uk: "1"}
teaches: {course: annotation-basics, lesson: single-label}
reward: {amount_minor: 2, currency: USD}
overlap: 3
max_overlap: 5
min_agreement: 0.67
gold_share: 0.1
min_gold_accuracy: 0.7
lease_seconds: 300
grace_seconds: 120
min_seconds: 2
aggregation: dawid-skene
items: items.csv
"""

CRITERION = (
    "criterion: {en: Which is clearer?, ar: أيهما أوضح؟, fa_AF: کدام واضح‌تر است؟, uk: Що ясніше?}\n"
)
LABELS = VALID[VALID.index("labels:") : VALID.index("teaches:")]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "project.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value) == "\n".join(str(problem) for problem in caught.value.problems)
    return [f"{problem.line}: {problem.message}" for problem in caught.value.problems]


def test_valid_spec(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, VALID))
    assert spec.id == "handwritten-digits" and spec.kind == "classification"
    assert spec.requires == ("image-labelling",)
    assert spec.label_ids() == ("7", "1") == spec.answer_ids() == spec.gold_ids()
    assert spec.label("7") is not None and spec.label("7").hint.ar == "خط في الأعلى"
    assert spec.title.fa_AF == "ارقام" and spec.reward.amount_minor == 2
    assert (spec.overlap, spec.max_overlap, spec.lease_seconds) == (3, 5, 300)
    assert spec.is_valid_answer(["7"]) and not spec.is_valid_answer(["7", "1"])
    assert not spec.is_valid_answer(["9"]) and not spec.is_valid_answer([])


def test_defaults(tmp_path: Path) -> None:
    text = VALID
    for key in ("max_overlap", "min_agreement", "gold_share", "min_gold_accuracy"):
        text = "".join(line for line in text.splitlines(True) if not line.startswith(key))
    for key in ("lease_seconds", "grace_seconds", "min_seconds", "aggregation", "teaches"):
        text = "".join(line for line in text.splitlines(True) if not line.startswith(key))
    spec = load_spec(write(tmp_path, text))
    assert spec.max_overlap == spec.overlap == 3
    assert (spec.min_agreement, spec.gold_share, spec.min_gold_accuracy) == (0.67, 0.1, 0.7)
    assert (spec.lease_seconds, spec.grace_seconds, spec.min_seconds) == (300, 120, 2)
    assert spec.aggregation == "dawid-skene" and spec.teaches is None


def test_json_round_trip_is_cached_by_digest(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, VALID))
    stored = spec.as_json()
    assert stored["labels"][0] == {
        "id": "7",
        "text": {"ar": "٧", "fa_AF": "۷", "uk": "7", "en": "7"},
        "hint": {
            "ar": "خط في الأعلى",
            "fa_AF": "خط در بالا",
            "uk": "Риска зверху",
            "en": "A bar on top",
        },
    }
    assert "criterion" not in stored
    again = ProjectSpec.from_json(stored, spec.digest())
    assert again == spec
    assert ProjectSpec.from_json(dict(stored)) is again
    assert again.digest() == spec.digest()
    changed = {**stored, "overlap": 4}
    assert ProjectSpec.from_json(changed).overlap == 4


@pytest.mark.parametrize(
    ("kind", "answers", "gold", "valid", "invalid"),
    [
        ("tagging", ("7", "1"), ("7", "1"), [[], ["7"], ["1", "7"]], [["7", "7"], ["2"]]),
        ("verification", ("yes", "no", "unsure"), ("yes", "no"), [["unsure"]], [["7"], []]),
    ],
)
def test_answer_ids_by_kind(
    tmp_path: Path,
    kind: str,
    answers: tuple[str, ...],
    gold: tuple[str, ...],
    valid: list[list[str]],
    invalid: list[list[str]],
) -> None:
    spec = load_spec(write(tmp_path, VALID.replace("kind: classification", f"kind: {kind}")))
    assert spec.answer_ids() == answers and spec.gold_ids() == gold
    assert all(spec.is_valid_answer(answer) for answer in valid)
    assert not any(spec.is_valid_answer(answer) for answer in invalid)


def test_comparison(tmp_path: Path) -> None:
    text = VALID.replace("kind: classification", "kind: comparison").replace(LABELS, CRITERION)
    spec = load_spec(write(tmp_path, text))
    assert spec.answer_ids() == ("a", "b") and spec.label_ids() == ()
    assert spec.criterion is not None and spec.criterion.uk == "Що ясніше?"
    assert spec.is_valid_answer(["b"]) and not spec.is_valid_answer(["a", "b"])


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("id: handwritten-digits", "id: Digits!", '1: "id" is not a valid id: "Digits!"'),
        ("kind: classification", "kind: ranking", '2: "kind" must be one of classification,'),
        ("requires: [image-labelling]", "requires: [image-labelling", "4: YAML syntax error"),
        ("  uk: Оберіть цифру.\n", "", '5: "uk" instructions is missing'),
        ("  ar: اختر الرقم.", "  ar: ''", '7: "ar" instructions is empty'),
        ("  - id: 7", "  - id: '7|1'", '11: "id" in label 1 is not a valid id: "7|1"'),
        ('  - id: "1"', "  - id: 7", '14: duplicate label id "7"'),
        ("uk: Риска зверху}", "}", '13: "uk" hint of label "7" is missing'),
        ('en: "1", ', "", '15: "en" text of label "1" is missing'),
        ("amount_minor: 2", "amount_minor: -1", '17: "amount_minor" must be at least 0, not -1'),
        ("amount_minor: 2", "amount_minor: 1.5", '17: "amount_minor" must be a whole number'),
        ("currency: USD", "currency: usd", '17: "currency" must be a 3-letter ISO 4217 code'),
        ("currency: USD", "currency: DOLLAR", '17: "currency" must be a 3-letter'),
        ("overlap: 3\n", "overlap: 0\n", '18: "overlap" must be at least 1, not 0'),
        (
            "max_overlap: 5",
            "max_overlap: 2",
            '19: "max_overlap" (2) must be at least "overlap" (3)',
        ),
        ("min_agreement: 0.67", "min_agreement: 0", '20: "min_agreement" must be more than 0'),
        (
            "min_agreement: 0.67",
            "min_agreement: 1.2",
            '20: "min_agreement" must be more than 0 and at most 1, not 1.2',
        ),
        (
            "gold_share: 0.1",
            "gold_share: 0.6",
            '21: "gold_share" must be between 0 and 0.5, not 0.6',
        ),
        ("gold_share: 0.1", "gold_share: -0.1", '21: "gold_share" must be between 0 and 0.5'),
        (
            "min_gold_accuracy: 0.7",
            "min_gold_accuracy: 0",
            '22: "min_gold_accuracy" must be more than 0',
        ),
        (
            "lease_seconds: 300",
            "lease_seconds: 29",
            '23: "lease_seconds" must be at least 30, not 29',
        ),
        ("grace_seconds: 120", "grace_seconds: -1", '24: "grace_seconds" must be at least 0'),
        ("min_seconds: 2", "min_seconds: -2", '25: "min_seconds" must be at least 0'),
        (
            "aggregation: dawid-skene",
            "aggregation: mean",
            '26: "aggregation" must be one of dawid-skene, majority',
        ),
        ("items: items.csv", "items: items.xlsx", '27: "items" must be a .csv or .jsonl file'),
        (
            "items: items.csv",
            "items: ../items.csv",
            '27: "items" must be a path inside the project',
        ),
        ("items: items.csv\n", "", '1: missing key "items"'),
        (
            "min_seconds: 2",
            "min_seconds: 2\ncolour: red",
            '26: unknown key "colour" (expected: id, kind,',
        ),
        ("lesson: single-label", "lesson: single label", '16: "lesson" is not a valid id'),
    ],
)
def test_broken_spec_names_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert VALID.count(old) == 1, old
    found = problems(tmp_path, VALID.replace(old, new, 1))
    assert any(line.startswith(expected) for line in found), found


def test_labels_by_kind(tmp_path: Path) -> None:
    no_labels = VALID.replace(LABELS, "")
    assert problems(tmp_path, no_labels) == ["2: a classification project needs labels (2 to 12)"]
    tagging = no_labels.replace("kind: classification", "kind: tagging")
    assert problems(tmp_path, tagging) == ["2: a tagging project needs labels (2 to 12)"]
    comparison = VALID.replace("kind: classification", "kind: comparison")
    assert problems(tmp_path, comparison) == [
        '2: a comparison project needs a "criterion"',
        "10: a comparison project has no labels (answers: a, b)",
    ]
    with_criterion = VALID.replace("labels:", CRITERION + "labels:")
    assert problems(tmp_path, with_criterion) == [
        '10: "criterion" is for comparison projects, not classification'
    ]


def test_label_count(tmp_path: Path) -> None:
    one = VALID.replace(LABELS, LABELS[: LABELS.index('  - id: "1"')])
    assert problems(tmp_path, one) == ['10: "labels" has 1; a project has 2 to 12']
    many = "labels:\n" + "".join(
        f"  - id: l{n}\n    text: {{en: L{n}, ar: L{n}, fa_AF: L{n}, uk: L{n}}}\n"
        for n in range(13)
    )
    assert problems(tmp_path, VALID.replace(LABELS, many)) == [
        '10: "labels" has 13; a project has 2 to 12'
    ]


def test_every_problem_is_reported(tmp_path: Path) -> None:
    broken = (
        VALID.replace("overlap: 3", "overlap: 0")
        .replace("currency: USD", "currency: usd")
        .replace("  uk: Оберіть цифру.\n", "")
    )
    assert [line.split(":")[0] for line in problems(tmp_path, broken)] == [
        "5",
        "16",
        "17",
    ]  # a line fewer


def test_missing_file_and_path_in_message(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"project\.yaml: project\.yaml is missing"):
        load_spec(tmp_path / "project.yaml")
    write(tmp_path, VALID.replace("overlap: 3", "overlap: x"))
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "project.yaml")
    assert str(caught.value).endswith('project.yaml:18: "overlap" must be a whole number, not "x"')

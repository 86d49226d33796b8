"""A project's `project.yaml`: what is labelled, how, for whom, for how much.

`load_spec(path)` reads and validates the file and raises `SpecError` naming file and line for
every problem (like the course files). The validated spec is stored as JSON in
`WorkProject.spec` (`ProjectSpec.as_json()`) and read back per answer with
`ProjectSpec.from_json(...)`, which is cached by the spec's digest.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, create_model, model_validator

from core.locales import CATALOG_LOCALES
from core.yaml_files import (
    Names,
    Problem,
    Strict,
    fail,
    fail_at,
    identifier,
    line_of,
    read_yaml,
    show,
    text,
    unique,
    validate,
)

KINDS = ("classification", "tagging", "verification", "comparison")
LABELLED_KINDS = ("classification", "tagging", "verification")  # the kinds that need labels
VERIFICATION_ANSWERS = ("yes", "no", "unsure")
COMPARISON_ANSWERS = ("a", "b")
AGGREGATIONS = ("dawid-skene", "majority")
MIN_LABELS, MAX_LABELS = 2, 12
MAX_PROJECT_ID_CHARS = 32  # leaves room in 64-byte callback data
MAX_LABEL_ID_CHARS = 16

PROJECT_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
SKILL_RE = PROJECT_ID_RE  # as course ids: skills are what courses grant
LABEL_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # no "|" (tagging gold), no ":" (callbacks)
CURRENCY_RE = re.compile(r"[A-Z]{3}")

ProjectId = Annotated[
    str,
    BeforeValidator(
        identifier(
            PROJECT_ID_RE,
            f"lowercase letters, digits, '-', '_', at most {MAX_PROJECT_ID_CHARS} characters",
            MAX_PROJECT_ID_CHARS,
        )
    ),
]
SkillId = Annotated[
    str, BeforeValidator(identifier(SKILL_RE, "use lowercase letters, digits, '-', '_'"))
]
LabelId = Annotated[
    str,
    BeforeValidator(
        identifier(
            LABEL_ID_RE,
            f"letters, digits, '-', '_', at most {MAX_LABEL_ID_CHARS} characters",
            MAX_LABEL_ID_CHARS,
        )
    ),
]

NAMES: Names = {
    ("title", "*"): "{0} title",
    ("instructions", "*"): "{0} instructions",
    ("criterion", "*"): "{0} criterion",
    ("requires", "*"): "skill {0}",
    ("labels", "*"): "label {0}",
    ("labels", "*", "text", "*"): "{1} text of label {0}",
    ("labels", "*", "hint", "*"): "{1} hint of label {0}",
}


class SpecError(ValueError):
    """A bad project.yaml; ``str()`` is its problems, one ``path:line: message`` a line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def _texts(name: str, limit: int, what: str) -> Any:
    """A model with one non-empty text per locale, each at most ``limit`` characters."""
    field = text(limit, what, utf16=True)
    return create_model(name, __base__=Strict, **dict.fromkeys(CATALOG_LOCALES, (field, ...)))


Title = _texts("Title", 64, "a project title")
Instructions = _texts("Instructions", 3000, "instructions (one message, with room)")
Criterion = _texts("Criterion", 200, "a comparison question")
LabelText = _texts("LabelText", 40, "a label (a button)")
Hint = _texts("Hint", 500, "a hint")


def _whole(minimum: int) -> Any:
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"{{about}} must be a whole number, not {show(value)}")
        if value < minimum:
            raise fail(f"{{about}} must be at least {minimum}, not {value}")
        return int(value)

    return Annotated[int, BeforeValidator(check)]


def _share(low: float, high: float, low_open: bool = False) -> Any:
    """A number in [low, high] (or (low, high] when ``low_open``)."""

    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"{{about}} must be a number, not {show(value)}")
        number = float(value)
        below = number <= low if low_open else number < low
        if below or number > high:
            bounds = (
                f"more than {low:g} and at most {high:g}"
                if low_open
                else (f"between {low:g} and {high:g}")
            )
            raise fail(f"{{about}} must be {bounds}, not {value}")
        return number

    return Annotated[float, BeforeValidator(check)]


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(value: object) -> str:
        if value not in choices:
            raise fail(f"{{about}} must be one of {', '.join(choices)}, not {show(value)}")
        return str(value)

    return BeforeValidator(check)


def _currency(value: object) -> str:
    if isinstance(value, str) and CURRENCY_RE.fullmatch(value):
        return value
    raise fail(
        f"{{about}} must be a 3-letter ISO 4217 code in capitals (like USD), not {show(value)}"
    )


def _items_file(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{{about}} must be the items file's name, not {show(value)}")
    path = PurePosixPath(value.strip())
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise fail(f"{{about}} must be a path inside the project folder, not {show(value)}")
    if path.suffix.lower() not in {".csv", ".jsonl"}:
        raise fail(f"{{about}} must be a .csv or .jsonl file, not {show(value)}")
    return str(path)


def _label_count(labels: tuple[Any, ...]) -> tuple[Any, ...]:
    if not MIN_LABELS <= len(labels) <= MAX_LABELS:
        raise fail(f"{{about}} has {len(labels)}; a project has {MIN_LABELS} to {MAX_LABELS}")
    return labels


class Label(Strict):
    id: LabelId
    text: LabelText  # type: ignore[valid-type]
    hint: Hint | None = None  # type: ignore[valid-type]


class Teaches(Strict):
    course: SkillId
    lesson: LabelId


class Reward(Strict):
    amount_minor: _whole(0)  # type: ignore[valid-type]
    currency: Annotated[str, BeforeValidator(_currency)]


class ProjectSpec(Strict):
    """A validated project.yaml (see docs/project-format.md)."""

    id: ProjectId
    kind: Annotated[
        Literal["classification", "tagging", "verification", "comparison"], _one_of(KINDS)
    ]
    requires: Annotated[tuple[SkillId, ...], unique("skill")]
    title: Title  # type: ignore[valid-type]
    instructions: Instructions  # type: ignore[valid-type]
    criterion: Criterion | None = None  # type: ignore[valid-type]
    labels: (
        Annotated[tuple[Label, ...], AfterValidator(_label_count), unique("label id", "no labels")]
        | None
    ) = None
    teaches: Teaches | None = None
    reward: Reward
    overlap: _whole(1)  # type: ignore[valid-type]
    max_overlap: _whole(1) | None = None  # type: ignore[valid-type]  # None: = overlap
    min_agreement: _share(0, 1, low_open=True) = 0.67  # type: ignore[valid-type]
    gold_share: _share(0, 0.5) = 0.1  # type: ignore[valid-type]
    min_gold_accuracy: _share(0, 1, low_open=True) = 0.7  # type: ignore[valid-type]
    lease_seconds: _whole(30) = 300  # type: ignore[valid-type]
    grace_seconds: _whole(0) = 120  # type: ignore[valid-type]
    min_seconds: _whole(0) = 2  # type: ignore[valid-type]
    review_window_hours: _whole(0) = 72  # type: ignore[valid-type]  # pay pending this long
    aggregation: Annotated[Literal["dawid-skene", "majority"], _one_of(AGGREGATIONS)] = (
        "dawid-skene"
    )
    items: Annotated[str, BeforeValidator(_items_file)]

    @model_validator(mode="after")
    def _by_kind(self) -> ProjectSpec:
        errors: list[tuple[tuple[int | str, ...], str]] = []
        if self.kind == "comparison":
            if self.criterion is None:
                errors.append((("kind",), 'a comparison project needs a "criterion"'))
            if self.labels is not None:
                errors.append((("labels",), "a comparison project has no labels (answers: a, b)"))
        else:
            if self.criterion is not None:
                errors.append(
                    (("criterion",), f'"criterion" is for comparison projects, not {self.kind}')
                )
            if self.labels is None:
                errors.append(
                    (
                        ("kind",),
                        f"a {self.kind} project needs labels ({MIN_LABELS} to {MAX_LABELS})",
                    )
                )
        if self.max_overlap is None:
            object.__setattr__(self, "max_overlap", self.overlap)  # frozen: set once, here
        elif self.max_overlap < self.overlap:
            errors.append(
                (
                    ("max_overlap",),
                    f'"max_overlap" ({self.max_overlap}) must be at least'
                    f' "overlap" ({self.overlap})',
                )
            )
        if errors:
            raise fail_at(errors)
        return self

    # -- reading ---------------------------------------------------------------------------

    def label_ids(self) -> tuple[str, ...]:
        """The ids of the labels (empty for comparison)."""
        return tuple(label.id for label in self.labels or ())

    def answer_ids(self) -> tuple[str, ...]:
        """The ids an answer may hold: labels, yes/no/unsure or a/b."""
        if self.kind == "verification":
            return VERIFICATION_ANSWERS
        if self.kind == "comparison":
            return COMPARISON_ANSWERS
        return self.label_ids()

    def gold_ids(self) -> tuple[str, ...]:
        """The ids a gold answer may hold (verification gold is yes or no, never unsure)."""
        if self.kind == "verification":
            return ("yes", "no")
        return self.answer_ids()

    def is_valid_answer(self, answer: Iterable[str]) -> bool:
        """Whether ``answer`` (a list of ids) is a well-formed answer for this kind."""
        ids = list(answer)
        allowed = set(self.answer_ids())
        if self.kind == "tagging":
            return len(set(ids)) == len(ids) and set(ids) <= allowed
        return len(ids) == 1 and ids[0] in allowed

    def label(self, label_id: str) -> Label | None:
        return next((label for label in self.labels or () if label.id == label_id), None)

    @property
    def overlap_limit(self) -> int:
        """``max_overlap`` as an int (it defaults to ``overlap``)."""
        return self.max_overlap if self.max_overlap is not None else self.overlap

    # -- storing ---------------------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        """The spec as plain JSON values (stored in WorkProject.spec)."""
        return self.model_dump(mode="json", exclude_none=True)

    def digest(self) -> str:
        """sha256 of the canonical JSON (WorkProject.spec_digest)."""
        return spec_digest(self.as_json())

    @classmethod
    def from_json(cls, data: Mapping[str, Any], digest: str | None = None) -> ProjectSpec:
        """The spec stored by ``as_json``; the same digest gives the same (cached) object."""
        key = digest or spec_digest(data)
        cached = _CACHE.get(key)
        if cached is None:
            cached = cls.model_validate(dict(data))
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = cached
        return cached


_CACHE: dict[str, ProjectSpec] = {}
_CACHE_SIZE = 256


def spec_digest(data: Mapping[str, Any]) -> str:
    """sha256 hex of a spec's canonical JSON."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_spec(path: Path) -> tuple[ProjectSpec, Any]:
    """The spec and the parsed YAML (for line numbers); raises SpecError."""
    path = Path(path)
    problems: list[Problem] = []
    data = read_yaml(path, problems)
    spec = None if data is None else validate(ProjectSpec, data, path, problems, NAMES)
    if spec is None:
        raise SpecError(sorted(problems, key=lambda problem: problem.line or 0))
    return spec, data


def load_spec(path: Path) -> ProjectSpec:
    """The validated project.yaml at ``path``; raises SpecError naming file and line."""
    return read_spec(path)[0]


def spec_line(data: Any, *keys: int | str) -> int | None:
    """The line of a key in a spec read by ``read_spec``."""
    return line_of(data, tuple(keys))

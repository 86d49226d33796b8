"""The files of a course folder as pydantic models (docs/course-format.md).

``CourseFile`` is course.yaml. A language file's model is made from course.yaml (``language_model``)
so that it must have exactly the lessons, pages, questions, options, labels and items course.yaml
names. Validation context: ``folder`` (the course folder), ``skills`` (the skills some project
requires; None: not checked) and ``outline`` (True: only the structure the language files need,
no answers, images or skills).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

from PIL import Image
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)

from core.yaml_files import (
    Strict,
    fail,
    fail_at,
    identifier,
    show,
    text,
    unique,
    utf16_length,
)
from courses.content_model import (
    IMAGE_FORMATS,
    MAX_BUTTON_CHARS,
    MAX_CAPTION_CHARS,
    MAX_EXPLANATION_CHARS,
    MAX_ID_CHARS,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_DIMENSIONS,
    MAX_LABELS,
    MAX_OPTIONS,
    MAX_PAGE_CHARS,
    MAX_PRACTICE_TEXT_CHARS,
    MAX_QUESTION_CHARS,
    MIN_LABELS,
    MIN_OPTIONS,
)

COURSE_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # the folder name
ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")  # lessons, questions, options, labels, items, skills
CURRENCY_RE = re.compile(r"[A-Z]{3}")

# How problems name places in course.yaml and in a language file (core.yaml_files.Names).
COURSE_NAMES = {
    ("lessons", "*"): "lesson {0}",
    ("lessons", "*", "images", "*"): "page {1} of lesson {0}",
    ("quiz", "*"): "question {0}",
    ("quiz", "*", "options", "*"): "option {1} of question {0}",
    ("practice",): "practice",
    ("practice", "labels", "*"): "label {0}",
    ("practice", "items", "*"): "practice item {0}",
    ("practice", "items", "*", "image"): "practice item {0}",
    ("practice", "items", "*", "tags", "*"): "tag {1} of practice item {0}",
}
LANGUAGE_NAMES = {
    ("title",): "the course title",
    ("summary",): "the course summary",
    ("lessons", "*"): "lesson {0}",
    ("lessons", "*", "title"): "title of lesson {0}",
    ("lessons", "*", "pages", "*"): "page {1} of lesson {0}",
    ("quiz", "*"): "question {0}",
    ("quiz", "*", "question"): "text of question {0}",
    ("quiz", "*", "explanation"): "explanation of question {0}",
    ("quiz", "*", "options", "*"): "option {1} of question {0}",
    ("practice",): "practice",
    ("practice", "intro"): "practice intro",
    ("practice", "question"): "practice question",
    ("practice", "labels", "*"): "label {0}",
    ("practice", "items", "*"): "practice item {0}",
    ("practice", "items", "*", "feedback"): "feedback of practice item {0}",
    ("practice", "items", "*", "text"): "text of practice item {0}",
    ("practice", "items", "*", "question"): "question of practice item {0}",
    ("practice", "items", "*", "labels", "*"): "tag {1} of practice item {0}",
}


def _outline(info: ValidationInfo) -> bool:
    return bool((info.context or {}).get("outline"))


def _id_rule(pattern: re.Pattern[str], allowed: str) -> Callable[[object], str]:
    return identifier(pattern, f"use {allowed}, at most {MAX_ID_CHARS} characters", MAX_ID_CHARS)


Id = Annotated[str, BeforeValidator(_id_rule(ID_RE, "lowercase letters, digits, '-' and '_'"))]


def _whole(low: int | None = None, high: int | None = None) -> BeforeValidator:
    if low is not None and high is not None:
        expected = f"a whole number from {low} to {high}"
    elif low is not None:
        expected = f"a whole number, {low} or more"
    else:
        expected = "a whole number"

    def check(value: object) -> int:
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (low is None or value >= low)
            and (high is None or value <= high)
        ):
            return int(value)
        raise fail(f"{{about}} must be {expected}, not {show(value)}")

    return BeforeValidator(check)


def _count(low: int, high: int, what: str) -> AfterValidator:
    def check(items: list[Any]) -> list[Any]:
        if not low <= len(items) <= high:
            noun = what if len(items) == 1 else f"{what}s"
            raise fail(f"{{about}} has {len(items)} {noun}; it needs {low} to {high}")
        return items

    return AfterValidator(check)


def _image(value: object, info: ValidationInfo) -> Path:
    """An image file under the course folder, a JPEG or PNG within Telegram's limits."""
    if not isinstance(value, str) or not value.strip():
        raise fail(f"image of {{about}} must be a file path, not {show(value)}")
    if _outline(info):
        return Path(value)
    rel = value.strip()
    root = Path(info.context["folder"]).resolve()
    target = (root / rel).resolve()
    image = f'image "{rel}" of {{about}}'
    if Path(rel).is_absolute():
        raise fail(f"{image} must be a path inside the course folder")
    if not target.is_relative_to(root):
        raise fail(f"{image} is outside the course folder")
    if not target.is_file():
        raise fail(f"{image} is missing")
    size = target.stat().st_size
    if size > MAX_IMAGE_BYTES:
        megabytes = MAX_IMAGE_BYTES // 1024 // 1024
        raise fail(f"{image} is {size / 1024 / 1024:.1f} MB; at most {megabytes} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(target) as img:
                image_format, (width, height) = img.format, img.size
                img.verify()
    except Image.DecompressionBombError:
        raise fail(f"{image} has far too many pixels") from None
    except Exception as error:
        raise fail(f"{image} is not a readable image ({type(error).__name__})") from None
    if image_format not in IMAGE_FORMATS:
        raise fail(f"{image} is {image_format}; use JPEG or PNG")
    if width + height > MAX_IMAGE_DIMENSIONS:
        raise fail(
            f"{image} is {width}x{height} pixels;"
            f" width + height must be at most {MAX_IMAGE_DIMENSIONS}"
        )
    return target


ImageFile = Annotated[Path, BeforeValidator(_image)]


# ---------------------------------------------------------------------------------------------
# course.yaml


class LessonSpec(Strict):
    id: Id
    pages: Annotated[int, _whole(1)]
    images: dict[int, ImageFile] = Field(default_factory=dict)  # page number -> image

    @model_validator(mode="after")
    def _image_pages(self) -> LessonSpec:
        wrong = [number for number in self.images if not 1 <= number <= self.pages]
        if wrong:
            raise fail_at(
                (
                    ("images", number),
                    f'image page number {number} of lesson "{self.id}"'
                    f" must be a page number (1 to {self.pages})",
                )
                for number in wrong
            )
        return self


class QuestionSpec(Strict):
    id: Id
    options: Annotated[list[Id], _count(MIN_OPTIONS, MAX_OPTIONS, "option"), unique("option")]
    answer: Id

    @model_validator(mode="after")
    def _answer_is_an_option(self, info: ValidationInfo) -> QuestionSpec:
        if self.answer not in self.options and not _outline(info):
            raise fail_at(
                [
                    (
                        ("answer",),
                        f'answer "{self.answer}" of question "{self.id}"'
                        f" is not one of its options ({', '.join(self.options)})",
                    )
                ]
            )
        return self


def _true(value: object) -> bool:
    if value is not True:
        raise fail(
            "{about} must be true (the text itself goes in each language file),"
            f" not {show(value)}"
        )
    return True


MAX_STORED_ANSWER_CHARS = 40  # a practice answer's column: a multi-label answer's tag ids


class PracticeItemSpec(Strict):
    """A single-label item (`answer`: one of the set's labels) or a multi-label item (`tags`:
    its own labels, any number of them ticked; `answers`: the ones that apply)."""

    id: Id
    answer: Id | None = None
    tags: Annotated[list[Id], _count(MIN_LABELS, MAX_LABELS, "tag"), unique("tag")] | None = None
    answers: Annotated[list[Id], unique("answer")] | None = None
    image: ImageFile | None = None
    text: Annotated[bool, BeforeValidator(_true)] = False

    @property
    def multi(self) -> bool:
        return self.tags is not None

    @model_validator(mode="after")
    def _image_or_text(self, info: ValidationInfo) -> PracticeItemSpec:
        if _outline(info):
            return self
        if self.image is not None and self.text:
            raise fail('{about} has both "image" and "text"; it needs one')
        if self.image is None and not self.text:
            raise fail('{about} needs "image: <file>" or "text: true"')
        if self.answer is not None and (self.tags is not None or self.answers is not None):
            raise fail(
                '{about} has "answer" and "tags"/"answers"; a single-label item has "answer",'
                ' a multi-label item "tags" and "answers"'
            )
        if self.answer is None and self.tags is None:
            raise fail('{about} needs "answer: <label>" or "tags: [...]" and "answers: [...]"')
        if self.tags is not None and not self.answers:
            raise fail('{about} has "tags" but no "answers" (the tags that apply, at least one)')
        if self.tags is None and self.answers is not None:
            raise fail('{about} has "answers" but no "tags" (the labels to tick)')
        if self.tags is not None and self.answers is not None:
            errors = [
                (
                    ("answers", index),
                    f'answer "{answer}" of practice item "{self.id}" is not one of its tags'
                    f" ({', '.join(self.tags)})",
                )
                for index, answer in enumerate(self.answers)
                if answer not in self.tags
            ]
            if errors:
                raise fail_at(errors)
            stored = len(",".join(self.tags))
            if stored > MAX_STORED_ANSWER_CHARS:
                raise fail(
                    f"the tag ids of {{about}} are {stored} characters together (with commas);"
                    f" at most {MAX_STORED_ANSWER_CHARS}: use shorter ids"
                )
        return self


def _currency(value: object) -> str:
    if isinstance(value, str) and CURRENCY_RE.fullmatch(value):
        return value
    raise fail(
        f"{{about}} must be a 3-letter ISO 4217 code in capitals (like USD), not {show(value)}"
    )


class PracticeSpec(Strict):
    rate_minor: Annotated[int, _whole(0)] | None = None
    currency: Annotated[str, BeforeValidator(_currency)] | None = None
    labels: Annotated[list[Id], _count(MIN_LABELS, MAX_LABELS, "label"), unique("label")]
    items: Annotated[
        list[PracticeItemSpec], unique("practice item id", "the practice set has no items")
    ]

    @model_validator(mode="after")
    def _answers_and_rate(self, info: ValidationInfo) -> PracticeSpec:
        if _outline(info):
            return self
        errors = [
            (
                ("items", index, "answer"),
                f'answer "{item.answer}" of practice item "{item.id}" is not one of the labels'
                f" ({', '.join(self.labels)})",
            )
            for index, item in enumerate(self.items)
            if item.answer is not None and item.answer not in self.labels
        ]
        if self.rate_minor is not None and self.currency is None:
            errors.append((("rate_minor",), '"rate_minor" needs a "currency"'))
        if errors:
            raise fail_at(errors)
        return self


def _course_id(value: object, info: ValidationInfo) -> str:
    ident = _id_rule(COURSE_ID_RE, "lowercase letters, digits and '-'")(value)
    folder = Path(info.context["folder"]).name
    if ident != folder:
        raise fail(f'course id "{ident}" does not match the folder name "{folder}"')
    return ident


def _known_skill(skill: str, info: ValidationInfo) -> str:
    skills = info.context.get("skills")
    if skills is not None and skill not in skills:
        raise fail(
            f'skill "{skill}" is not required by any project'
            " in the project catalog (tasks/projects.yaml)"
        )
    return skill


Lessons = Annotated[list[LessonSpec], unique("lesson id", "the course has no lessons")]
Quiz = Annotated[list[QuestionSpec], unique("question id", "the quiz has no questions")]


class CourseFile(Strict):
    id: Annotated[str, BeforeValidator(_course_id)]
    order: Annotated[int, _whole()]
    skill: Annotated[Id, AfterValidator(_known_skill)]
    pass_mark: Annotated[int, _whole(1, 100)]
    retry_cooldown_minutes: Annotated[int, _whole(0)]
    lessons: Lessons
    quiz: Quiz
    practice: PracticeSpec | None = None


UNKNOWN: Any = object()  # a part of course.yaml too broken to check the language files against
_SECTIONS = {
    "lessons": TypeAdapter(Lessons),
    "quiz": TypeAdapter(Quiz),
    "practice": TypeAdapter(PracticeSpec),
}


def outline(data: Any, folder: Path) -> dict[str, Any]:
    """The lessons, quiz and practice of course.yaml as far as they can be read, each on its own.

    A part that cannot is UNKNOWN; practice is None when course.yaml has none. The problems are
    not reported here: validating ``CourseFile`` reports them.
    """
    parts: dict[str, Any] = {}
    for name, adapter in _SECTIONS.items():
        if not isinstance(data, dict):
            parts[name] = UNKNOWN
        elif name not in data:
            parts[name] = None if name == "practice" else UNKNOWN
        else:
            try:
                context = {"folder": folder, "outline": True}
                parts[name] = adapter.validate_python(data[name], context=context)
            except ValidationError:
                parts[name] = UNKNOWN
    return parts


# ---------------------------------------------------------------------------------------------
# <lang>.yaml


Title = text()
Button = text(MAX_BUTTON_CHARS, "a button")
QuestionText = text(MAX_QUESTION_CHARS, "a question")
Explanation = text(MAX_EXPLANATION_CHARS, "an explanation")
Feedback = text(MAX_EXPLANATION_CHARS, "feedback")
Intro = text(MAX_PAGE_CHARS, "a message (Telegram's limit)", utf16=True)
PracticeText = text(MAX_PRACTICE_TEXT_CHARS, "a practice text", utf16=True)


class _Keyed(Strict):
    """A mapping keyed by the ids of course.yaml: each one there, no other."""

    @model_validator(mode="before")
    @classmethod
    def _ids_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                str(k) if isinstance(k, int) and not isinstance(k, bool) else k: v
                for k, v in data.items()
            }
        return data


def _keyed(name: str, values: dict[str, Any]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        f"f{index}": (value, Field(alias=ident))
        for index, (ident, value) in enumerate(values.items())
    }
    return create_model(name, __base__=_Keyed, **fields)


def _model(name: str, **fields: Any) -> type[BaseModel]:
    return create_model(name, __base__=Strict, **{k: (v, ...) for k, v in fields.items()})


def _pages(lesson: LessonSpec) -> Any:
    """The texts of a lesson's pages: as many as course.yaml says, each within its limit."""

    def count(pages: Any) -> Any:
        if isinstance(pages, list) and len(pages) != lesson.pages:
            counted = "1 page" if len(pages) == 1 else f"{len(pages)} pages"
            raise fail(f'lesson "{lesson.id}" has {counted}, course.yaml says {lesson.pages}')
        return pages

    def lengths(pages: tuple[str, ...]) -> tuple[str, ...]:
        errors = []
        for index, page in enumerate(pages):
            limit, what = (
                (
                    MAX_CAPTION_CHARS,
                    "a page with an image (a photo caption, with room for the heading)",
                )
                if index + 1 in lesson.images
                else (MAX_PAGE_CHARS, "a page (a message, with room for the heading)")
            )
            if utf16_length(page) > limit:
                length = utf16_length(page)
                errors.append(
                    ((index,), f"{{about}} is {length} characters; {what} is at most {limit}")
                )
        if errors:
            raise fail_at(errors)
        return pages

    return Annotated[tuple[Title, ...], BeforeValidator(count), AfterValidator(lengths)]


def _lessons(lessons: Sequence[LessonSpec]) -> Any:
    return _keyed(
        "Lessons",
        {lesson.id: _model("LessonText", title=Title, pages=_pages(lesson)) for lesson in lessons},
    )


def _quiz(quiz: Sequence[QuestionSpec]) -> Any:
    return _keyed(
        "Quiz",
        {
            question.id: _model(
                "QuestionText",
                question=QuestionText,
                options=_keyed("Options", dict.fromkeys(question.options, Button)),
                explanation=Explanation,
            )
            for question in quiz
        },
    )


def _practice(practice: PracticeSpec) -> Any:
    item_text = _model("ItemText", feedback=Feedback)
    text_item_text = _model("TextItemText", feedback=Feedback, text=PracticeText)

    def model_of(item: PracticeItemSpec) -> Any:
        if item.tags is None:
            return text_item_text if item.text else item_text
        fields: dict[str, Any] = {
            "question": QuestionText,
            "labels": _keyed("Tags", dict.fromkeys(item.tags, Button)),
            "feedback": Feedback,
        }
        if item.text:
            fields["text"] = PracticeText
        return _model("MultiItemText", **fields)

    return _model(
        "PracticeText",
        intro=Intro,
        question=QuestionText,
        labels=_keyed("Labels", dict.fromkeys(practice.labels, Button)),
        items=_keyed(
            "Items",
            {item.id: model_of(item) for item in practice.items},
        ),
    )


def _no_practice(value: object) -> None:
    raise fail('this file has "practice" but course.yaml has no practice set')


def language_model(parts: dict[str, Any]) -> type[BaseModel]:
    """The model of a language file for a course.yaml ``outline``."""
    lessons, quiz, practice = parts["lessons"], parts["quiz"], parts["practice"]
    fields: dict[str, Any] = {
        "title": (Title, ...),
        "summary": (Title, ...),
        "lessons": (Any if lessons is UNKNOWN else _lessons(lessons), ...),
        "quiz": (Any if quiz is UNKNOWN else _quiz(quiz), ...),
    }
    if practice is UNKNOWN:
        fields["practice"] = (Any, None)
    elif practice is None:
        fields["practice"] = (Annotated[Any, BeforeValidator(_no_practice)], None)
    else:
        fields["practice"] = (_practice(practice), ...)
    return create_model("LanguageFile", __base__=Strict, **fields)

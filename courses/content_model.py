"""Course content as the bot sees it: plain frozen dataclasses, loaded by ``courses.loader``.

Every text is a ``dict`` from locale to text holding all of ``LOCALES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from core.yaml_files import Problem as Problem
from core.yaml_files import display_path as display_path

LOCALES = ("ar", "fa_AF", "uk", "en")

Text = Mapping[str, str]  # locale -> text (a plain dict in practice)

# Limits the checker enforces (characters; the two Telegram limits count UTF-16 code units,
# as Telegram does).
TELEGRAM_TEXT_CHARS = 4096  # a text message
TELEGRAM_CAPTION_CHARS = 1024  # a photo caption
# The bot puts a heading above a page (course, lesson, page x/y) and a question and a counter
# under a practice text; the content must leave room for them.
HEADING_ROOM = 200
PRACTICE_QUESTION_ROOM = 340
MAX_PAGE_CHARS = TELEGRAM_TEXT_CHARS - HEADING_ROOM
MAX_CAPTION_CHARS = TELEGRAM_CAPTION_CHARS - HEADING_ROOM  # a page sent as a photo caption
MAX_PRACTICE_TEXT_CHARS = TELEGRAM_TEXT_CHARS - PRACTICE_QUESTION_ROOM
MAX_BUTTON_CHARS = 40  # quiz option and practice label texts: they are buttons
MAX_QUESTION_CHARS = 300  # quiz and practice question texts
MAX_EXPLANATION_CHARS = 400  # quiz explanations and practice feedback
MIN_OPTIONS = 2
MAX_OPTIONS = 6
MIN_LABELS = 2
MAX_LABELS = 10
MAX_ID_CHARS = 20  # ids end up in callback data: two of them and a prefix fit in 64 bytes
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_DIMENSIONS = 10_000  # width + height
IMAGE_FORMATS = frozenset({"JPEG", "PNG"})


@dataclass(frozen=True)
class Page:
    text: dict[str, str]
    image: Path | None


@dataclass(frozen=True)
class Lesson:
    id: str
    title: dict[str, str]
    pages: tuple[Page, ...]


@dataclass(frozen=True)
class Option:
    id: str
    text: dict[str, str]


@dataclass(frozen=True)
class Question:
    id: str
    text: dict[str, str]
    options: tuple[Option, ...]
    answer: str
    explanation: dict[str, str]


@dataclass(frozen=True)
class PracticeItem:
    """Single-label: `answer` is one of the set's labels. Multi-label (`tags` given): the item
    has its own question and tags, any number of them ticked; `answers` are those that apply."""

    id: str
    answer: str  # "" for a multi-label item
    feedback: dict[str, str]
    image: Path | None = None
    text: dict[str, str] | None = None
    question: dict[str, str] | None = None
    tags: tuple[Option, ...] = ()
    answers: frozenset[str] = frozenset()

    @property
    def multi(self) -> bool:
        return bool(self.tags)


@dataclass(frozen=True)
class PracticeSet:
    intro: dict[str, str]
    question: dict[str, str]
    labels: tuple[Option, ...]
    items: tuple[PracticeItem, ...]
    rate_minor: int | None
    currency: str | None


@dataclass(frozen=True)
class Course:
    id: str
    order: int
    skill: str
    pass_mark: int
    retry_cooldown: timedelta
    title: dict[str, str]
    summary: dict[str, str]
    lessons: tuple[Lesson, ...]
    quiz: tuple[Question, ...]
    practice: PracticeSet | None
    folder: Path

    @property
    def page_count(self) -> int:
        """Pages across all lessons."""
        return sum(len(lesson.pages) for lesson in self.lessons)

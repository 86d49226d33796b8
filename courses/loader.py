"""Load course folders (docs/course-format.md) into ``Course`` objects, reporting every problem.

A course with any problem is left out; problems name the file and the (1-based) line they concern.
Nothing here raises on bad content: ``load_courses`` always returns a ``LoadResult``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from courses.content_model import (
    IMAGE_FORMATS,
    LOCALES,
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
    Course,
    Lesson,
    Option,
    Page,
    PracticeItem,
    PracticeSet,
    Problem,
    Question,
)

DEFAULT_CONTENT_ROOT = Path(__file__).parent / "content"
COURSE_FILE = "course.yaml"

COURSE_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # the folder name
ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")  # lessons, questions, options, labels, items, skills
CURRENCY_RE = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class LoadResult:
    courses: tuple[Course, ...]
    problems: tuple[Problem, ...]


# ---------------------------------------------------------------------------------------------
# Small helpers


_MISSING: Any = object()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_id(value: object) -> str | None:
    """An id written in YAML: text, or a plain number (``1:``) taken as its digits."""
    if isinstance(value, str):
        return value
    if _is_int(value):
        return str(value)
    return None


def _node_line(node: object) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return None
    return int(lc.line) + 1


def _key_line(mapping: object, key: object, default: int | None = None) -> int | None:
    try:
        return int(mapping.lc.key(key)[0]) + 1  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError, IndexError):
        return default if default is not None else _node_line(mapping)


def _item_line(seq: object, index: int, default: int | None = None) -> int | None:
    try:
        return int(seq.lc.item(index)[0]) + 1  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError, IndexError):
        return default if default is not None else _node_line(seq)


def _show(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."


def _utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def read_yaml(path: Path, problems: list[Problem], missing: str | None = None) -> Any:
    """The parsed document (round-trip nodes with line numbers), or _MISSING after a problem."""
    name = path.name
    if not path.is_file():
        problems.append(Problem(path, None, missing or f"{name} is missing"))
        return _MISSING
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.append(Problem(path, None, f"{name} is not UTF-8 text ({error.reason})"))
        return _MISSING
    except OSError as error:
        problems.append(Problem(path, None, f"cannot read {name}: {error.strerror or error}"))
        return _MISSING
    try:
        data = YAML(typ="rt").load(text)
        if data is None:
            problems.append(Problem(path, None, f"{name} is empty"))
            return _MISSING
        return data
    except DuplicateKeyError as error:
        match = re.search(r'duplicate key "(.*?)"', str(error.problem or ""))
        key = match.group(1) if match else "?"
        problems.append(Problem(path, _mark_line(error), f'duplicate key "{key}" in {name}'))
    except MarkedYAMLError as error:
        detail = error.problem or "invalid YAML"
        if error.context:
            detail = f"{detail} ({error.context})"
        problems.append(Problem(path, _mark_line(error), f"YAML syntax error in {name}: {detail}"))
    except YAMLError as error:
        problems.append(Problem(path, None, f"YAML error in {name}: {error}"))
    return _MISSING


def _mark_line(error: MarkedYAMLError) -> int | None:
    mark = error.problem_mark or error.context_mark
    return None if mark is None else int(mark.line) + 1


# ---------------------------------------------------------------------------------------------
# course.yaml: the structure


@dataclass
class _LessonSpec:
    id: str
    pages: int | None  # None: invalid in course.yaml (already reported)
    images: dict[int, Path] = field(default_factory=dict)  # page number -> checked image
    image_pages: set[int] = field(default_factory=set)  # pages that declare an image at all


@dataclass
class _QuestionSpec:
    id: str
    options: list[str] | None
    answer: str | None


@dataclass
class _ItemSpec:
    id: str
    answer: str | None
    image: Path | None
    is_text: bool | None  # None: neither or both declared (already reported)


@dataclass
class _PracticeSpec:
    labels: list[str] | None
    items: list[_ItemSpec] | None
    rate_minor: int | None
    currency: str | None


@dataclass
class _CourseSpec:
    id: str | None = None
    order: int | None = None
    skill: str | None = None
    pass_mark: int | None = None
    cooldown_minutes: int | None = None
    lessons: list[_LessonSpec] | None = None
    quiz: list[_QuestionSpec] | None = None
    has_practice: bool = False
    practice: _PracticeSpec | None = None


class _Reader:
    """Walks one course folder, collecting problems."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[Problem] = []

    def add(self, path: Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    # -- generic checks -----------------------------------------------------------------------

    def keys(
        self,
        path: Path,
        mapping: CommentedMap,
        line: int | None,
        required: Iterable[str],
        optional: Iterable[str],
        where: str,
    ) -> None:
        """Report missing keys (at ``line``, the mapping's line) and unknown keys."""
        suffix = f" in {where}" if where else ""
        for key in required:
            if key not in mapping:
                self.add(path, line, f'missing key "{key}"{suffix}')
        allowed = set(required) | set(optional)
        for key in mapping:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.add(
                    path,
                    _key_line(mapping, key, line),
                    f'unknown key "{key}"{suffix} (expected: {expected})',
                )

    def mapping(
        self, path: Path, value: object, line: int | None, what: str
    ) -> CommentedMap | None:
        if isinstance(value, CommentedMap):
            return value
        self.add(path, line, f"{what} must be a mapping (key: value lines), not {_show(value)}")
        return None

    def sequence(
        self, path: Path, value: object, line: int | None, what: str
    ) -> CommentedSeq | None:
        if isinstance(value, CommentedSeq):
            return value
        self.add(path, line, f"{what} must be a list, not {_show(value)}")
        return None

    def ident(
        self, path: Path, value: object, line: int | None, what: str, pattern: re.Pattern[str]
    ) -> str | None:
        ident = _as_id(value)
        if ident is None or not pattern.fullmatch(ident) or len(ident) > MAX_ID_CHARS:
            allowed = (
                "lowercase letters, digits and '-'"
                if pattern is COURSE_ID_RE
                else "lowercase letters, digits, '-' and '_'"
            )
            self.add(
                path,
                line,
                f"{what} {_show(value)} is not a valid id"
                f" (use {allowed}, at most {MAX_ID_CHARS} characters)",
            )
            return None
        return ident

    def int_in(
        self,
        path: Path,
        mapping: CommentedMap,
        key: str,
        where: str,
        low: int | None,
        high: int | None,
    ) -> int | None:
        value = mapping.get(key)
        if _is_int(value) and (low is None or value >= low) and (high is None or value <= high):
            return int(value)
        if low is not None and high is not None:
            expected = f"a whole number from {low} to {high}"
        elif low == 0:
            expected = "a whole number, 0 or more"
        elif low == 1:
            expected = "a whole number, 1 or more"
        else:
            expected = "a whole number"
        suffix = f" in {where}" if where else ""
        self.add(
            path,
            _key_line(mapping, key),
            f'"{key}"{suffix} must be {expected}, not {_show(value)}',
        )
        return None

    def id_list(
        self,
        path: Path,
        mapping: CommentedMap,
        key: str,
        what: str,
        where: str,
        low: int,
        high: int,
    ) -> list[str] | None:
        line = _key_line(mapping, key)
        seq = self.sequence(path, mapping.get(key), line, f'"{key}" of {where}')
        if seq is None:
            return None
        ids: list[str] = []
        ok = True
        for index, value in enumerate(seq):
            ident = self.ident(path, value, _item_line(seq, index, line), what, ID_RE)
            if ident is None:
                ok = False
            elif ident in ids:
                self.add(
                    path, _item_line(seq, index, line), f'duplicate {what} "{ident}" in {where}'
                )
                ok = False
            else:
                ids.append(ident)
        if not low <= len(seq) <= high:
            self.add(path, line, f"{where} has {len(seq)} {what}s; it needs {low} to {high}")
            ok = False
        return ids if ok else None

    def image(self, path: Path, line: int | None, value: object, where: str) -> Path | None:
        """Check an image reference (relative to the course folder); the image's path if good."""
        if not isinstance(value, str) or not value.strip():
            self.add(path, line, f"image of {where} must be a file path, not {_show(value)}")
            return None
        rel = value.strip()
        root = self.folder.resolve()
        if Path(rel).is_absolute():
            self.add(
                path, line, f'image "{rel}" of {where} must be a path inside the course folder'
            )
            return None
        target = (root / rel).resolve()
        if not target.is_relative_to(root):
            self.add(path, line, f'image "{rel}" of {where} is outside the course folder')
            return None
        if not target.is_file():
            self.add(path, line, f'image "{rel}" of {where} is missing')
            return None
        size = target.stat().st_size
        if size > MAX_IMAGE_BYTES:
            self.add(
                path,
                line,
                f'image "{rel}" of {where} is {size / 1024 / 1024:.1f} MB;'
                f" at most {MAX_IMAGE_BYTES // 1024 // 1024} MB",
            )
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(target) as img:
                    image_format, (width, height) = img.format, img.size
                    img.verify()
        except Image.DecompressionBombError:
            self.add(path, line, f'image "{rel}" of {where} has far too many pixels')
            return None
        except Exception as error:
            self.add(
                path,
                line,
                f'image "{rel}" of {where} is not a readable image ({type(error).__name__})',
            )
            return None
        if image_format not in IMAGE_FORMATS:
            self.add(path, line, f'image "{rel}" of {where} is {image_format}; use JPEG or PNG')
            return None
        if width + height > MAX_IMAGE_DIMENSIONS:
            self.add(
                path,
                line,
                f'image "{rel}" of {where} is {width}x{height} pixels;'
                f" width + height must be at most {MAX_IMAGE_DIMENSIONS}",
            )
            return None
        return target

    # -- course.yaml --------------------------------------------------------------------------

    def read_course(self, known_skills: frozenset[str] | None) -> _CourseSpec | None:
        path = self.folder / COURSE_FILE
        data = read_yaml(path, self.problems)
        if data is _MISSING:
            return None
        root = self.mapping(path, data, _node_line(data) or 1, COURSE_FILE)
        if root is None:
            return None
        top = _node_line(root) or 1
        spec = _CourseSpec()
        self.keys(
            path,
            root,
            top,
            ("id", "order", "skill", "pass_mark", "retry_cooldown_minutes", "lessons", "quiz"),
            ("practice",),
            "",
        )
        if "id" in root:
            line = _key_line(root, "id")
            spec.id = self.ident(path, root["id"], line, "course id", COURSE_ID_RE)
            if spec.id is not None and spec.id != self.folder.name:
                self.add(
                    path,
                    line,
                    f'course id "{spec.id}" does not match the folder name "{self.folder.name}"',
                )
                spec.id = None
        if "order" in root:
            spec.order = self.int_in(path, root, "order", "", None, None)
        if "skill" in root:
            line = _key_line(root, "skill")
            spec.skill = self.ident(path, root["skill"], line, "skill", ID_RE)
            if (
                spec.skill is not None
                and known_skills is not None
                and spec.skill not in known_skills
            ):
                self.add(
                    path,
                    line,
                    f'skill "{spec.skill}" is not required by any project'
                    " in the project catalog (tasks/projects.yaml)",
                )
                spec.skill = None
        if "pass_mark" in root:
            spec.pass_mark = self.int_in(path, root, "pass_mark", "", 1, 100)
        if "retry_cooldown_minutes" in root:
            spec.cooldown_minutes = self.int_in(path, root, "retry_cooldown_minutes", "", 0, None)
        if "lessons" in root:
            spec.lessons = self.read_lessons(path, root)
        if "quiz" in root:
            spec.quiz = self.read_quiz(path, root)
        if "practice" in root:
            spec.has_practice = True
            spec.practice = self.read_practice(path, root)
        return spec

    def read_lessons(self, path: Path, root: CommentedMap) -> list[_LessonSpec] | None:
        line = _key_line(root, "lessons")
        seq = self.sequence(path, root["lessons"], line, '"lessons"')
        if seq is None:
            return None
        if not seq:
            self.add(path, line, "the course has no lessons")
        lessons: list[_LessonSpec] = []
        seen: set[str] = set()
        for index, value in enumerate(seq):
            item_line = _item_line(seq, index, line)
            entry = self.mapping(path, value, item_line, f'lesson {index + 1} in "lessons"')
            if entry is None:
                continue
            where = f"lesson {index + 1}"
            lesson_id = None
            if "id" in entry:
                lesson_id = self.ident(
                    path, entry["id"], _key_line(entry, "id"), "lesson id", ID_RE
                )
                if lesson_id is not None:
                    where = f'lesson "{lesson_id}"'
                    if lesson_id in seen:
                        self.add(path, _key_line(entry, "id"), f'duplicate lesson id "{lesson_id}"')
                        continue
                    seen.add(lesson_id)
            self.keys(path, entry, item_line, ("id", "pages"), ("images",), where)
            pages = self.int_in(path, entry, "pages", where, 1, None) if "pages" in entry else None
            if lesson_id is None:
                continue
            spec = _LessonSpec(lesson_id, pages)
            if "images" in entry:
                self.read_lesson_images(path, entry, spec, where)
            lessons.append(spec)
        return lessons

    def read_lesson_images(
        self, path: Path, entry: CommentedMap, spec: _LessonSpec, where: str
    ) -> None:
        line = _key_line(entry, "images")
        images = self.mapping(path, entry["images"], line, f'"images" of {where}')
        if images is None:
            return
        for key, value in images.items():
            key_line = _key_line(images, key, line)
            if not _is_int(key) or key < 1 or (spec.pages is not None and key > spec.pages):
                pages = f"1 to {spec.pages}" if spec.pages is not None else "1 or more"
                self.add(
                    path,
                    key_line,
                    f"image page number {_show(key)} of {where} must be a page number ({pages})",
                )
                continue
            spec.image_pages.add(key)
            image = self.image(path, key_line, value, f"page {key} of {where}")
            if image is not None:
                spec.images[key] = image

    def read_quiz(self, path: Path, root: CommentedMap) -> list[_QuestionSpec] | None:
        line = _key_line(root, "quiz")
        seq = self.sequence(path, root["quiz"], line, '"quiz"')
        if seq is None:
            return None
        if not seq:
            self.add(path, line, "the quiz has no questions")
        questions: list[_QuestionSpec] = []
        seen: set[str] = set()
        for index, value in enumerate(seq):
            item_line = _item_line(seq, index, line)
            entry = self.mapping(path, value, item_line, f'question {index + 1} in "quiz"')
            if entry is None:
                continue
            where = f"question {index + 1}"
            question_id = None
            if "id" in entry:
                id_line = _key_line(entry, "id")
                question_id = self.ident(path, entry["id"], id_line, "question id", ID_RE)
                if question_id is not None:
                    where = f'question "{question_id}"'
                    if question_id in seen:
                        self.add(path, id_line, f'duplicate question id "{question_id}"')
                        continue
                    seen.add(question_id)
            self.keys(path, entry, item_line, ("id", "options", "answer"), (), where)
            options = None
            if "options" in entry:
                options = self.id_list(
                    path, entry, "options", "option", where, MIN_OPTIONS, MAX_OPTIONS
                )
            answer = None
            if "answer" in entry:
                answer_line = _key_line(entry, "answer")
                answer = self.ident(path, entry["answer"], answer_line, "answer", ID_RE)
                if answer is not None and options is not None and answer not in options:
                    self.add(
                        path,
                        answer_line,
                        f'answer "{answer}" of {where} is not one of its options'
                        f" ({', '.join(options)})",
                    )
            if question_id is not None:
                questions.append(_QuestionSpec(question_id, options, answer))
        return questions

    def read_practice(self, path: Path, root: CommentedMap) -> _PracticeSpec | None:
        line = _key_line(root, "practice")
        entry = self.mapping(path, root["practice"], line, '"practice"')
        if entry is None:
            return None
        where = "practice"
        self.keys(path, entry, line, ("labels", "items"), ("rate_minor", "currency"), where)
        rate_minor = None
        currency = None
        if "rate_minor" in entry:
            rate_minor = self.int_in(path, entry, "rate_minor", where, 0, None)
            if "currency" not in entry:
                self.add(path, _key_line(entry, "rate_minor"), '"rate_minor" needs a "currency"')
        if "currency" in entry:
            value = entry["currency"]
            if isinstance(value, str) and CURRENCY_RE.fullmatch(value):
                currency = value
            else:
                self.add(
                    path,
                    _key_line(entry, "currency"),
                    f'"currency" must be a 3-letter ISO 4217 code in capitals (like USD),'
                    f" not {_show(value)}",
                )
        labels = None
        if "labels" in entry:
            labels = self.id_list(path, entry, "labels", "label", where, MIN_LABELS, MAX_LABELS)
        items = self.read_practice_items(path, entry, labels) if "items" in entry else None
        return _PracticeSpec(labels, items, rate_minor, currency)

    def read_practice_items(
        self, path: Path, practice: CommentedMap, labels: list[str] | None
    ) -> list[_ItemSpec] | None:
        line = _key_line(practice, "items")
        seq = self.sequence(path, practice["items"], line, '"items" of practice')
        if seq is None:
            return None
        if not seq:
            self.add(path, line, "the practice set has no items")
        items: list[_ItemSpec] = []
        seen: set[str] = set()
        for index, value in enumerate(seq):
            item_line = _item_line(seq, index, line)
            entry = self.mapping(path, value, item_line, f"practice item {index + 1}")
            if entry is None:
                continue
            where = f"practice item {index + 1}"
            item_id = None
            if "id" in entry:
                id_line = _key_line(entry, "id")
                item_id = self.ident(path, entry["id"], id_line, "practice item id", ID_RE)
                if item_id is not None:
                    where = f'practice item "{item_id}"'
                    if item_id in seen:
                        self.add(path, id_line, f'duplicate practice item id "{item_id}"')
                        continue
                    seen.add(item_id)
            self.keys(path, entry, item_line, ("id", "answer"), ("image", "text"), where)
            answer = None
            if "answer" in entry:
                answer_line = _key_line(entry, "answer")
                answer = self.ident(path, entry["answer"], answer_line, "answer", ID_RE)
                if answer is not None and labels is not None and answer not in labels:
                    self.add(
                        path,
                        answer_line,
                        f'answer "{answer}" of {where} is not one of the labels'
                        f" ({', '.join(labels)})",
                    )
            image = None
            is_text: bool | None = None
            has_image, has_text = "image" in entry, "text" in entry
            if has_text and entry["text"] is not True:
                self.add(
                    path,
                    _key_line(entry, "text"),
                    f'"text" of {where} must be true (the text itself goes in each language file),'
                    f" not {_show(entry['text'])}",
                )
            elif has_image and has_text:
                self.add(path, item_line, f'{where} has both "image" and "text"; it needs one')
            elif not has_image and not has_text:
                self.add(path, item_line, f'{where} needs "image: <file>" or "text: true"')
            elif has_image:
                is_text = False
                image = self.image(path, _key_line(entry, "image"), entry["image"], where)
            else:
                is_text = True
            if item_id is not None:
                items.append(_ItemSpec(item_id, answer, image, is_text))
        return items

    # -- <lang>.yaml --------------------------------------------------------------------------

    def read_language(self, locale: str, spec: _CourseSpec | None) -> dict[tuple[Any, ...], str]:
        """The texts of one language file, keyed by where they go (see ``_assemble``)."""
        path = self.folder / f"{locale}.yaml"
        texts: dict[tuple[Any, ...], str] = {}
        missing = f"language file {path.name} is missing (every course has {', '.join(LOCALES)})"
        data = read_yaml(path, self.problems, missing)
        if data is _MISSING:
            return texts
        root = self.mapping(path, data, _node_line(data) or 1, path.name)
        if root is None or spec is None:
            return texts
        top = _node_line(root) or 1
        required: tuple[str, ...] = ("title", "summary", "lessons", "quiz")
        optional: tuple[str, ...] = ()
        if spec.has_practice:
            required += ("practice",)
        elif "practice" in root:
            self.add(
                path,
                _key_line(root, "practice"),
                f'{path.name} has "practice" but course.yaml has no practice set',
            )
            optional = ("practice",)  # reported just above, not again as unknown
        self.keys(path, root, top, required, optional, "")
        text = _TextReader(self, path, texts)
        text.take(root, "title", top, ("title",), "the course title", None)
        text.take(root, "summary", top, ("summary",), "the course summary", None)
        if "lessons" in root and spec.lessons is not None:
            self.read_language_lessons(text, root, spec.lessons)
        if "quiz" in root and spec.quiz is not None:
            self.read_language_quiz(text, root, spec.quiz)
        if "practice" in root and spec.practice is not None:
            self.read_language_practice(text, root, spec.practice)
        return texts

    def match_ids(
        self,
        path: Path,
        parent: CommentedMap,
        key: str,
        expected: list[str],
        what: str,
        where: str,
    ) -> dict[str, tuple[Any, int | None]]:
        """The entries of ``parent[key]`` (a mapping id -> value) that course.yaml expects.

        Reports ids missing from the language file (at the line of ``key``) and ids that
        course.yaml does not have (at their own line).
        """
        line = _key_line(parent, key)
        mapping = self.mapping(path, parent[key], line, f'"{key}"{where}')
        if mapping is None:
            return {}
        found: dict[str, tuple[Any, int | None]] = {}
        for raw_key, value in mapping.items():
            key_line = _key_line(mapping, raw_key, line)
            ident = _as_id(raw_key)
            if ident is None or ident not in expected:
                self.add(
                    path,
                    key_line,
                    f"{what} {_show(raw_key)}{where} is in {path.name} but not in course.yaml",
                )
            elif ident in found:
                self.add(path, key_line, f'duplicate {what} "{ident}"{where} in {path.name}')
            else:
                found[ident] = (value, key_line)
        for ident in expected:
            if ident not in found:
                self.add(path, line, f'{what} "{ident}"{where} is missing in {path.name}')
        return found

    def read_language_lessons(
        self, text: _TextReader, root: CommentedMap, lessons: list[_LessonSpec]
    ) -> None:
        path = text.path
        found = self.match_ids(
            path, root, "lessons", [lesson.id for lesson in lessons], "lesson", ""
        )
        for lesson in lessons:
            if lesson.id not in found:
                continue
            value, line = found[lesson.id]
            where = f'lesson "{lesson.id}"'
            entry = self.mapping(path, value, line, where)
            if entry is None:
                continue
            self.keys(path, entry, line, ("title", "pages"), (), where)
            text.take(
                entry, "title", line, ("lesson", lesson.id, "title"), f"title of {where}", None
            )
            if "pages" not in entry:
                continue
            pages_line = _key_line(entry, "pages", line)
            pages = self.sequence(path, entry["pages"], pages_line, f'"pages" of {where}')
            if pages is None:
                continue
            if lesson.pages is not None and len(pages) != lesson.pages:
                self.add(
                    path,
                    pages_line,
                    f"{where} has {_plural(len(pages), 'page')} in {path.name},"
                    f" course.yaml says {lesson.pages}",
                )
            for index, page in enumerate(pages):
                number = index + 1
                page_line = _item_line(pages, index, pages_line)
                has_image = number in lesson.image_pages
                limit = (
                    _Limit(
                        MAX_CAPTION_CHARS,
                        "a page with an image (a photo caption, with room for the heading)",
                        utf16=True,
                    )
                    if has_image
                    else _Limit(
                        MAX_PAGE_CHARS, "a page (a message, with room for the heading)", utf16=True
                    )
                )
                text.value(
                    page, page_line, ("page", lesson.id, index), f"page {number} of {where}", limit
                )

    def read_language_quiz(
        self, text: _TextReader, root: CommentedMap, quiz: list[_QuestionSpec]
    ) -> None:
        path = text.path
        found = self.match_ids(path, root, "quiz", [q.id for q in quiz], "question", "")
        for question in quiz:
            if question.id not in found:
                continue
            value, line = found[question.id]
            where = f'question "{question.id}"'
            entry = self.mapping(path, value, line, where)
            if entry is None:
                continue
            self.keys(path, entry, line, ("question", "options", "explanation"), (), where)
            text.take(
                entry,
                "question",
                line,
                ("quiz", question.id, "question"),
                f"text of {where}",
                _Limit(MAX_QUESTION_CHARS, "a question"),
            )
            text.take(
                entry,
                "explanation",
                line,
                ("quiz", question.id, "explanation"),
                f"explanation of {where}",
                _Limit(MAX_EXPLANATION_CHARS, "an explanation"),
            )
            if "options" in entry and question.options is not None:
                options = self.match_ids(
                    path, entry, "options", question.options, "option", f" of {where}"
                )
                for option_id, (option_text, option_line) in options.items():
                    text.value(
                        option_text,
                        option_line,
                        ("option", question.id, option_id),
                        f'option "{option_id}" of {where}',
                        _Limit(MAX_BUTTON_CHARS, "an option (it is a button)"),
                    )

    def read_language_practice(
        self, text: _TextReader, root: CommentedMap, practice: _PracticeSpec
    ) -> None:
        path = text.path
        line = _key_line(root, "practice")
        entry = self.mapping(path, root["practice"], line, '"practice"')
        if entry is None:
            return
        where = "practice"
        self.keys(path, entry, line, ("intro", "question", "labels", "items"), (), where)
        text.take(
            entry,
            "intro",
            line,
            ("practice", "intro"),
            "practice intro",
            _Limit(MAX_PAGE_CHARS, "a message (Telegram's limit)", utf16=True),
        )
        text.take(
            entry,
            "question",
            line,
            ("practice", "question"),
            "practice question",
            _Limit(MAX_QUESTION_CHARS, "a question"),
        )
        if "labels" in entry and practice.labels is not None:
            labels = self.match_ids(path, entry, "labels", practice.labels, "label", " of practice")
            for label_id, (label_text, label_line) in labels.items():
                text.value(
                    label_text,
                    label_line,
                    ("label", label_id),
                    f'label "{label_id}"',
                    _Limit(MAX_BUTTON_CHARS, "a label (it is a button)"),
                )
        if "items" in entry and practice.items is not None:
            items = self.match_ids(
                path, entry, "items", [item.id for item in practice.items], "practice item", ""
            )
            for item in practice.items:
                if item.id not in items:
                    continue
                value, item_line = items[item.id]
                item_where = f'practice item "{item.id}"'
                item_entry = self.mapping(path, value, item_line, item_where)
                if item_entry is None:
                    continue
                required: tuple[str, ...] = ("feedback", "text") if item.is_text else ("feedback",)
                optional: tuple[str, ...] = ("text",) if item.is_text is None else ()
                self.keys(path, item_entry, item_line, required, optional, item_where)
                text.take(
                    item_entry,
                    "feedback",
                    item_line,
                    ("item", item.id, "feedback"),
                    f"feedback of {item_where}",
                    _Limit(MAX_EXPLANATION_CHARS, "feedback"),
                )
                if item.is_text:
                    text.take(
                        item_entry,
                        "text",
                        item_line,
                        ("item", item.id, "text"),
                        f"text of {item_where}",
                        _Limit(MAX_PRACTICE_TEXT_CHARS, "a practice text", utf16=True),
                    )


@dataclass(frozen=True)
class _Limit:
    chars: int
    what: str
    utf16: bool = False


@dataclass
class _TextReader:
    """Reads text values of one language file into ``texts``."""

    reader: _Reader
    path: Path
    texts: dict[tuple[Any, ...], str]

    def take(
        self,
        mapping: CommentedMap,
        key: str,
        line: int | None,
        slot: tuple[Any, ...],
        what: str,
        limit: _Limit | None,
    ) -> None:
        if key not in mapping:
            return  # reported as a missing key by the caller
        self.value(mapping[key], _key_line(mapping, key, line), slot, what, limit)

    def value(
        self,
        value: object,
        line: int | None,
        slot: tuple[Any, ...],
        what: str,
        limit: _Limit | None,
    ) -> None:
        name = self.path.name
        if _is_int(value):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.reader.add(self.path, line, f"{what} is empty in {name}")
            return
        if not isinstance(value, str):
            self.reader.add(
                self.path, line, f"{what} must be text in {name}, not {_show(value)} (quote it)"
            )
            return
        text = str(value).rstrip()
        if limit is not None:
            measure: Callable[[str], int] = _utf16_length if limit.utf16 else len
            length = measure(text)
            if length > limit.chars:
                self.reader.add(
                    self.path,
                    line,
                    f"{what} is {length} characters in {name};"
                    f" {limit.what} is at most {limit.chars}",
                )
                return
        self.texts[slot] = text


# ---------------------------------------------------------------------------------------------
# Assembly and the public functions


def _assemble(
    folder: Path, spec: _CourseSpec, texts: dict[str, dict[tuple[Any, ...], str]]
) -> Course:
    """Build the Course once there are no problems: every spec value and every text is there."""

    def t(*slot: Any) -> dict[str, str]:
        return {locale: texts[locale][slot] for locale in LOCALES}

    assert spec.lessons is not None and spec.quiz is not None
    lessons = tuple(
        Lesson(
            id=lesson.id,
            title=t("lesson", lesson.id, "title"),
            pages=tuple(
                Page(text=t("page", lesson.id, index), image=lesson.images.get(index + 1))
                for index in range(lesson.pages or 0)
            ),
        )
        for lesson in spec.lessons
    )
    quiz = tuple(
        Question(
            id=question.id,
            text=t("quiz", question.id, "question"),
            options=tuple(
                Option(id=option_id, text=t("option", question.id, option_id))
                for option_id in question.options or ()
            ),
            answer=question.answer or "",
            explanation=t("quiz", question.id, "explanation"),
        )
        for question in spec.quiz
    )
    practice = None
    if spec.practice is not None:
        p = spec.practice
        practice = PracticeSet(
            intro=t("practice", "intro"),
            question=t("practice", "question"),
            labels=tuple(Option(id=label, text=t("label", label)) for label in p.labels or ()),
            items=tuple(
                PracticeItem(
                    id=item.id,
                    answer=item.answer or "",
                    feedback=t("item", item.id, "feedback"),
                    image=item.image,
                    text=t("item", item.id, "text") if item.is_text else None,
                )
                for item in p.items or ()
            ),
            rate_minor=p.rate_minor,
            currency=p.currency,
        )
    return Course(
        id=spec.id or folder.name,
        order=spec.order or 0,
        skill=spec.skill or "",
        pass_mark=spec.pass_mark or 0,
        retry_cooldown=timedelta(minutes=spec.cooldown_minutes or 0),
        title=t("title"),
        summary=t("summary"),
        lessons=lessons,
        quiz=quiz,
        practice=practice,
        folder=folder,
    )


def load_course(
    folder: Path, known_skills: frozenset[str] | None
) -> tuple[Course | None, list[Problem]]:
    """Load one course folder. The course is None when there is any problem.

    ``known_skills``: the skills some project requires; None skips that check (used when the
    project catalog itself is broken and has been reported).
    """
    folder = Path(folder).absolute()
    reader = _Reader(folder)
    try:
        spec = reader.read_course(known_skills)
        texts = {locale: reader.read_language(locale, spec) for locale in LOCALES}
        if reader.problems or spec is None:
            return None, _in_file_order(reader.problems)
        return _assemble(folder, spec, texts), reader.problems
    except Exception as error:  # a bug here must not take the bot down with it
        reader.add(folder, None, f"could not load the course: {type(error).__name__}: {error}")
        return None, reader.problems


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Problems grouped by file (in the order the files were read), each file by line."""
    rank: dict[Path, int] = {}
    for problem in problems:
        rank.setdefault(problem.path, len(rank))
    return sorted(problems, key=lambda p: (rank[p.path], p.line or 0))


def course_folders(root: Path) -> list[Path]:
    """The sub-folders of ``root`` that are meant to be courses (not hidden, not ``_x``)."""
    return sorted(
        child
        for child in root.iterdir()
        if child.is_dir() and not child.name.startswith((".", "_"))
    )


def load_courses(root: Path, known_skills: frozenset[str] | None) -> LoadResult:
    """Every course under ``root``, sorted by order then id; broken courses are left out."""
    root = Path(root)
    problems: list[Problem] = []
    courses: list[Course] = []
    if not root.is_dir():
        return LoadResult((), (Problem(root, None, "the course content folder does not exist"),))
    folders = course_folders(root)
    for folder in folders:
        if not (folder / COURSE_FILE).is_file():
            problems.append(Problem(folder, None, f"folder has no {COURSE_FILE}"))
            continue
        course, course_problems = load_course(folder, known_skills)
        problems.extend(course_problems)
        if course is not None:
            courses.append(course)
    if not folders:
        problems.append(Problem(root, None, "no course folders found"))
    courses.sort(key=lambda course: (course.order, course.id))
    return LoadResult(tuple(courses), tuple(problems))

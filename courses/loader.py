"""Load course folders (docs/course-format.md) into ``Course`` objects, reporting every problem.

The files are read by ``core.yaml_files`` into the models of ``courses.course_files``. A course
with any problem is left out; problems name the file and the (1-based) line they concern.
Nothing here raises on bad content: ``load_courses`` always returns a ``LoadResult``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.yaml_files import read_yaml, validate
from courses.content_model import (
    LOCALES,
    Course,
    Lesson,
    Option,
    Page,
    PracticeItem,
    PracticeSet,
    Problem,
    Question,
)
from courses.course_files import (
    COURSE_NAMES,
    LANGUAGE_NAMES,
    CourseFile,
    language_model,
    outline,
)

DEFAULT_CONTENT_ROOT = Path(__file__).parent / "content"
COURSE_FILE = "course.yaml"


@dataclass(frozen=True)
class LoadResult:
    courses: tuple[Course, ...]
    problems: tuple[Problem, ...]


def _read(
    folder: Path, known_skills: frozenset[str] | None, problems: list[Problem]
) -> Course | None:
    """The course, or None after adding its problems to ``problems``."""
    path = folder / COURSE_FILE
    data = read_yaml(path, problems)
    context = {"folder": folder, "skills": known_skills}
    spec = None
    if data is not None:
        spec = validate(CourseFile, data, path, problems, COURSE_NAMES, context)
    model = language_model(outline(data, folder))
    texts: dict[str, dict[str, Any]] = {}
    for locale in LOCALES:
        path = folder / f"{locale}.yaml"
        missing = f"language file {path.name} is missing (every course has {', '.join(LOCALES)})"
        data = read_yaml(path, problems, missing)
        language = None
        if data is not None:
            language = validate(model, data, path, problems, LANGUAGE_NAMES)
        if language is not None:
            texts[locale] = language.model_dump(by_alias=True)
    if problems or spec is None:
        return None
    return _assemble(folder, spec, texts)


def _assemble(folder: Path, spec: CourseFile, texts: dict[str, dict[str, Any]]) -> Course:
    """The Course from a sound course.yaml and every language's texts."""

    def t(*keys: str | int) -> dict[str, str]:
        found = {}
        for locale in LOCALES:
            value: Any = texts[locale]
            for key in keys:
                value = value[key]
            found[locale] = value
        return found

    practice = None
    if spec.practice is not None:
        p = spec.practice
        practice = PracticeSet(
            intro=t("practice", "intro"),
            question=t("practice", "question"),
            labels=tuple(Option(label, t("practice", "labels", label)) for label in p.labels),
            items=tuple(
                PracticeItem(
                    id=item.id,
                    answer=item.answer or "",
                    feedback=t("practice", "items", item.id, "feedback"),
                    image=item.image,
                    text=t("practice", "items", item.id, "text") if item.text else None,
                    question=t("practice", "items", item.id, "question") if item.multi else None,
                    tags=tuple(
                        Option(tag, t("practice", "items", item.id, "labels", tag))
                        for tag in item.tags or ()
                    ),
                    answers=frozenset(item.answers or ()),
                )
                for item in p.items
            ),
            rate_minor=p.rate_minor,
            currency=p.currency,
        )
    return Course(
        id=spec.id,
        order=spec.order,
        skill=spec.skill,
        pass_mark=spec.pass_mark,
        retry_cooldown=timedelta(minutes=spec.retry_cooldown_minutes),
        title=t("title"),
        summary=t("summary"),
        lessons=tuple(
            Lesson(
                id=lesson.id,
                title=t("lessons", lesson.id, "title"),
                pages=tuple(
                    Page(t("lessons", lesson.id, "pages", index), lesson.images.get(index + 1))
                    for index in range(lesson.pages)
                ),
            )
            for lesson in spec.lessons
        ),
        quiz=tuple(
            Question(
                id=q.id,
                text=t("quiz", q.id, "question"),
                options=tuple(Option(o, t("quiz", q.id, "options", o)) for o in q.options),
                answer=q.answer,
                explanation=t("quiz", q.id, "explanation"),
            )
            for q in spec.quiz
        ),
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
    problems: list[Problem] = []
    try:
        course = _read(folder, known_skills, problems)
    except Exception as error:  # a bug here must not take the bot down with it
        message = f"could not load the course: {type(error).__name__}: {error}"
        return None, [*problems, Problem(folder, None, message)]
    files = [folder / COURSE_FILE, *(folder / f"{locale}.yaml" for locale in LOCALES)]
    rank = {path: index for index, path in enumerate(files)}
    problems.sort(key=lambda p: (rank.get(p.path, len(rank)), p.line or 0))
    return course, problems


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

"""The courses and projects the bot serves, loaded once at start."""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from courses.content_model import Course, Lesson, Page, Problem
from courses.loader import DEFAULT_CONTENT_ROOT, load_courses
from tasks.catalog import DEFAULT_PROJECTS_DIR, CatalogError, Project, known_skills, load_projects

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageRef:
    lesson_index: int
    lesson: Lesson
    number: int  # 1-based within the lesson
    page: Page


@dataclass(frozen=True)
class CourseLibrary:
    courses: tuple[Course, ...]
    projects: tuple[Project, ...]
    problems: tuple[Problem, ...] = ()

    def get(self, course_id: str) -> Course | None:
        return next((c for c in self.courses if c.id == course_id), None)

    def by_key(self, key: str) -> Course | None:
        """The course whose `course_key` is `key`."""
        return next((c for c in self.courses if course_key(c.id) == key), None)

    def projects_for(self, skills: set[str]) -> list[Project]:
        return [p for p in self.projects if set(p.requires) <= skills]


def course_key(course_id: str) -> str:
    """A short stand-in for a course id where callback data has no room for it (three ids of
    up to 20 characters do not fit Telegram's 64 bytes). 40 bits: no collision among courses."""
    digest = hashlib.blake2s(course_id.encode(), digest_size=5).digest()
    return base64.b32encode(digest).decode().lower()


def page_ref(course: Course, flat_index: int) -> PageRef:
    """The lesson and page at a position counted across the whole course."""
    remaining = flat_index
    for index, lesson in enumerate(course.lessons):
        if remaining < len(lesson.pages):
            return PageRef(index, lesson, remaining + 1, lesson.pages[remaining])
        remaining -= len(lesson.pages)
    raise IndexError(f"{course.id} has no page {flat_index}")


def load_library(
    content_root: Path = DEFAULT_CONTENT_ROOT, projects_dir: Path = DEFAULT_PROJECTS_DIR
) -> CourseLibrary:
    """Load what is sound; report and leave out what is broken (never a crash)."""
    try:
        projects = load_projects(projects_dir)
    except CatalogError as error:
        log.error("project catalog not loaded: %s", str(error))
        projects = ()
    result = load_courses(content_root, known_skills(projects) if projects else None)
    for problem in result.problems:
        log.warning("course problem: %s", problem)
    return CourseLibrary(result.courses, projects, result.problems)

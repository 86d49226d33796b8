"""``courses check``: validate the course content and the project catalog, name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from courses.content_model import Problem, display_path
from courses.loader import DEFAULT_CONTENT_ROOT, LoadResult, load_courses
from tasks.catalog import DEFAULT_PROJECTS_DIR, CatalogError, known_skills, load_projects


def _check(root: Path, projects_dir: Path) -> LoadResult:
    problems: list[Problem] = []
    skills: frozenset[str] | None
    try:
        skills = known_skills(load_projects(projects_dir))
    except CatalogError as error:
        problems.extend(error.problems)
        skills = None  # the catalog is reported; don't blame every course's skill for it
    result = load_courses(root, skills)
    return LoadResult(result.courses, (*problems, *result.problems))


def check_courses(
    root: Path = DEFAULT_CONTENT_ROOT, projects_dir: Path = DEFAULT_PROJECTS_DIR
) -> list[Problem]:
    """Every problem in the course content under ``root`` and in the project folders."""
    return list(_check(root, projects_dir).problems)


def _place(problem: Problem, root: Path) -> tuple[bool, str]:
    """(True, course folder name) for a problem inside a course, else (False, its path)."""
    try:
        relative = problem.path.absolute().relative_to(root.absolute())
    except ValueError:
        return False, display_path(problem.path)
    if not relative.parts:
        return False, display_path(problem.path)
    return True, relative.parts[0]


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def run_check(root: Path, projects_dir: Path, out: TextIO) -> int:
    """Print each problem as ``path:line: message`` and a summary; 0 when clean, else 1."""
    root = Path(root)
    result = _check(root, Path(projects_dir))
    for problem in result.problems:
        print(problem, file=out)
    if not result.problems:
        print(f"{_count(len(result.courses), 'course')} OK", file=out)
        return 0
    places = {_place(problem, root) for problem in result.problems}
    courses = sum(1 for in_course, _ in places if in_course)
    parts = [_count(courses, "course")] if courses else []
    parts += sorted(name for in_course, name in places if not in_course)
    summary = f"{_count(len(result.problems), 'problem')} in {' and '.join(parts)}"
    print(summary, file=out)
    return 1

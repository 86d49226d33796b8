"""The project catalog (tasks/projects.yaml): paid projects and the skills that open them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from courses.content_model import LOCALES, display_path

DEFAULT_PROJECTS_FILE = Path(__file__).parent / "projects.yaml"

ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
PROJECT_KEYS = ("id", "kind", "requires", "title")


class CatalogError(ValueError):
    """A bad projects file; ``str()`` is ``path:line: message``."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = display_path(self.path) if line is None else f"{display_path(self.path)}:{line}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Project:
    id: str
    kind: str
    requires: tuple[str, ...]
    title: dict[str, str]


def _line(node: Any, key: Any = None, index: int | None = None) -> int | None:
    """1-based line of a node, of one of its keys, or of one of its items."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is not None:
            return int(lc.key(key)[0]) + 1
        if index is not None:
            return int(lc.item(index)[0]) + 1
    except (KeyError, IndexError, TypeError):
        pass
    return None if lc.line is None else int(lc.line) + 1


def _parse(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CatalogError(path, None, "the project catalog is missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(path, None, f"cannot read the project catalog: {error}") from None
    try:
        return YAML(typ="rt").load(text)
    except DuplicateKeyError as error:
        match = re.search(r'duplicate key "(.*?)"', str(error.problem or ""))
        key = match.group(1) if match else "?"
        raise CatalogError(path, _mark_line(error), f'duplicate key "{key}"') from None
    except MarkedYAMLError as error:
        detail = error.problem or "invalid YAML"
        if error.context:
            detail = f"{detail} ({error.context})"
        raise CatalogError(path, _mark_line(error), f"YAML syntax error: {detail}") from None
    except YAMLError as error:
        raise CatalogError(path, None, f"YAML error: {error}") from None


def _mark_line(error: MarkedYAMLError) -> int | None:
    mark = error.problem_mark or error.context_mark
    return None if mark is None else int(mark.line) + 1


def _identifier(path: Path, value: object, line: int | None, what: str) -> str:
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise CatalogError(
            path, line, f"{what} {value!r} is not a valid id (lowercase letters, digits, '-', '_')"
        )
    return value


def _project(path: Path, entry: object, line: int | None, number: int) -> Project:
    if not isinstance(entry, CommentedMap):
        raise CatalogError(path, line, f"project {number} must be a mapping (key: value lines)")
    for key in PROJECT_KEYS:
        if key not in entry:
            raise CatalogError(path, line, f'missing key "{key}" in project {number}')
    for key in entry:
        if key not in PROJECT_KEYS:
            raise CatalogError(
                path, _line(entry, key=key), f'unknown key "{key}" in project {number}'
            )
    project_id = _identifier(path, entry["id"], _line(entry, key="id"), "project id")
    where = f'project "{project_id}"'
    kind = _identifier(path, entry["kind"], _line(entry, key="kind"), f"kind of {where}")
    requires_line = _line(entry, key="requires")
    requires = entry["requires"]
    if not isinstance(requires, CommentedSeq):
        raise CatalogError(path, requires_line, f'"requires" of {where} must be a list of skills')
    skills: list[str] = []
    for index, skill in enumerate(requires):
        skill_line = _line(requires, index=index) or requires_line
        skill = _identifier(path, skill, skill_line, f"skill in {where}")
        if skill in skills:
            raise CatalogError(path, skill_line, f'skill "{skill}" is listed twice in {where}')
        skills.append(skill)
    title_line = _line(entry, key="title")
    title = entry["title"]
    if not isinstance(title, CommentedMap):
        raise CatalogError(path, title_line, f'"title" of {where} must be a mapping locale: text')
    for locale in title:
        if locale not in LOCALES:
            raise CatalogError(
                path,
                _line(title, key=locale),
                f'unknown language "{locale}" in the title of {where}'
                f" (expected: {', '.join(LOCALES)})",
            )
    texts: dict[str, str] = {}
    for locale in LOCALES:
        value = title.get(locale)
        if not isinstance(value, str) or not value.strip():
            line = _line(title, key=locale) if locale in title else title_line
            raise CatalogError(path, line, f"the {locale} title of {where} is missing or empty")
        texts[locale] = value.strip()
    return Project(id=project_id, kind=kind, requires=tuple(skills), title=texts)


def load_projects(path: Path = DEFAULT_PROJECTS_FILE) -> tuple[Project, ...]:
    """The projects in the catalog; raises CatalogError naming file and line on a bad file."""
    path = Path(path)
    data = _parse(path)
    if not isinstance(data, CommentedMap):
        raise CatalogError(path, _line(data) or 1, 'the catalog must be a mapping with "projects"')
    for key in data:
        if key != "projects":
            raise CatalogError(path, _line(data, key=key), f'unknown key "{key}"')
    if "projects" not in data:
        raise CatalogError(path, _line(data) or 1, 'missing key "projects"')
    entries = data["projects"]
    projects_line = _line(data, key="projects")
    if not isinstance(entries, CommentedSeq):
        raise CatalogError(path, projects_line, '"projects" must be a list')
    projects: list[Project] = []
    seen: dict[str, int | None] = {}
    for index, entry in enumerate(entries):
        line = _line(entries, index=index) or projects_line
        project = _project(path, entry, line, index + 1)
        if project.id in seen:
            raise CatalogError(
                path,
                _line(entry, key="id"),
                f'duplicate project id "{project.id}" (first on line {seen[project.id]})',
            )
        seen[project.id] = _line(entry, key="id")
        projects.append(project)
    return tuple(projects)


def known_skills(projects: Iterable[Project]) -> frozenset[str]:
    """Every skill some project requires (the skills a course may grant)."""
    return frozenset(skill for project in projects for skill in project.requires)

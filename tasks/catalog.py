"""The project catalog (tasks/projects.yaml): paid projects and the skills that open them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, create_model

from core.locales import CATALOG_LOCALES
from core.yaml_files import Problem, Strict, identifier, read_yaml, text, unique, validate

DEFAULT_PROJECTS_FILE = Path(__file__).parent / "projects.yaml"
ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")  # as course ids: skills are what courses grant
Id = Annotated[str, BeforeValidator(identifier(ID_RE, "use lowercase letters, digits, '-', '_'"))]
NAMES = {
    ("projects", "*"): "project {0}",
    ("projects", "*", "requires", "*"): "skill {1} of project {0}",
    ("projects", "*", "title", "*"): "{1} title of project {0}",
}


class CatalogError(ValueError):
    """A bad projects file; ``str()`` is its problems, one ``path:line: message`` a line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0]
        self.path, self.line, self.message = Path(first.path), first.line, first.message
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class Project:
    id: str
    kind: str
    requires: tuple[str, ...]
    title: dict[str, str]


_Titles = create_model("Titles", __base__=Strict, **dict.fromkeys(CATALOG_LOCALES, (text(), ...)))


class _Project(Strict):
    id: Id
    kind: Id
    requires: Annotated[list[Id], unique("skill")]
    title: _Titles  # type: ignore[valid-type]


class _Catalog(Strict):
    projects: Annotated[list[_Project], unique("project id")]


def load_projects(path: Path = DEFAULT_PROJECTS_FILE) -> tuple[Project, ...]:
    """The projects in the catalog; raises CatalogError naming file and line on a bad file."""
    path = Path(path)
    problems: list[Problem] = []
    data = read_yaml(path, problems, "the project catalog is missing")
    catalog = None if data is None else validate(_Catalog, data, path, problems, NAMES)
    if catalog is None:
        raise CatalogError(sorted(problems, key=lambda problem: problem.line or 0))
    return tuple(
        Project(p.id, p.kind, tuple(p.requires), p.title.model_dump()) for p in catalog.projects
    )


def known_skills(projects: Iterable[Project]) -> frozenset[str]:
    """Every skill some project requires (the skills a course may grant)."""
    return frozenset(skill for project in projects for skill in project.requires)

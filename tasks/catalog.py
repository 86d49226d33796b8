"""The project catalog: the shipped project folders (tasks/projects/*/project.yaml).

The catalog says which projects exist and which skills open them; courses grant those skills
(`courses check` refuses a course whose skill no project requires).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.yaml_files import Problem
from tasks.spec import SpecError, read_spec, spec_line

DEFAULT_PROJECTS_DIR = Path(__file__).parent / "projects"
SPEC_FILE = "project.yaml"


class CatalogError(ValueError):
    """Bad project files; ``str()`` is their problems, one ``path:line: message`` a line."""

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


def project_files(root: Path = DEFAULT_PROJECTS_DIR) -> list[Path]:
    """The project.yaml of each project folder under ``root``, by folder name."""
    return sorted(Path(root).glob(f"*/{SPEC_FILE}"))


def load_projects(root: Path = DEFAULT_PROJECTS_DIR) -> tuple[Project, ...]:
    """The projects under ``root``; raises CatalogError naming file and line for each problem."""
    root = Path(root)
    if not root.is_dir():
        raise CatalogError([Problem(root, None, "the project folder is missing")])
    files = project_files(root)
    if not files:
        raise CatalogError([Problem(root, None, f"no project folders (*/{SPEC_FILE}) here")])
    problems: list[Problem] = []
    projects: list[Project] = []
    first_file: dict[str, Path] = {}
    for path in files:
        try:
            spec, data = read_spec(path)
        except SpecError as error:
            problems.extend(error.problems)
            continue
        if spec.id in first_file:
            other = first_file[spec.id].parent.name
            problems.append(
                Problem(path, spec_line(data, "id"), f'duplicate project id "{spec.id}" ({other})')
            )
            continue
        first_file[spec.id] = path
        projects.append(Project(spec.id, spec.kind, spec.requires, spec.title.model_dump()))
    if problems:
        raise CatalogError(problems)
    return tuple(projects)


def known_skills(projects: Iterable[Project]) -> frozenset[str]:
    """Every skill some project requires (the skills a course may grant)."""
    return frozenset(skill for project in projects for skill in project.requires)

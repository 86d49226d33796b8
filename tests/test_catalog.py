"""The project catalog: the shipped file loads; a broken one names file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from courses.content_model import LOCALES
from tasks.catalog import CatalogError, Project, known_skills, load_projects

VALID = """\
projects:
  - id: street-objects
    kind: image-classification
    requires: [image-labelling]
    title:
      en: Street objects
      ar: أشياء في الشارع
      fa_AF: اشیای سرک
      uk: Об'єкти на вулиці
"""


def test_shipped_catalog_loads() -> None:
    projects = load_projects()
    assert projects
    assert all(isinstance(project, Project) for project in projects)
    assert all(set(project.title) == set(LOCALES) for project in projects)
    assert len({project.id for project in projects}) == len(projects)
    skills = known_skills(projects)
    assert {"image-labelling", "platform-basics"} <= skills


def test_fields(tmp_path: Path) -> None:
    path = tmp_path / "projects.yaml"
    path.write_text(VALID, encoding="utf-8")
    (project,) = load_projects(path)
    assert project == Project(
        id="street-objects",
        kind="image-classification",
        requires=("image-labelling",),
        title={
            "en": "Street objects",
            "ar": "أشياء في الشارع",
            "fa_AF": "اشیای سرک",
            "uk": "Об'єкти на вулиці",
        },
    )
    assert known_skills([project]) == frozenset({"image-labelling"})
    assert known_skills([]) == frozenset()


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("requires: [image-labelling]", "requires: [image-labelling", 5, "YAML syntax error"),
        ("    kind: image-classification\n", "", 2, 'missing key "kind"'),
        (
            "    kind: image-classification\n",
            "    kind: x\n    kind: y\n",
            4,
            'duplicate key "kind"',
        ),
        (
            "      uk: Об'єкти на вулиці\n",
            "",
            5,
            '"uk" title of project "street-objects" is missing',
        ),
        (
            "      uk: Об'єкти на вулиці\n",
            "      uk: ''\n",
            9,
            '"uk" title of project "street-objects" is empty',
        ),
        (
            "      en: Street objects",
            "      de: Straße\n      en: Street objects",
            6,
            'unknown "de" title of project "street-objects" (expected: ar, fa_AF, uk, en)',
        ),
        ("requires: [image-labelling]", "requires: image-labelling", 4, "must be a list"),
        ("requires: [image-labelling]", "requires: [Image Labelling]", 4, "not a valid id"),
        (
            "requires: [image-labelling]",
            "requires: [image-labelling, image-labelling]",
            4,
            'duplicate skill "image-labelling"',
        ),
        ("    title:", "    colour: red\n    title:", 5, 'unknown key "colour"'),
        ("  - id: street-objects", "  - id: Streets", 2, 'is not a valid id: "Streets"'),
    ],
)
def test_broken_catalog_names_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    path = tmp_path / "projects.yaml"
    assert VALID.count(old) == 1
    path.write_text(VALID.replace(old, new), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_projects(path)
    error = caught.value
    assert error.path == path and error.line == line, str(error)
    assert f"projects.yaml:{line}: " in str(error)
    assert message in str(error)


def test_every_problem_is_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "projects.yaml"
    broken = VALID.replace("      en: Street objects", "      de: Straße").replace(
        "[image", "[Image"
    )
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_projects(path)
    assert [(problem.line, problem.message) for problem in caught.value.problems] == [
        (
            4,
            'skill 1 of project "street-objects" is not a valid id: "Image-labelling"'
            " (use lowercase letters, digits, '-', '_')",
        ),
        (5, '"en" title of project "street-objects" is missing'),
        (6, 'unknown "de" title of project "street-objects" (expected: ar, fa_AF, uk, en)'),
    ]
    assert str(caught.value).count("projects.yaml:") == 3


def test_duplicate_project_id(tmp_path: Path) -> None:
    path = tmp_path / "projects.yaml"
    path.write_text(VALID + VALID.removeprefix("projects:\n"), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"projects\.yaml:10: duplicate project id"):
        load_projects(path)


def test_missing_or_empty_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="missing"):
        load_projects(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"empty\.yaml: empty\.yaml is empty"):
        load_projects(tmp_path / "empty.yaml")

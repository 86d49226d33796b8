"""The project catalog: the shipped folders load; a broken project.yaml names file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from courses.content_model import LOCALES
from tasks.catalog import DEFAULT_PROJECTS_DIR, CatalogError, Project, known_skills, load_projects

VALID = """\
id: street-objects
kind: classification
requires: [image-labelling]
title:
  en: Street objects
  ar: أشياء في الشارع
  fa_AF: اشیای سرک
  uk: Об'єкти на вулиці
instructions: {en: Pick one., ar: اختر واحدا., fa_AF: یکی را انتخاب کنید., uk: Оберіть одне.}
labels:
  - id: car
    text: {en: Car, ar: سيارة, fa_AF: موتر, uk: Авто}
  - id: tree
    text: {en: Tree, ar: شجرة, fa_AF: درخت, uk: Дерево}
reward: {amount_minor: 2, currency: USD}
overlap: 3
items: items.csv
"""


def write_project(root: Path, folder: str = "street-objects", text: str = VALID) -> Path:
    path = root / folder / "project.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_catalog_loads() -> None:
    projects = load_projects()
    assert projects
    assert all(isinstance(project, Project) for project in projects)
    assert all(set(project.title) == set(LOCALES) for project in projects)
    assert len({project.id for project in projects}) == len(projects)
    skills = known_skills(projects)
    assert {"image-labelling", "platform-basics"} <= skills
    assert load_projects(DEFAULT_PROJECTS_DIR) == projects


def test_fields(tmp_path: Path) -> None:
    write_project(tmp_path)
    (project,) = load_projects(tmp_path)
    assert project == Project(
        id="street-objects",
        kind="classification",
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
        ("requires: [image-labelling]", "requires: [image-labelling", 4, "YAML syntax error"),
        ("kind: classification\n", "", 1, 'missing key "kind"'),
        ("kind: classification\n", "kind: tagging\nkind: tagging\n", 3, 'duplicate key "kind"'),
        ("  uk: Об'єкти на вулиці\n", "", 4, '"uk" title is missing'),
        ("  uk: Об'єкти на вулиці\n", "  uk: ''\n", 8, '"uk" title is empty'),
        (
            "  en: Street objects",
            "  de: Straße\n  en: Street objects",
            5,
            'unknown "de" title (expected: ar, fa_AF, uk, en)',
        ),
        ("requires: [image-labelling]", "requires: image-labelling", 3, "must be a list"),
        ("requires: [image-labelling]", "requires: [Image Labelling]", 3, "not a valid id"),
        (
            "requires: [image-labelling]",
            "requires: [image-labelling, image-labelling]",
            3,
            'duplicate skill "image-labelling"',
        ),
        ("title:", "colour: red\ntitle:", 4, 'unknown key "colour"'),
        ("id: street-objects", "id: Streets", 1, 'is not a valid id: "Streets"'),
    ],
)
def test_broken_project_names_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert VALID.count(old) == 1
    path = write_project(tmp_path, text=VALID.replace(old, new))
    with pytest.raises(CatalogError) as caught:
        load_projects(tmp_path)
    error = caught.value
    assert error.path == path and error.line == line, str(error)
    assert f"street-objects/project.yaml:{line}: " in str(error)
    assert message in str(error)


def test_every_problem_in_every_folder_is_reported(tmp_path: Path) -> None:
    write_project(tmp_path, "a", VALID.replace("  en: Street objects", "  de: Straße"))
    write_project(tmp_path, "b", VALID.replace("[image", "[Image").replace("kind: c", "kind: x"))
    with pytest.raises(CatalogError) as caught:
        load_projects(tmp_path)
    assert [
        (problem.path.parent.name, problem.line, problem.message)
        for problem in caught.value.problems
    ] == [
        ("a", 4, '"en" title is missing'),
        ("a", 5, 'unknown "de" title (expected: ar, fa_AF, uk, en)'),
        (
            "b",
            2,
            '"kind" must be one of classification, tagging, verification, comparison,'
            ' not "xlassification"',
        ),
        (
            "b",
            3,
            'skill 1 is not a valid id: "Image-labelling"'
            " (use lowercase letters, digits, '-', '_')",
        ),
    ]


def test_duplicate_project_id(tmp_path: Path) -> None:
    write_project(tmp_path, "first")
    write_project(tmp_path, "second")
    with pytest.raises(
        CatalogError, match=r'second/project\.yaml:1: duplicate project id "street-objects"'
    ):
        load_projects(tmp_path)


def test_missing_or_empty_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="the project folder is missing"):
        load_projects(tmp_path / "nope")
    with pytest.raises(CatalogError, match="no project folders"):
        load_projects(tmp_path)
    write_project(tmp_path, text="")
    with pytest.raises(CatalogError, match=r"project\.yaml: project\.yaml is empty"):
        load_projects(tmp_path)

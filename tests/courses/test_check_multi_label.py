"""`courses check` for multi-label practice items: tags and answers in course.yaml, the item's
question and tag texts in every language file."""

from __future__ import annotations

from pathlib import Path

import pytest

from courses.content_model import LOCALES
from courses.loader import load_courses
from tasks.catalog import known_skills, load_projects
from tests.courses.test_check import edit, env, lines, only

__all__ = ["env"]  # the fixture, used by name

MULTI_ITEM = """\
    - id: p2
      text: true
      tags: [food, staff, price]
      answers: [food, staff]
"""
MULTI_TEXT = """\
    p2:
      question: Tick every label that applies.
      text: A sentence to tag.
      labels:
        food: Food
        staff: Staff
        price: Price
      feedback: Food and staff.
"""


def make_multi(folder: Path) -> None:
    edit(folder / "course.yaml", "    - id: p2\n      text: true\n      answer: none\n", MULTI_ITEM)
    for locale in LOCALES:
        edit(
            folder / f"{locale}.yaml",
            "    p2:\n      text: A sentence to classify.\n      feedback: Nothing here fits.\n",
            MULTI_TEXT,
        )


def test_a_multi_label_item_loads(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    make_multi(folder)
    assert lines(root, projects) == []
    skills = known_skills(load_projects(projects))
    (course,) = load_courses(root, skills).courses
    assert course.practice is not None
    item = course.practice.items[1]
    assert item.multi and item.answer == ""
    assert item.answers == {"food", "staff"}
    assert [(tag.id, tag.text["uk"]) for tag in item.tags] == [
        ("food", "Food"),
        ("staff", "Staff"),
        ("price", "Price"),
    ]
    assert item.question is not None and item.question["ar"] == "Tick every label that applies."


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "      answers: [food, staff]\n",
            "      answers: [food, fish]\n",
            28,
            'answer "fish" of practice item "p2" is not one of its tags (food, staff, price)',
        ),
        (
            "      answers: [food, staff]\n",
            "",
            25,
            'practice item "p2" has "tags" but no "answers"',
        ),
        (
            "      tags: [food, staff, price]\n",
            "      tags: [food, staff, price]\n      answer: none\n",
            25,
            'practice item "p2" has "answer" and "tags"/"answers"',
        ),
        (
            "      tags: [food, staff, price]\n",
            "      tags: [food, food, price]\n",
            27,
            'duplicate tag "food"',
        ),
        (
            "      tags: [food, staff, price]\n      answers: [food, staff]\n",
            "      tags: [food-and-drink-xxxxx, staff-and-service-yy, price]\n"
            "      answers: [price]\n",
            25,
            "are 47 characters together",
        ),
    ],
)
def test_broken_multi_label_items(
    env: tuple[Path, Path, Path], old: str, new: str, line: int, message: str
) -> None:
    root, folder, projects = env
    make_multi(folder)
    edit(folder / "course.yaml", old, new)
    found = [problem for problem in lines(root, projects) if "course.yaml" in problem]
    assert len(found) == 1, found
    assert f"course.yaml:{line}: " in found[0] and message in found[0], found[0]


def test_a_tag_text_missing_in_one_language(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    make_multi(folder)
    edit(folder / "uk.yaml", "        price: Price\n", "")
    problem = only(root, projects)
    assert "uk.yaml:" in problem and 'tag "price" of practice item "p2"' in problem, problem


def test_a_multi_label_item_needs_its_question(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    make_multi(folder)
    edit(folder / "ar.yaml", "      question: Tick every label that applies.\n", "")
    problem = only(root, projects)
    assert "ar.yaml:" in problem and 'missing key "question" in practice item "p2"' in problem

"""What the loader builds from a valid course, and how it leaves broken courses out."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from courses.content_model import LOCALES, Problem
from courses.loader import load_course, load_courses
from tests.courses.test_check import edit, write_course

SKILLS = frozenset({"image-labelling"})


def test_loads_the_whole_course(tmp_path: Path) -> None:
    folder = write_course(tmp_path)
    course, problems = load_course(folder, SKILLS)
    assert problems == []
    assert course is not None
    assert course.id == "demo-course"
    assert course.order == 1
    assert course.skill == "image-labelling"
    assert course.pass_mark == 80
    assert course.retry_cooldown == timedelta(minutes=30)
    assert course.folder == folder.absolute()
    assert course.title == {locale: f"{locale} demo course" for locale in LOCALES}
    assert set(course.summary) == set(LOCALES)

    assert [lesson.id for lesson in course.lessons] == ["why-labels", "single-label"]
    assert course.page_count == 3
    first, second = course.lessons[0].pages
    assert first.text["en"] == "First page."  # the literal block's trailing newline is gone
    assert first.image is None
    assert second.image == (folder / "images" / "photo.png").resolve()
    assert second.image.is_file()
    assert course.lessons[1].title["uk"] == "One label"

    (question,) = course.quiz
    assert question.id == "q1"
    assert question.text["ar"] == "Which one?"
    assert [option.id for option in question.options] == ["a", "b", "c"]
    assert question.options[1].text == {locale: "Second" for locale in LOCALES}
    assert question.answer == "b"
    assert question.explanation["fa_AF"] == "Because the second one is right."

    practice = course.practice
    assert practice is not None
    assert practice.rate_minor == 5
    assert practice.currency == "USD"
    assert practice.intro["en"] == "Label each picture or text."
    assert practice.question["en"] == "What is it?"
    assert [label.id for label in practice.labels] == ["car", "none"]
    assert practice.labels[1].text["en"] == "None of these"
    image_item, text_item = practice.items
    assert image_item.id == "p1" and image_item.answer == "car"
    assert image_item.image == second.image and image_item.text is None
    assert image_item.feedback["en"] == "It is a car."
    assert text_item.image is None
    assert text_item.text == {locale: "A sentence to classify." for locale in LOCALES}
    assert text_item.answer == "none"


def test_practice_is_optional_and_rate_too(tmp_path: Path) -> None:
    folder = write_course(tmp_path)
    course_yaml = folder / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().split("practice:")[0], encoding="utf-8")
    for locale in LOCALES:
        lang = folder / f"{locale}.yaml"
        lang.write_text(lang.read_text().split("practice:")[0], encoding="utf-8")
    course, problems = load_course(folder, SKILLS)
    assert problems == [] and course is not None
    assert course.practice is None

    folder = write_course(tmp_path, "other")
    edit(folder / "course.yaml", "  rate_minor: 5\n  currency: USD\n", "")
    course, problems = load_course(folder, SKILLS)
    assert problems == [] and course is not None and course.practice is not None
    assert course.practice.rate_minor is None and course.practice.currency is None


def test_numeric_ids_and_texts_are_taken_as_text(tmp_path: Path) -> None:
    folder = write_course(tmp_path)
    edit(
        folder / "course.yaml",
        "options: [a, b, c]\n    answer: b",
        "options: [1, 2, 3]\n    answer: 2",
    )
    for locale in LOCALES:
        edit(
            folder / f"{locale}.yaml",
            "a: First\n      b: Second\n      c: Third",
            "1: 10\n      2: 20\n      3: '30'",
        )
    course, problems = load_course(folder, SKILLS)
    assert problems == [] and course is not None
    question = course.quiz[0]
    assert [(option.id, option.text["en"]) for option in question.options] == [
        ("1", "10"),
        ("2", "20"),
        ("3", "30"),
    ]
    assert question.answer == "2"


def test_broken_course_is_none_with_problems(tmp_path: Path) -> None:
    folder = write_course(tmp_path)
    edit(folder / "course.yaml", "    answer: b\n", "    answer: z\n")
    course, problems = load_course(folder, SKILLS)
    assert course is None
    assert [(p.path.name, p.line) for p in problems] == [("course.yaml", 16)]


def test_unknown_skills_are_not_checked_when_none(tmp_path: Path) -> None:
    folder = write_course(tmp_path)
    assert load_course(folder, frozenset())[0] is None
    assert load_course(folder, None)[0] is not None


def test_load_courses_sorts_and_leaves_broken_ones_out(tmp_path: Path) -> None:
    write_course(tmp_path, "zeta", order=1)
    write_course(tmp_path, "alpha", order=2)
    write_course(tmp_path, "beta", order=1)
    broken = write_course(tmp_path, "broken", order=0)
    (broken / "course.yaml").write_text("id: broken\norder: [\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a course", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    result = load_courses(tmp_path, SKILLS)
    assert [course.id for course in result.courses] == ["beta", "zeta", "alpha"]
    assert len(result.problems) == 1
    assert result.problems[0].path.name == "course.yaml"
    assert result.problems[0].line == 3


def test_load_courses_never_raises(tmp_path: Path) -> None:
    result = load_courses(tmp_path / "nowhere", SKILLS)
    assert result.courses == ()
    assert "does not exist" in result.problems[0].message
    result = load_courses(tmp_path, SKILLS)
    assert result.courses == () and "no course folders" in result.problems[0].message

    folder = write_course(tmp_path)
    (folder / "en.yaml").write_bytes(b"\xff\xfe\x00 not utf-8")
    (folder / "ar.yaml").write_text("", encoding="utf-8")
    (folder / "uk.yaml").write_text("- a list\n", encoding="utf-8")
    (folder / "fa_AF.yaml").write_text("title: !!binary nonsense\n", encoding="utf-8")
    result = load_courses(tmp_path, SKILLS)
    assert result.courses == ()
    names = [problem.path.name for problem in result.problems]
    assert {"en.yaml", "ar.yaml", "uk.yaml", "fa_AF.yaml"} <= set(names)


def test_problem_str(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "course" / "ar.yaml"
    assert str(Problem(path, 7, "bad")) == f"{path}:7: bad"
    assert str(Problem(path, None, "bad")) == f"{path}: bad"
    monkeypatch.chdir(tmp_path)
    assert str(Problem(path, 7, "bad")) == f"course{os.sep}ar.yaml:7: bad"

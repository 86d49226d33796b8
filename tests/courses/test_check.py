"""`courses check`: a minimal valid course, then one broken thing at a time, by file and line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from courses.check import check_courses, run_check
from courses.content_model import (
    HEADING_ROOM,
    LOCALES,
    MAX_CAPTION_CHARS,
    MAX_PAGE_CHARS,
    MAX_PRACTICE_TEXT_CHARS,
)
from courses.loader import DEFAULT_CONTENT_ROOT, load_courses
from tasks.catalog import DEFAULT_PROJECTS_DIR, known_skills, load_projects

# Line numbers below refer to these templates (1-based).
COURSE_YAML = """\
id: {course_id}
order: {order}
skill: image-labelling
pass_mark: 80
retry_cooldown_minutes: 30
lessons:
  - id: why-labels
    pages: 2
    images:
      2: images/photo.png
  - id: single-label
    pages: 1
quiz:
  - id: q1
    options: [a, b, c]
    answer: b
practice:
  rate_minor: 5
  currency: USD
  labels: [car, none]
  items:
    - id: p1
      image: images/photo.png
      answer: car
    - id: p2
      text: true
      answer: none
"""

LANGUAGE_YAML = """\
title: {lang} demo course
summary: A short course to test the checker.
lessons:
  why-labels:
    title: Why labels
    pages:
      - |
        First page.
      - Second page, under a photo.
  single-label:
    title: One label
    pages:
      - Only page.
quiz:
  q1:
    question: Which one?
    options:
      a: First
      b: Second
      c: Third
    explanation: Because the second one is right.
practice:
  intro: Label each picture or text.
  question: What is it?
  labels:
    car: Car
    none: None of these
  items:
    p1:
      feedback: It is a car.
    p2:
      text: A sentence to classify.
      feedback: Nothing here fits.
"""

PROJECT_YAML = """\
id: street-objects
kind: classification
requires: [{skill}]
title:
  en: Street objects
  ar: أشياء في الشارع
  fa_AF: اشیای سرک
  uk: Об'єкти на вулиці
instructions: {{en: Pick one., ar: اختر واحدا., fa_AF: یکی را انتخاب کنید., uk: Оберіть одне.}}
labels:
  - id: car
    text: {{en: Car, ar: سيارة, fa_AF: موتر, uk: Авто}}
  - id: tree
    text: {{en: Tree, ar: شجرة, fa_AF: درخت, uk: Дерево}}
reward: {{amount_minor: 2, currency: USD}}
overlap: 3
items: items.csv
"""


def write_course(root: Path, course_id: str = "demo-course", order: int = 1) -> Path:
    """A valid course folder under root (course.yaml, four language files, one PNG)."""
    folder = root / course_id
    (folder / "images").mkdir(parents=True)
    (folder / "course.yaml").write_text(
        COURSE_YAML.format(course_id=course_id, order=order), encoding="utf-8"
    )
    for locale in LOCALES:
        (folder / f"{locale}.yaml").write_text(LANGUAGE_YAML.format(lang=locale), encoding="utf-8")
    Image.new("RGB", (40, 30), "orange").save(folder / "images" / "photo.png")
    return folder


def write_projects(root: Path, skill: str = "image-labelling") -> Path:
    """A project folder (street-objects/project.yaml) under root; returns root."""
    spec = root / "street-objects" / "project.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(PROJECT_YAML.format(skill=skill), encoding="utf-8")
    return root


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of a file (it must be there once)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def env(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(content root, course folder, project folders)."""
    root = tmp_path / "content"
    folder = write_course(root)
    projects = write_projects(tmp_path / "projects")
    return root, folder, projects


def lines(root: Path, projects: Path) -> list[str]:
    return [str(problem) for problem in check_courses(root, projects)]


def only(root: Path, projects: Path) -> str:
    """The one problem reported."""
    found = lines(root, projects)
    assert len(found) == 1, found
    return found[0]


def test_minimal_course_is_clean(env: tuple[Path, Path, Path]) -> None:
    root, _, projects = env
    assert check_courses(root, projects) == []
    result = load_courses(root, frozenset({"image-labelling"}))
    assert [course.id for course in result.courses] == ["demo-course"]


# -- language files -------------------------------------------------------------------------


def test_page_missing_in_one_language(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "ar.yaml", "      - Second page, under a photo.\n", "")
    problem = only(root, projects)
    assert "ar.yaml:6: " in problem
    assert 'lesson "why-labels" has 1 page, course.yaml says 2' in problem


def test_extra_page_in_one_language(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "uk.yaml", "      - Only page.\n", "      - Only page.\n      - One more.\n")
    problem = only(root, projects)
    assert "uk.yaml:12: " in problem
    assert "has 2 pages, course.yaml says 1" in problem


def test_missing_language_file(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    (folder / "fa_AF.yaml").unlink()
    problem = only(root, projects)
    assert problem.endswith(
        "fa_AF.yaml: language file fa_AF.yaml is missing (every course has ar, fa_AF, uk, en)"
    )


def test_lesson_missing_in_one_language(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(
        folder / "en.yaml",
        "  single-label:\n    title: One label\n    pages:\n      - Only page.\n",
        "",
    )
    problem = only(root, projects)
    assert "en.yaml:3: " in problem
    assert 'lesson "single-label" is missing' in problem


def test_extra_lesson_in_one_language(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "en.yaml", "quiz:\n", "  extra:\n    title: X\n    pages: [x]\nquiz:\n")
    problem = only(root, projects)
    assert "en.yaml:14: " in problem
    assert 'unknown lesson "extra" (expected: why-labels, single-label)' in problem


def test_option_missing_in_one_language(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "ar.yaml", "      c: Third\n", "")
    problem = only(root, projects)
    assert "ar.yaml:17: " in problem
    assert 'option "c" of question "q1" is missing' in problem


def test_label_missing_in_one_language(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "fa_AF.yaml", "    none: None of these\n", "")
    problem = only(root, projects)
    assert "fa_AF.yaml:25: " in problem
    assert 'label "none" is missing' in problem


def test_practice_text_missing_in_one_language(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "uk.yaml", "      text: A sentence to classify.\n", "")
    problem = only(root, projects)
    assert "uk.yaml:31: " in problem
    assert 'missing key "text" in practice item "p2"' in problem


def test_missing_key_reported_at_parent_mapping(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "en.yaml", "    explanation: Because the second one is right.\n", "")
    problem = only(root, projects)
    assert "en.yaml:15: " in problem
    assert 'missing key "explanation" in question "q1"' in problem


def test_empty_text(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "ar.yaml", "    title: One label\n", '    title: "  "\n')
    problem = only(root, projects)
    assert "ar.yaml:11: " in problem
    assert 'title of lesson "single-label" is empty' in problem


def test_text_must_not_be_a_boolean(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "en.yaml", "      a: First\n", "      a: true\n")
    assert "en.yaml:18: " in only(root, projects)


def test_practice_in_language_without_practice_in_course(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    course = folder / "course.yaml"
    course.write_text(course.read_text().split("practice:")[0], encoding="utf-8")
    found = lines(root, projects)
    assert len(found) == 4  # one per language file
    assert any("en.yaml:22: " in line and "no practice set" in line for line in found)


def test_empty_language_file(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    (folder / "uk.yaml").write_text("# to do\n", encoding="utf-8")
    assert only(root, projects).endswith("uk.yaml: uk.yaml is empty")


def test_problems_listed_by_file_then_line(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "ar.yaml", "      c: Third\n", "")
    edit(folder / "course.yaml", "      answer: none\n", "      answer: none\nextra: 1\n")
    edit(folder / "course.yaml", "pass_mark: 80", "pass_mark: 800")
    edit(folder / "course.yaml", "order: 1", "order: first")
    found = [line.split(": ")[0].rsplit("/", 1)[-1] for line in lines(root, projects)]
    assert found == ["course.yaml:2", "course.yaml:4", "course.yaml:28", "ar.yaml:17"]


# -- YAML -----------------------------------------------------------------------------------


def test_yaml_syntax_error(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "uk.yaml", "    explanation: Because", "    explanation: Because: really")
    problem = only(root, projects)
    assert "uk.yaml:21: " in problem
    assert "YAML syntax error" in problem


def test_duplicate_yaml_key(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "en.yaml", "summary:", "title: again\nsummary:")
    problem = only(root, projects)
    assert "en.yaml:2: " in problem
    assert 'duplicate key "title"' in problem


# -- course.yaml ----------------------------------------------------------------------------


def test_duplicate_lesson_id(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", "  - id: single-label\n", "  - id: why-labels\n")
    found = lines(root, projects)
    assert any(
        "course.yaml:11: " in line and 'duplicate lesson id "why-labels"' in line for line in found
    ), found


def test_duplicate_option_id(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", "[a, b, c]", "[a, b, b]")
    found = lines(root, projects)
    assert any("course.yaml:15: " in line and 'duplicate option "b"' in line for line in found)


def test_duplicate_practice_item_id(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", "    - id: p2\n", "    - id: p1\n")
    found = lines(root, projects)
    assert any(
        "course.yaml:25: " in line and 'duplicate practice item id "p1"' in line for line in found
    ), found


def test_quiz_answer_not_an_option(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", "    answer: b\n", "    answer: d\n")
    problem = only(root, projects)
    assert "course.yaml:16: " in problem
    assert 'answer "d" of question "q1" is not one of its options (a, b, c)' in problem


def test_practice_answer_not_a_label(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", "      answer: car\n", "      answer: bus\n")
    problem = only(root, projects)
    assert "course.yaml:24: " in problem
    assert 'answer "bus" of practice item "p1" is not one of the labels' in problem


def test_skill_no_project_requires(env: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root, _, _ = env
    projects = write_projects(tmp_path / "other", skill="platform-basics")
    problem = only(root, projects)
    assert "course.yaml:3: " in problem
    assert 'skill "image-labelling" is not required by any project' in problem


def test_missing_key(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", "pass_mark: 80\n", "")
    problem = only(root, projects)
    assert "course.yaml:1: " in problem
    assert 'missing key "pass_mark"' in problem


def test_unknown_key(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", "    pages: 1\n", "    pages: 1\n    colour: red\n")
    problem = only(root, projects)
    assert "course.yaml:13: " in problem
    assert 'unknown key "colour" in lesson "single-label"' in problem


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("pass_mark: 80", "pass_mark: 0", 4, '"pass_mark" must be a whole number from 1 to 100'),
        ("pass_mark: 80", "pass_mark: 101", 4, '"pass_mark" must be a whole number from 1 to 100'),
        ("pass_mark: 80", "pass_mark: high", 4, 'not "high"'),
        ("    pages: 1\n", "    pages: 0\n", 12, '"pages" in lesson "single-label" must be'),
        ("    pages: 1\n", "    pages: two\n", 12, '"pages" in lesson "single-label" must be'),
        ("rate_minor: 5", "rate_minor: -5", 18, '"rate_minor" in practice must be'),
        ("rate_minor: 5", "rate_minor: 0.5", 18, '"rate_minor" in practice must be'),
        ("currency: USD", "currency: usd", 19, '"currency" in practice must be a 3-letter'),
        ("currency: USD", "currency: DOLLAR", 19, '"currency" in practice must be a 3-letter'),
        ("order: 1", "order: first", 2, '"order" must be a whole number'),
        ("retry_cooldown_minutes: 30", "retry_cooldown_minutes: -1", 5, "0 or more"),
        ("id: demo-course", "id: other-course", 1, 'does not match the folder name "demo-course"'),
        ("  - id: q1\n", "  - id: Q 1\n", 14, '"id" in question 1 is not a valid id: "Q 1"'),
        ("[a, b, c]", "[a]", 15, "needs 2 to 6"),
        (
            "      text: true\n",
            "      text: yes please\n",
            26,
            '"text" in practice item "p2" must be true',
        ),
        ("      image: images/photo.png\n", "", 22, 'needs "image: <file>" or "text: true"'),
        ("      2: images/photo.png", "      3: images/photo.png", 10, "must be a page number"),
    ],
)
def test_wrong_values(
    env: tuple[Path, Path, Path], old: str, new: str, line: int, message: str
) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", old, new)
    found = lines(root, projects)
    assert any(f"course.yaml:{line}: " in item and message in item for item in found), found


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "  - id: single-label\n    pages: 1\n",
            "  - single-label\n",
            11,
            'lesson 2 must be a mapping (key: value lines), not "single-label"',
        ),
        ("quiz:\n  - id: q1", "quiz: q1\nx:\n  - id: q1", 13, '"quiz" must be a list, not "q1"'),
        (
            "  - id: single-label\n",
            "  - id: " + "a" * 21 + "\n",
            11,
            '"id" in lesson 2 is not a valid id: "' + "a" * 21 + '" (use lowercase',
        ),
        (
            "labels: [car, none]",
            "labels: [car]",
            20,
            '"labels" in practice has 1 label; it needs 2',
        ),
        ("labels: [car, none]", "labels: [car, car]", 20, 'duplicate label "car"'),
        (
            "      text: true\n",
            "      text: true\n      image: images/photo.png\n",
            25,
            'practice item "p2" has both "image" and "text"; it needs one',
        ),
        (
            "      image: images/photo.png\n",
            "      image: /etc/photo.png\n",
            23,
            'image "/etc/photo.png" of practice item "p1" must be a path inside the course folder',
        ),
    ],
)
def test_wrong_shapes(
    env: tuple[Path, Path, Path], old: str, new: str, line: int, message: str
) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", old, new)
    found = lines(root, projects)
    assert any(f"course.yaml:{line}: " in item and message in item for item in found), found


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("lessons", "the course has no lessons"),
        ("quiz", "the quiz has no questions"),
    ],
)
def test_empty_sections(env: tuple[Path, Path, Path], section: str, message: str) -> None:
    root, folder, projects = env
    course = folder / "course.yaml"
    text = course.read_text(encoding="utf-8")
    start = text.index(f"{section}:\n")
    end = text.index("\n", text.index("\n", start) + 1)  # keep one more line: drop it below
    rest = text[end:].split("\n")
    kept = "\n".join(line for line in rest if not line.startswith((" ", "\t")) or not line)
    course.write_text(text[:start] + f"{section}: []" + kept, encoding="utf-8")
    found = lines(root, projects)
    assert any("course.yaml:" in item and message in item for item in found), found


def test_practice_set_without_items(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    course = folder / "course.yaml"
    course.write_text(course.read_text().split("  items:")[0] + "  items: []\n", encoding="utf-8")
    found = lines(root, projects)
    assert any(
        "course.yaml:21: " in item and "the practice set has no items" in item for item in found
    ), found


def test_course_id_must_be_a_folder_name_id(tmp_path: Path) -> None:
    root = tmp_path / "content"
    write_course(root, "demo_course")
    found = lines(root, write_projects(tmp_path / "projects"))
    assert any(
        "course.yaml:1: " in item
        and '"id" is not a valid id: "demo_course" (use lowercase letters, digits and \'-\'' in item
        for item in found
    ), found


def test_currency_required_with_rate(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", "  currency: USD\n", "")
    problem = only(root, projects)
    assert "course.yaml:18: " in problem
    assert '"rate_minor" needs a "currency"' in problem


def test_folder_without_course_yaml(env: tuple[Path, Path, Path]) -> None:
    root, _, projects = env
    (root / "half-written").mkdir()
    problem = only(root, projects)
    assert problem.endswith("half-written: folder has no course.yaml")


# -- images ---------------------------------------------------------------------------------


def test_image_missing(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    (folder / "images" / "photo.png").unlink()
    found = lines(root, projects)
    assert len(found) == 2, found  # used by a page and by a practice item
    assert "course.yaml:10: " in found[0]
    assert 'image "images/photo.png" of page 2 of lesson "why-labels" is missing' in found[0]
    assert "course.yaml:23: " in found[1]
    assert 'of practice item "p1" is missing' in found[1]


def test_image_file_too_big(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "course.yaml", "      2: images/photo.png", "      2: images/huge.png")
    with (folder / "images" / "huge.png").open("wb") as handle:
        handle.truncate(10 * 1024 * 1024 + 1)  # sparse: cheap
    problem = only(root, projects)
    assert "course.yaml:10: " in problem
    assert 'image "images/huge.png" of page 2 of lesson "why-labels" is 10.0 MB' in problem


def test_image_too_many_pixels(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    Image.new("1", (6000, 5000)).save(folder / "images" / "photo.png")  # a few KB
    found = lines(root, projects)
    assert len(found) == 2, found
    assert "course.yaml:10: " in found[0]
    assert "6000x5000 pixels; width + height must be at most 10000" in found[0]


def test_image_not_readable(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    (folder / "images" / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    found = lines(root, projects)
    assert "course.yaml:10: " in found[0]
    assert "is not a readable image" in found[0]


def test_image_wrong_format(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    Image.new("RGB", (10, 10)).save(folder / "images" / "photo.png", format="GIF")
    found = lines(root, projects)
    assert "course.yaml:10: " in found[0]
    assert "is GIF; use JPEG or PNG" in found[0]


def test_image_outside_course_folder(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    Image.new("RGB", (10, 10)).save(root / "shared.png")
    edit(folder / "course.yaml", "      image: images/photo.png", "      image: ../shared.png")
    problem = only(root, projects)
    assert "course.yaml:23: " in problem
    assert 'image "../shared.png" of practice item "p1" is outside the course folder' in problem


# -- lengths --------------------------------------------------------------------------------


def test_page_over_the_message_limit(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    too_long = MAX_PAGE_CHARS + 1
    edit(folder / "en.yaml", "      - Only page.", "      - " + "x" * too_long)
    problem = only(root, projects)
    assert "en.yaml:13: " in problem
    assert f'page 1 of lesson "single-label" is {too_long} characters' in problem


def test_page_at_the_message_limit_is_fine(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "en.yaml", "      - Only page.", "      - " + "x" * MAX_PAGE_CHARS)
    assert lines(root, projects) == []


def test_page_limits_leave_room_for_the_heading() -> None:
    assert MAX_PAGE_CHARS + HEADING_ROOM == 4096
    assert MAX_CAPTION_CHARS + HEADING_ROOM == 1024


def test_page_with_image_over_the_caption_limit(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    too_long = MAX_CAPTION_CHARS + 1
    edit(folder / "ar.yaml", "      - Second page, under a photo.", "      - " + "ب" * too_long)
    problem = only(root, projects)
    assert "ar.yaml:9: " in problem
    assert f"is {too_long} characters; a page with an image (a photo caption" in problem


def test_page_with_image_at_the_caption_limit_is_fine(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(
        folder / "ar.yaml",
        "      - Second page, under a photo.",
        "      - " + "ب" * MAX_CAPTION_CHARS,
    )
    assert lines(root, projects) == []


def test_option_text_too_long(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "en.yaml", "      a: First", "      a: " + "y" * 41)
    problem = only(root, projects)
    assert "en.yaml:18: " in problem
    assert 'option "a" of question "q1" is 41 characters; a button is at most 40' in problem


def test_label_text_too_long(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "uk.yaml", "    car: Car", "    car: " + "я" * 41)
    assert "uk.yaml:26: " in only(root, projects)


def test_question_explanation_feedback_too_long(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    edit(folder / "en.yaml", "question: Which one?", "question: " + "q" * 301)
    edit(folder / "en.yaml", "Because the second one is right.", "b" * 401)
    edit(folder / "en.yaml", "It is a car.", "c" * 401)
    found = lines(root, projects)
    assert len(found) == 3, found
    assert "en.yaml:16: " in found[0] and "301 characters" in found[0]
    assert "en.yaml:21: " in found[1] and "401 characters" in found[1]
    assert "en.yaml:30: " in found[2] and "feedback of practice item" in found[2]


def test_lengths_count_utf16_like_telegram(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    emoji = "\U0001f600"  # one character, two UTF-16 code units
    edit(folder / "en.yaml", "      - Only page.", "      - " + emoji * (MAX_PAGE_CHARS // 2 + 1))
    problem = only(root, projects)
    assert "en.yaml:13: " in problem
    assert f"is {MAX_PAGE_CHARS + 2} characters" in problem


@pytest.mark.parametrize(
    ("old", "line", "message"),
    [
        ("  intro: Label each picture or text.", 23, "practice intro is 3897 characters"),
        (
            "      text: A sentence to classify.",
            32,
            'text of practice item "p2" is 3757 characters; a practice text is at most 3756',
        ),
    ],
)
def test_practice_texts_too_long(
    env: tuple[Path, Path, Path], old: str, line: int, message: str
) -> None:
    root, folder, projects = env
    key = old.split(":")[0]
    limit = MAX_PAGE_CHARS if "intro" in key else MAX_PRACTICE_TEXT_CHARS
    edit(folder / "ar.yaml", old, f"{key}: " + "x" * (limit + 1))
    problem = only(root, projects)
    assert f"ar.yaml:{line}: " in problem and message in problem


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "    pages:\n      - Only page.\n",
            "    pages: Only page.\n",
            12,
            '"pages" in lesson "single-label" must be a list, not "Only page."',
        ),
        ("  q1:\n", "  q1: Which\n  q2:\n", 15, 'question "q1" must be a mapping'),
        ("    p1:\n", "    p3: {}\n    p1:\n", 29, 'unknown practice item "p3" (expected: p1, p2)'),
        ("    p1:\n      feedback: It is a car.\n", "", 28, 'practice item "p1" is missing'),
    ],
)
def test_language_file_shapes(
    env: tuple[Path, Path, Path], old: str, new: str, line: int, message: str
) -> None:
    root, folder, projects = env
    edit(folder / "en.yaml", old, new)
    found = lines(root, projects)
    assert any(f"en.yaml:{line}: " in item and message in item for item in found), found


# -- catalog and run_check ------------------------------------------------------------------


def test_broken_catalog_is_reported(env: tuple[Path, Path, Path]) -> None:
    root, _, projects = env
    edit(projects / "street-objects" / "project.yaml", "kind: classification\n", "")
    problem = only(root, projects)
    assert "street-objects/project.yaml:1: " in problem
    assert 'missing key "kind"' in problem


def test_run_check_clean(env: tuple[Path, Path, Path]) -> None:
    root, _, projects = env
    write_course(root, "second-course", order=2)
    out = io.StringIO()
    assert run_check(root, projects, out) == 0
    assert out.getvalue() == "2 courses OK\n"


def test_run_check_with_problems(env: tuple[Path, Path, Path]) -> None:
    root, folder, projects = env
    write_course(root, "second-course", order=2)
    edit(folder / "course.yaml", "    answer: b\n", "    answer: d\n")
    edit(folder / "ar.yaml", "      c: Third\n", "")
    out = io.StringIO()
    assert run_check(root, projects, out) == 1
    output = out.getvalue().splitlines()
    assert len(output) == 3
    assert output[0].endswith(
        'demo-course/course.yaml:16: answer "d" of question "q1"'
        " is not one of its options (a, b, c)"
    )
    assert "demo-course/ar.yaml:17: " in output[1]
    assert output[2] == "2 problems in 1 course"


def test_run_check_with_broken_catalog(env: tuple[Path, Path, Path]) -> None:
    root, _, projects = env
    (projects / "street-objects" / "project.yaml").write_text("labels: [\n", encoding="utf-8")
    out = io.StringIO()
    assert run_check(root, projects, out) == 1
    output = out.getvalue().splitlines()
    assert "street-objects/project.yaml:2: YAML syntax error" in output[0]
    assert output[-1].startswith("1 problem in ") and output[-1].endswith("project.yaml")


# -- the shipped content --------------------------------------------------------------------


def test_shipped_courses_pass() -> None:
    """May fail while courses/content/ is still being written."""
    assert check_courses() == []
    skills = known_skills(load_projects(DEFAULT_PROJECTS_DIR))
    result = load_courses(DEFAULT_CONTENT_ROOT, skills)
    assert len(result.courses) >= 2

"""The shipped courses check the skill, not common sense: every practice picture is a picture of
its own (not another practice picture again, not a lesson's picture recoloured, mirrored or moved),
no quiz question quotes a lesson's example sentence, and each course states the time a slow reader
on a phone needs."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageFilter, ImageOps

from courses.content_model import LOCALES, Course
from courses.loader import DEFAULT_CONTENT_ROOT, load_course

COURSES = sorted(
    path.name
    for path in DEFAULT_CONTENT_ROOT.iterdir()
    if path.is_dir() and not path.name.startswith((".", "_"))
)

# ---------------------------------------------------------------------------------------------
# Pictures

SAME_PICTURE = 12.0  # mean difference per colour channel (of 255) at 32x24: the same picture
RECOLOURED = 0.8  # edge likeness: the same drawing in other colours (a different picture: < 0.7)


def pixels(image: Image.Image) -> np.ndarray:
    """The picture as 32x24 RGB values: what is left of it after resizing and recompressing."""
    small = image.convert("RGB").resize((32, 24), Image.Resampling.BOX)
    return np.asarray(small, dtype=float)


def same_picture(a: Image.Image, b: Image.Image) -> bool:
    """Whether ``a`` and ``b`` show the same picture, whatever their size or JPEG quality."""
    return float(np.abs(pixels(a) - pixels(b)).mean()) < SAME_PICTURE


def edges(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Where colour changes, in any channel, and where brightness changes, as 128x96 maps:
    recolouring leaves the first as it is, turning a picture grey the second."""
    rgb = image.convert("RGB").resize((256, 192), Image.Resampling.BOX)
    red, green, blue = (channel.filter(ImageFilter.FIND_EDGES) for channel in rgb.split())
    colour = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    grey = rgb.convert("L").filter(ImageFilter.FIND_EDGES)
    return tuple(
        np.asarray(
            found.filter(ImageFilter.GaussianBlur(2)).resize((128, 96), Image.Resampling.BOX),
            dtype=float,
        )
        for found in (colour, grey)
    )


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    scale = math.sqrt(float((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / scale if scale else 0.0


def _overlap(a: np.ndarray, b: np.ndarray, dy: int, dx: int) -> float:
    """The correlation of ``a`` and ``b`` moved by (dy, dx), where they overlap."""
    height, width = a.shape
    h, w = height - abs(dy), width - abs(dx)
    ya, yb, xa, xb = max(0, dy), max(0, -dy), max(0, dx), max(0, -dx)
    return _correlation(a[ya : ya + h, xa : xa + w], b[yb : yb + h, xb : xb + w])


def _shifts(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    """The few moves of ``b`` that best line it up with ``a`` (cross-correlation by FFT), up to
    a third of the width and a quarter of the height."""
    height, width = a.shape
    size = (2 * height, 2 * width)
    spectrum = np.fft.rfft2(a - a.mean(), size) * np.conj(np.fft.rfft2(b - b.mean(), size))
    scores = np.fft.irfft2(spectrum, size)
    moves = []
    for flat in np.argsort(scores, axis=None)[::-1][:400]:
        dy, dx = np.unravel_index(flat, size)
        dy, dx = int((dy + height) % size[0] - height), int((dx + width) % size[1] - width)
        if abs(dy) <= height // 4 and abs(dx) <= width // 3:
            moves.append((dy, dx))
        if len(moves) == 5:
            break
    return moves


def edge_likeness(a: Image.Image, b: Image.Image) -> float:
    """How alike the edges of ``a`` and ``b`` are (1: the same drawing), ``b`` mirrored or not,
    moved by up to a third of the width and a quarter of the height."""
    best = -1.0
    for first, second in zip(edges(a), edges(b), strict=True):
        for other in (second, second[:, ::-1]):
            for dy, dx in [(0, 0), *_shifts(first, other)]:
                best = max(best, _overlap(first, other, dy, dx), _overlap(first, other, -dy, -dx))
    return best


def recoloured(a: Image.Image, b: Image.Image) -> bool:
    """Whether ``a`` is ``b`` in other colours (or grey), perhaps mirrored or moved."""
    return edge_likeness(a, b) >= RECOLOURED


def open_image(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


@pytest.fixture(scope="module")
def courses() -> dict[str, Course]:
    loaded = {}
    for name in COURSES:
        course, problems = load_course(DEFAULT_CONTENT_ROOT / name, None)
        assert problems == [] and course is not None, name
        loaded[name] = course
    return loaded


def pictures(course: Course) -> tuple[dict[str, Image.Image], dict[str, Image.Image]]:
    """(practice pictures by item id, lesson pictures by lesson id and page)."""
    practice = {}
    if course.practice is not None:
        practice = {item.id: open_image(item.image) for item in course.practice.items if item.image}
    lessons = {
        f"{lesson.id} page {number}": open_image(page.image)
        for lesson in course.lessons
        for number, page in enumerate(lesson.pages, start=1)
        if page.image is not None
    }
    return practice, lessons


@pytest.fixture(scope="module")
def drawings() -> Image.Image:
    """A lesson picture of the course that has practice pictures."""
    return open_image(DEFAULT_CONTENT_ROOT / "annotation-basics" / "images" / "hard-case.jpg")


def hue_turned(image: Image.Image, turn: int) -> Image.Image:
    hue, saturation, value = image.convert("HSV").split()
    hue = hue.point(lambda h: (h + turn) % 256)
    return Image.merge("HSV", (hue, saturation, value)).convert("RGB")


def moved(image: Image.Image, right: int, down: int) -> Image.Image:
    """``image`` moved on a canvas of its size, what leaves the canvas cut off."""
    canvas = Image.new("RGB", image.size, image.getpixel((0, 0)))
    canvas.paste(image, (right, down))
    return canvas


def test_the_checks_find_a_copy_of_a_picture(drawings: Image.Image) -> None:
    smaller = drawings.resize((drawings.width // 3, drawings.height // 3))
    assert same_picture(drawings, smaller)
    assert recoloured(drawings, smaller)


@pytest.mark.parametrize(
    "change",
    [
        lambda image: hue_turned(image, 90),
        lambda image: hue_turned(image, 170),
        lambda image: Image.merge("RGB", image.split()[::-1]),  # red and blue swapped
        lambda image: ImageOps.grayscale(image).convert("RGB"),
        lambda image: ImageOps.invert(image),
        lambda image: ImageOps.mirror(hue_turned(image, 60)),
        lambda image: hue_turned(moved(image, image.width // 5, image.height // 10), 120),
    ],
    ids=["hue 90", "hue 170", "channels swapped", "grey", "inverted", "mirrored", "moved"],
)
def test_the_check_finds_a_lesson_picture_recoloured(
    drawings: Image.Image, change: Callable[[Image.Image], Image.Image]
) -> None:
    assert recoloured(change(drawings), drawings)


def test_the_checks_tell_two_different_pictures_apart() -> None:
    images = DEFAULT_CONTENT_ROOT / "annotation-basics" / "images"
    car, bus = open_image(images / "p1.jpg"), open_image(images / "p2.jpg")
    assert not same_picture(car, bus)
    assert not recoloured(car, bus)


@pytest.mark.parametrize("name", COURSES)
def test_no_two_practice_pictures_are_the_same_picture(
    courses: dict[str, Course], name: str
) -> None:
    practice, _ = pictures(courses[name])
    alike = [
        (a, b)
        for (a, first), (b, second) in itertools.combinations(practice.items(), 2)
        if same_picture(first, second) or recoloured(first, second)
    ]
    assert alike == []


@pytest.mark.parametrize("name", COURSES)
def test_no_practice_picture_is_a_lesson_picture_again(
    courses: dict[str, Course], name: str
) -> None:
    practice, lessons = pictures(courses[name])
    alike = [
        (item, page)
        for item, first in practice.items()
        for page, second in lessons.items()
        if same_picture(first, second) or recoloured(first, second)
    ]
    assert alike == []


def test_the_annotation_course_practises_with_its_own_pictures(
    courses: dict[str, Course],
) -> None:
    """Every single-label practice item of Annotation basics is a picture, and there are two
    "None of these" items: the practice checks that no label fitting is told from a label that
    nearly fits. Tagging, taught in a lesson, is practised too: a multi-label item whose text is
    none of the lesson's examples."""
    course = courses["annotation-basics"]
    practice = course.practice
    assert practice is not None
    single = [item for item in practice.items if not item.multi]
    assert all(item.image is not None for item in single)
    assert [item.answer for item in single].count("none") >= 2
    assert {item.answer for item in single} == {label.id for label in practice.labels}
    multi = [item for item in practice.items if item.multi]
    assert multi and all(1 < len(item.answers) < len(item.tags) for item in multi)
    for locale in LOCALES:
        pages = " ".join(
            normalised(p.text[locale]) for lesson in course.lessons for p in lesson.pages
        )
        for item in multi:
            assert item.text is not None
            for sentence in example_sentences(item.text[locale]):
                assert sentence not in pages, (locale, sentence)


# ---------------------------------------------------------------------------------------------
# Quiz questions are new cases

SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+|\n+")
MIN_QUOTED_WORDS = 5  # shorter sentences ("Read the question.") are words, not an example


def normalised(text: str) -> str:
    """``text`` without case, harakat, quotes and punctuation, one space between words."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in text if unicodedata.category(c) != "Mn" and c != "\u0640")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def example_sentences(page: str) -> list[str]:
    """The sentences of a lesson page long enough to be an example, normalised."""
    found = (normalised(part) for part in SENTENCE_END.split(page))
    return [sentence for sentence in found if len(sentence.split()) >= MIN_QUOTED_WORDS]


def quoted_sentences(course: Course, locale: str) -> dict[str, list[str]]:
    """Question id -> the lesson sentences its text repeats word for word, in ``locale``."""
    sentences = {
        sentence
        for lesson in course.lessons
        for page in lesson.pages
        for sentence in example_sentences(page.text[locale])
    }
    found = {}
    for question in course.quiz:
        text = f" {normalised(question.text[locale])} "
        quoted = sorted(s for s in sentences if f" {s} " in text)
        if quoted:
            found[question.id] = quoted
    return found


def test_the_check_finds_a_question_that_quotes_a_lesson(courses: dict[str, Course]) -> None:
    course = courses["annotation-basics"]
    page = next(lesson for lesson in course.lessons if lesson.id == "multi-label").pages[1]
    review = next(line for line in page.text["en"].splitlines() if line.startswith('"'))
    first = course.quiz[0]
    copied = replace(first, text={**first.text, "en": f"A customer wrote: {review} What fits?"})
    edited = replace(course, quiz=(copied, *course.quiz[1:]))
    assert list(quoted_sentences(edited, "en")) == [first.id]
    assert example_sentences("Read the question. It says so.") == []


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", COURSES)
def test_no_quiz_question_repeats_a_lesson_example(
    courses: dict[str, Course], name: str, locale: str
) -> None:
    assert quoted_sentences(courses[name], locale) == {}


# ---------------------------------------------------------------------------------------------
# None of these is not Not sure


def test_the_annotation_course_teaches_none_of_these_apart_from_not_sure(
    courses: dict[str, Course],
) -> None:
    course = courses["annotation-basics"]
    hard = next(lesson for lesson in course.lessons if lesson.id == "hard-cases")
    page = next(p.text["en"] for p in hard.pages if "None of these" in p.text["en"])
    assert "Not sure" in page
    assert "no label fits" in page and "cannot decide" in page
    answers = {q.id: next(o.text["en"] for o in q.options if o.id == q.answer) for q in course.quiz}
    assert "None of these" in answers.values() and "Not sure" in answers.values()


# ---------------------------------------------------------------------------------------------
# The time a course takes

WORDS_PER_MINUTE = 120  # a slow reader, on a phone
SECONDS_PER_QUESTION = 10  # choosing an answer and reading whether it was right
SECONDS_PER_PRACTICE_ITEM = 20  # looking at the picture, choosing, reading the feedback
SECONDS_PER_PAGE = 3  # tapping Next and the message being redrawn
ABOUT = re.compile(r"about (\d+) minutes", re.IGNORECASE)


def reading_minutes(course: Course, locale: str = "en") -> float:
    """The minutes a slow reader on a phone needs for the whole course, practice included."""
    texts = [page.text[locale] for lesson in course.lessons for page in lesson.pages]
    for question in course.quiz:
        texts += [question.text[locale], question.explanation[locale]]
        texts += [option.text[locale] for option in question.options]
    seconds = SECONDS_PER_QUESTION * len(course.quiz) + SECONDS_PER_PAGE * course.page_count
    if course.practice is not None:
        texts += [course.practice.intro[locale]]
        for item in course.practice.items:
            question = item.question if item.question is not None else course.practice.question
            texts += [question[locale], item.feedback[locale]]
            texts += [item.text[locale]] if item.text is not None else []
            texts += [tag.text[locale] for tag in item.tags]
        seconds += SECONDS_PER_PRACTICE_ITEM * len(course.practice.items)
    words = sum(len(text.split()) for text in texts)
    return words / WORDS_PER_MINUTE + seconds / 60


def estimate(course: Course) -> int:
    """The minutes a course says it takes: the English reading time rounded up to 5 minutes."""
    return 5 * math.ceil(reading_minutes(course) / 5)


def numbers(text: str) -> set[int]:
    latin = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    return {int(found) for found in re.findall(r"\d+", latin)}


@pytest.mark.parametrize("name", COURSES)
def test_the_summary_states_the_time_a_slow_reader_needs(
    courses: dict[str, Course], name: str
) -> None:
    course = courses[name]
    minutes = estimate(course)
    assert ABOUT.findall(course.summary["en"]) == [str(minutes)]
    for locale in LOCALES:
        assert minutes in numbers(course.summary[locale]), locale


def test_the_annotation_course_welcome_states_the_same_time(courses: dict[str, Course]) -> None:
    course = courses["annotation-basics"]
    welcome = course.lessons[0].pages[0]
    minutes = estimate(course)
    assert ABOUT.findall(welcome.text["en"]) == [str(minutes)]
    for locale in LOCALES:
        assert minutes in numbers(welcome.text[locale]), locale


def test_the_estimate_grows_with_the_text(courses: dict[str, Course]) -> None:
    course = courses["working-on-platform"]
    first = course.lessons[0]
    longer_page = replace(first.pages[0], text={"en": "word " * 1500})
    longer = replace(course, lessons=(replace(first, pages=(longer_page,)), *course.lessons[1:]))
    assert reading_minutes(longer) > reading_minutes(course) + 8

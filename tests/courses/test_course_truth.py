"""The platform and annotation-basics courses say only what the bot does now, and the platform
course's privacy lesson matches /mydata and /deleteme in every language."""

from __future__ import annotations

import re
import unicodedata

import pytest

from courses.content_model import LOCALES, Course
from courses.loader import DEFAULT_CONTENT_ROOT, load_course

# Features the bot does not have: a lesson must not describe them as present.
ABSENT_FEATURES = {
    "quiet hours": re.compile(r"quiet\s+hours", re.IGNORECASE),
    "reminders": re.compile(r"remind", re.IGNORECASE),
    "payout details": re.compile(r"payout\s+(details|method|password)", re.IGNORECASE),
    "hourly rate": re.compile(r"hourly\s+rate", re.IGNORECASE),
}
# Settings holds the language only; data is exported and erased with /mydata and /deleteme.
SETTINGS = re.compile(r"\bsettings\b", re.IGNORECASE)
DATA_ACTIONS = re.compile(r"download|delete|erase|copy|your data|/mydata|/deleteme", re.IGNORECASE)


def untrue_claims(text: str) -> list[str]:
    """What in ``text`` (one page, or one question with its options and explanation) describes a
    feature the bot does not have."""
    found = [name for name, pattern in ABSENT_FEATURES.items() if pattern.search(text)]
    if SETTINGS.search(text) and DATA_ACTIONS.search(text):
        found.append("Settings as the place to download or delete data")
    return found


@pytest.fixture(scope="module")
def course() -> Course:
    loaded, problems = load_course(DEFAULT_CONTENT_ROOT / "working-on-platform", None)
    assert problems == [] and loaded is not None
    return loaded


def english_units(course: Course) -> list[tuple[str, str]]:
    """(where, text) for every piece of English text a trainee reads in the course."""
    units = [("title", course.title["en"]), ("summary", course.summary["en"])]
    for lesson in course.lessons:
        units.append((f"{lesson.id} title", lesson.title["en"]))
        units += [
            (f"{lesson.id} page {number}", page.text["en"])
            for number, page in enumerate(lesson.pages, start=1)
        ]
    for question in course.quiz:
        parts = [question.text["en"], question.explanation["en"]]
        parts += [option.text["en"] for option in question.options]
        units.append((question.id, "\n".join(parts)))
    if course.practice is not None:
        units.append(("practice intro", course.practice.intro["en"]))
        units += [(f"practice {item.id}", item.feedback["en"]) for item in course.practice.items]
    return units


@pytest.mark.parametrize(
    "text",
    [
        "At night the bot stays quiet. During these quiet hours it sends nothing.",
        "Rafiq can send you a short reminder.",
        "• your payout details.",
        "• your hourly rate: about how much you earn for one hour of work.",
        "Your data belongs to you. In Settings you can:\n\n• download a copy of your data,",
    ],
)
def test_the_check_finds_features_the_bot_does_not_have(text: str) -> None:
    assert untrue_claims(text) != []


def test_settings_for_the_language_is_true() -> None:
    assert untrue_claims("• Settings (the gear): the language of the bot.") == []


def test_the_english_platform_course_describes_no_absent_feature(course: Course) -> None:
    claims = {
        where: found for where, text in english_units(course) if (found := untrue_claims(text))
    }
    assert claims == {}


def test_the_privacy_lesson_points_to_mydata_and_deleteme_in_every_language(
    course: Course,
) -> None:
    lesson = next(lesson for lesson in course.lessons if lesson.id == "privacy")
    for locale in LOCALES:
        text = "\n".join(page.text[locale] for page in lesson.pages)
        assert "/mydata" in text, locale
        assert "/deleteme" in text, locale


def test_the_privacy_lesson_names_what_is_stored_and_what_is_not(course: Course) -> None:
    lesson = next(lesson for lesson in course.lessons if lesson.id == "privacy")
    text = "\n".join(page.text["en"] for page in lesson.pages).lower()
    stored = [
        "telegram id",
        "language",
        "group",
        "course progress",
        "quiz",
        "practice answers",
        "skills",
        "training pay",
        "name for certificates, encrypted",
        "certificates",
    ]
    assert [item for item in stored if item not in text] == []
    assert "does not store your location, your phone number, your contacts" in text
    assert "without your name or telegram id" in text


def test_the_data_questions_match_the_privacy_lesson(course: Course) -> None:
    questions = {question.id: question for question in course.quiz}
    location = questions["q4"]
    right = next(option for option in location.options if option.id == location.answer)
    assert right.text["en"] == "Your location"
    erase = questions["q5"]
    right = next(option for option in erase.options if option.id == erase.answer)
    assert "/deleteme" in right.text["en"]
    for locale in LOCALES:
        assert "/mydata" in location.explanation[locale], locale
        assert "/deleteme" in right.text[locale], locale
        assert "/deleteme" in erase.explanation[locale], locale


# Annotation basics: paid tasks, the Earnings screen and payouts do not exist yet.
NO_PAYOUTS_YET = {
    "weekly payouts": re.compile(r"\bweekly\b|once\s+a\s+week|every\s+week", re.IGNORECASE),
    "a payout schedule": re.compile(r"\bpayouts?\b|paid\s+out", re.IGNORECASE),
    "tap Earnings": re.compile(r"tap\s+\W*earnings", re.IGNORECASE),
    "hourly rate": ABSENT_FEATURES["hourly rate"],
    "paid work as open": re.compile(r"opens?\s+paid|paid\s+(work|tasks?)\s+(is|are)\s+open", re.I),
}


def payout_claims(text: str) -> list[str]:
    """What in ``text`` describes payouts, the Earnings screen or paid work as present."""
    return [name for name, pattern in NO_PAYOUTS_YET.items() if pattern.search(text)]


@pytest.fixture(scope="module")
def annotation() -> Course:
    loaded, problems = load_course(DEFAULT_CONTENT_ROOT / "annotation-basics", None)
    assert problems == [] and loaded is not None
    return loaded


@pytest.mark.parametrize(
    "text",
    [
        "Payouts are made once a week.",
        "How often are payouts made?",
        "Your earnings appear in the bot as you work: tap Earnings to see them at any time.",
        "Tap 💰 Earnings to see what you earned.",
        "Your hourly rate is shown in the bot.",
        "Passing opens paid image-labelling work.",
    ],
)
def test_the_payout_check_finds_what_the_bot_does_not_do(text: str) -> None:
    assert payout_claims(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "Paid tasks are not open in the bot yet.",
        "Earnings is not open yet either. If you have a question about pay, ask your coordinator.",
        "Rafiq records training pay in your account once for each practice answer.",
    ],
)
def test_the_payout_check_lets_true_sentences_pass(text: str) -> None:
    assert payout_claims(text) == []


def test_the_english_annotation_course_promises_no_payouts_or_earnings_screen(
    annotation: Course,
) -> None:
    claims = {
        where: found
        for where, text in english_units(annotation)
        if (found := payout_claims(text) + untrue_claims(text))
    }
    assert claims == {}


def numbers(text: str) -> set[int]:
    """The whole numbers written in ``text``, in any script's digits (Arabic-Indic, Persian)."""
    latin = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    return {int(found) for found in re.findall(r"\d+", latin)}


def test_the_annotation_course_states_the_training_rate_and_cooldown_of_course_yaml(
    annotation: Course,
) -> None:
    practice = annotation.practice
    assert practice is not None and practice.currency == "USD"
    cents = practice.rate_minor
    minutes = int(annotation.retry_cooldown.total_seconds() // 60)
    lesson = next(lesson for lesson in annotation.lessons if lesson.id == "pay-quality")
    ready = next(lesson for lesson in annotation.lessons if lesson.id == "ready")
    questions = {question.id: question for question in annotation.quiz}
    for locale in LOCALES:
        assert cents in numbers(lesson.pages[0].text[locale]), locale
        assert cents in numbers(questions["q7"].explanation[locale]), locale
        assert minutes in numbers(questions["q8"].explanation[locale]), locale
        assert minutes in numbers(ready.pages[1].text[locale]), locale
    assert f"{cents} US cents" in lesson.pages[0].text["en"]

"""The platform and annotation-basics courses say only what the bot does now (paid work, its rules,
the projects that ship, Earnings without payouts), and the platform course's privacy lesson
matches /mydata and /deleteme in every language."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from core.i18n import gettext, use_locale
from courses.content_model import LOCALES, Course, Lesson
from courses.loader import DEFAULT_CONTENT_ROOT, load_course
from tasks.catalog import DEFAULT_PROJECTS_DIR
from tasks.spec import ProjectSpec, load_spec
from tasks.work import MIN_GOLD_SEEN

# Features the bot does not have: a lesson must not describe them as present.
ABSENT_FEATURES = {
    "payout password": re.compile(r"payout\s+password", re.IGNORECASE),
    "reminders by e-mail or SMS": re.compile(r"remind[^.]*\b(e-?mail|sms)\b", re.IGNORECASE),
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
        "Rafiq can also remind you by SMS.",
        "• your payout password.",
        "Your data belongs to you. In Settings you can:\n\n• download a copy of your data,",
    ],
)
def test_the_check_finds_features_the_bot_does_not_have(text: str) -> None:
    assert untrue_claims(text) != []


def test_the_platform_course_describes_reminders_as_they_work(course: Course) -> None:
    """Settings, quiet hours and reminders as the bot has them: the kinds, the daily cap, the
    idle time before a lesson reminder and an example of quiet hours offered in Settings."""
    from bot.settings import load_settings
    from people.reminders import KINDS
    from people.time_zones import QUIET_CHOICES

    settings = load_settings(_env_file=None)
    page = next(text for where, text in english_units(course) if where == "main-menu page 3")
    assert settings.reminder_daily_cap == 2 and "at most two reminders a day" in page
    assert settings.reminder_idle_hours == 24 and "unfinished for a day" in page
    start, end = QUIET_CHOICES[1]
    assert f"from {start}:00 until {end:02d}:00" in page
    assert len(KINDS) == 4 and all(
        words in page for words in ("lesson", "quiz", "new paid work", "payouts")
    )
    assert "switch it off (🔕)" in page


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
        "work answers",
        "training pay",
        "the pay for your work",
        "your payout method (encrypted) and your payouts",
        "your disputes",
        "name for certificates, encrypted",
        "certificates",
    ]
    assert [item for item in stored if item not in text] == []
    assert "does not store your location, your contacts" in text
    assert "nor your phone number unless you give it as your payout method" in text
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


# Payouts are made through the bot: the courses say how, as the bot does it.
PAYOUT_FACTS = {
    "a payout method to set": re.compile(r"payout method", re.IGNORECASE),
    "weekly payouts": re.compile(r"once a week", re.IGNORECASE),
    "the minimum paid out": re.compile(r"minimum", re.IGNORECASE),
    "disputes": re.compile(r"Dispute", re.IGNORECASE),
    "pay per hour": re.compile(r"pay per hour", re.IGNORECASE),
}
NOT_MADE_HERE = re.compile(r"payouts are not made through the bot", re.IGNORECASE)
# What the courses said before the work loop, and is no longer true.
STALE = {
    "work not open": re.compile(
        r"not\s+open(\s+in\s+the\s+bot)?\s+yet|not\s+open\s+either|when\s+(they|it)\s+opens?\b"
        r"|will\s+(appear|show|be\s+shown)|ready\s+for\s+when",
        re.IGNORECASE,
    ),
}


def payout_claims(text: str) -> list[str]:
    """What in ``text`` says payouts are not made through the bot, or paid work is not open."""
    found = ["payouts not made through the bot"] if NOT_MADE_HERE.search(text) else []
    return found + [name for name, pattern in STALE.items() if pattern.search(text)]


@pytest.fixture(scope="module")
def annotation() -> Course:
    loaded, problems = load_course(DEFAULT_CONTENT_ROOT / "annotation-basics", None)
    assert problems == [] and loaded is not None
    return loaded


@pytest.mark.parametrize(
    "text",
    [
        "Payouts are not made through the bot: your partner organisation tells you when.",
        "Paid tasks are not open in the bot yet.",
        "Earnings is not open yet either.",
        "Work already shows the projects; their tasks will appear there when they open.",
        "The skill opens image-labelling projects in Work, ready for when their paid tasks open.",
    ],
)
def test_the_payout_check_finds_what_is_no_longer_true(text: str) -> None:
    assert payout_claims(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "Payouts are made once a week.",
        "Earnings in the menu shows what is recorded for you: training pay and paid work.",
        "Rafiq records training pay in your account once for each practice answer.",
    ],
)
def test_the_payout_check_lets_true_sentences_pass(text: str) -> None:
    assert payout_claims(text) == []


def test_the_english_courses_say_payouts_are_made_and_work_is_open(
    annotation: Course, course: Course
) -> None:
    claims = {
        (each.id, where): found
        for each in (annotation, course)
        for where, text in english_units(each)
        if (found := payout_claims(text) + untrue_claims(text))
    }
    assert claims == {}
    work = "\n".join(page.text["en"] for page in lesson(course, "work-and-earnings").pages)
    assert [name for name, pattern in PAYOUT_FACTS.items() if not pattern.search(work)] == []


def lesson(of: Course, lesson_id: str) -> Lesson:
    return next(each for each in of.lessons if each.id == lesson_id)


def shipped_projects() -> list[ProjectSpec]:
    return [load_spec(path) for path in sorted(DEFAULT_PROJECTS_DIR.glob("*/project.yaml"))]


def test_the_courses_name_the_projects_they_open_in_every_language(
    annotation: Course, course: Course
) -> None:
    """'ready' names what Annotation basics opens; the work lesson names every shipped project."""
    projects = shipped_projects()
    assert projects, "no shipped project"
    opened = [p for p in projects if annotation.skill in p.requires]
    ready = lesson(annotation, "ready").pages[1]
    work = lesson(course, "work-and-earnings").pages[0]
    for locale in LOCALES:
        assert [p.id for p in opened if getattr(p.title, locale) not in ready.text[locale]] == [], (
            locale
        )
        assert [
            p.id for p in projects if getattr(p.title, locale) not in work.text[locale]
        ] == [], locale


def test_projects_teach_lessons_that_exist(annotation: Course, course: Course) -> None:
    courses = {annotation.id: annotation, course.id: course}
    for spec in shipped_projects():
        if spec.teaches is not None:
            taught = courses[spec.teaches.course]
            assert spec.teaches.lesson in {each.id for each in taught.lessons}, spec.id


# The buttons a worker meets, as the work lesson names them and the bot labels them.
WORK_BUTTONS = ("Start", "Send", "Yes", "No", "Not sure", "First", "Second", "Skip")
WORK_BUTTONS += ("Report a problem", "Instructions")
HANDLER = Path(__file__).resolve().parents[2] / "handlers" / "work.py"


def test_the_work_lesson_names_the_buttons_the_bot_shows(course: Course) -> None:
    text = "\n".join(page.text["en"] for page in lesson(course, "work-and-earnings").pages)
    source = HANDLER.read_text(encoding="utf-8")
    # short msgids without a full stop are button texts: "🤷 Not sure", "📨 Send ({count} chosen)"
    texts = [t for t in re.findall(r'_\("([^"]{1,40})"\)', source) if "." not in t]
    shown = {m.group(1).strip() for t in texts if (m := re.search(r"([A-Z][A-Za-z ]*)", t))}
    assert [name for name in WORK_BUTTONS if name not in text] == []
    assert [name for name in WORK_BUTTONS if name not in shown] == []


def test_the_lessons_say_what_the_work_rules_do(annotation: Course, course: Course) -> None:
    work = "\n".join(page.text["en"] for page in lesson(course, "work-and-earnings").pages)
    gold = "\n".join(page.text["en"] for page in lesson(annotation, "honesty-gold").pages)
    for claim in (
        "is yours for a few minutes",
        "not counted, but it is still paid",
        "the right answer, why, and the lesson",
        "paused on that project",
        "flagged and not paid",
        "paid the project's reward, once",
        "not paid",
    ):
        assert claim in work, claim
    for claim in ("the right answer, why it is right, and the lesson", "paused on that project"):
        assert claim in gold, claim


def test_the_pause_threshold_in_the_lesson_is_the_one_the_bot_uses(annotation: Course) -> None:
    page = lesson(annotation, "honesty-gold").pages[1]
    assert f"nobody is paused before {MIN_GOLD_SEEN} control answers" in page.text["en"]
    for locale in LOCALES:
        assert MIN_GOLD_SEEN in numbers(page.text[locale]), locale


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
        assert minutes in numbers(ready.pages[1].text[locale]), locale
    assert f"{cents} US cents" in lesson.pages[0].text["en"]


# The msgids of the buttons the work lesson names, and of the menu sections it quotes.
WORK_BUTTON_MSGIDS = {
    "Start": "▶️ Start",
    "Send": "📨 Send ({count} chosen)",
    "Yes": "✅ Yes",
    "No": "❌ No",
    "Not sure": "🤷 Not sure",
    "First": "🅰️ First",
    "Second": "🅱️ Second",
    "Skip": "⏭ Skip",
    "Report a problem": "⚠️ Report a problem",
    "Instructions": "ℹ️ Instructions",
}
MENU_BUTTON_MSGIDS = ("📚 Learn", "🛠 Work", "💰 Earnings", "🏠 Menu")
# The buttons the earnings page names: a dispute, the history and the worker's answers.
EARNINGS_BUTTON_MSGIDS = ("⚖️ Dispute", "📜 History", "🧾 My answers")
KEYBOARDS = HANDLER.parent / "keyboards.py"
QUOTED = re.compile(r"«([^«»]+)»")


def names(quote: str, button: str) -> bool:
    """Whether ``quote`` is in ``button`` as whole words («تعلّم» is not the button «التعلّم»)."""
    return re.search(rf"(?<!\w){re.escape(quote)}(?!\w)", button) is not None


def button_text(msgid: str, locale: str) -> str:
    """The button as the bot shows it in ``locale``."""
    with use_locale(locale):
        return gettext(msgid)


def test_the_button_msgids_are_the_ones_the_handlers_use() -> None:
    work, keyboards = HANDLER.read_text("utf-8"), KEYBOARDS.read_text("utf-8")
    assert [m for m in WORK_BUTTON_MSGIDS.values() if f'_("{m}")' not in work] == []
    assert [m for m in MENU_BUTTON_MSGIDS if f'_("{m}")' not in keyboards] == []
    assert set(WORK_BUTTON_MSGIDS) == set(WORK_BUTTONS)


@pytest.mark.parametrize("locale", [locale for locale in LOCALES if locale != "en"])
def test_the_work_lesson_quotes_the_buttons_as_the_bot_shows_them(
    course: Course, annotation: Course, locale: str
) -> None:
    """Each «quoted» name in the work lesson is a button's words in that language (or a project
    or course title), and every work button is quoted; the emoji may be left out."""
    text = "\n".join(page.text[locale] for page in lesson(course, "work-and-earnings").pages)
    quoted = [name.strip() for name in QUOTED.findall(text)]
    titles = {getattr(spec.title, locale) for spec in shipped_projects()}
    titles |= {annotation.title[locale], course.title[locale]}
    buttons = {name: button_text(msgid, locale) for name, msgid in WORK_BUTTON_MSGIDS.items()}
    shown = list(buttons.values()) + [
        button_text(m, locale) for m in (*MENU_BUTTON_MSGIDS, *EARNINGS_BUTTON_MSGIDS)
    ]
    unknown = [q for q in quoted if q not in titles and not any(names(q, b) for b in shown)]
    assert unknown == [], f"{locale}: quoted names that no button shows: {unknown}"
    missing = [name for name, b in buttons.items() if not any(names(q, b) for q in quoted)]
    assert missing == [], f"{locale}: buttons the lesson does not name as the bot does"

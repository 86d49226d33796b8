"""Screens that never leave a trainee stuck, through the stand-in in every language.

A trainee finishes a course with buttons only (after /start), leaves a quiz and a practice set
by a button, reads a lesson again after passing, confirms the certificate name and corrects it
once; the old code then says it was replaced.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import Runtime
from core.clock import ManualClock
from core.i18n import embed, format_datetime, format_fraction
from courses.content_model import Course
from courses.models import Certificate, CourseProgress, QuizAttempt, UserSkill
from standin.client import SimUser
from tests.e2e.conftest import LANGUAGE_BUTTONS, Onboard, t
from tests.e2e.test_learning import count, local, shown

LOCALES = ["ar", "fa_AF", "uk", "en"]


def next_is_first(user: SimUser, locale: str) -> None:
    """Next alone on the first row: the same place on every page."""
    assert [b.text for b in user.last.buttons[0]] == [t(locale, "Next ➡️")]


def has_menu(user: SimUser, locale: str) -> None:
    assert t(locale, "🏠 Menu") in user.last.labels, user.last.labels


async def open_from_list(user: SimUser, course: Course, locale: str) -> str:
    """Press the course in the course list; the label it had (with its progress bar)."""
    label = next(label for label in user.last.labels if local(course.title, locale) in label)
    await user.press(label)
    return label


async def to_menu_and_course(user: SimUser, course: Course, locale: str) -> str:
    """🏠 Menu, then 📚 Learn, then the course: the course's label in the list."""
    await user.press(t(locale, "🏠 Menu"))
    assert shown(user) == t(locale, "Main menu. What would you like to do?")
    await user.press(t(locale, "📚 Learn"))
    return await open_from_list(user, course, locale)


PAUSE = timedelta(seconds=31)  # a breath between phases: each phase alone in the flood window


def bar(done: int, total: int, locale: str) -> str:
    return "▰" * done + "▱" * (total - done) + " " + format_fraction(done, total, locale)


async def read_pages(user: SimUser, course: Course, locale: str, clock: ManualClock) -> None:
    """Every page, a second each (the flood limit counts presses in a window)."""
    for lesson in course.lessons:
        for page in lesson.pages:
            assert local(page.text, locale) in shown(user)
            next_is_first(user, locale)
            has_menu(user, locale)
            back = t(locale, "⬅️ Back") in user.last.labels
            assert back == (page is not course.lessons[0].pages[0])
            clock.advance(timedelta(seconds=1))
            await user.press(t(locale, "Next ➡️"))


async def answer(user: SimUser, course: Course, locale: str, questions: list) -> None:
    for question in questions:
        assert local(question.text, locale) in shown(user)
        has_menu(user, locale)
        right = next(o for o in question.options if o.id == question.answer)
        await user.press(local(right.text, locale))
        has_menu(user, locale)
        await user.press(t(locale, "Next ➡️"))


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_course_by_buttons_only_leaving_quiz_and_practice_then_rereading(
    onboard: Onboard, runtime: Runtime, clock: ManualClock, locale: str
) -> None:
    course = runtime.library.get("annotation-basics")
    practice = course.practice
    assert practice is not None and len(practice.items) >= 2
    steps = len(course.lessons) + 2  # the lessons, the quiz, the practice set
    user = await onboard(300, locale)
    await user.press(t(locale, "📚 Learn"))
    assert bar(0, steps, locale) in await open_from_list(user, course, locale)
    await read_pages(user, course, locale, clock)

    clock.advance(PAUSE)
    # the practice set: one answer, then out by the menu button from the next card
    await user.press(t(locale, "🎯 Practice"))
    has_menu(user, locale)
    await user.press(t(locale, "▶️ Start the practice"))
    first = practice.items[0]
    has_menu(user, locale)
    label = next(lb for lb in practice.labels if lb.id == first.answer)
    await user.press(local(label.text, locale))
    has_menu(user, locale)
    await user.press(t(locale, "Next ➡️"))
    assert local(practice.question, locale) in shown(user)
    has_menu(user, locale)
    await to_menu_and_course(user, course, locale)
    assert t(locale, "📝 Start the quiz") in user.last.labels

    clock.advance(PAUSE)
    # the quiz: two questions, out by the menu button, the bar counts the quiz, back in place
    await user.press(t(locale, "📝 Start the quiz"))
    await answer(user, course, locale, course.quiz[:2])
    has_menu(user, locale)
    clock.advance(PAUSE)
    label = await to_menu_and_course(user, course, locale)
    assert bar(len(course.lessons), steps, locale) in label  # mid-quiz is not "7/7"
    assert local(course.quiz[2].text, locale) in shown(user)
    await answer(user, course, locale, course.quiz[2:])
    assert shown(user).startswith(
        t(locale, "🎉 You passed {course} with {score} of {total} right answers!").format(
            course=local(course.title, locale),
            score=embed(len(course.quiz), locale),
            total=embed(len(course.quiz), locale),
        )
    )
    has_menu(user, locale)

    clock.advance(PAUSE)
    # read again after passing: the pages from the first, the course stays passed
    await user.press(t(locale, "📖 Read the lessons again"))
    assert local(course.lessons[0].pages[0].text, locale) in shown(user)
    await read_pages(user, course, locale, clock)
    assert t(locale, "🎓 My certificate") in user.last.labels
    async with runtime.sessions() as session:
        row = await session.get(CourseProgress, (300, course.id))
    assert row.stage == "passed" and row.completed_at is not None
    assert await count(runtime, QuizAttempt, user_id=300) == 1
    assert await count(runtime, UserSkill, user_id=300) == 1
    assert await count(runtime, Certificate, user_id=300) == 0

    clock.advance(PAUSE)
    # the name, shown back before the certificate is made
    await user.press(t(locale, "🎓 My certificate"))
    assert shown(user).startswith("✍️")
    has_menu(user, locale)
    await user.send("Amina Hadad")
    assert shown(user).startswith(
        t(locale, "{name} - is this right?").format(name=embed("Amina Hadad", locale))
    )
    assert await count(runtime, Certificate, user_id=300) == 0
    await user.press(t(locale, "✏️ Change"))
    assert shown(user).startswith("✍️")
    await user.send("Amina \u202eHaddad")
    assert "Amina Haddad" in shown(user)
    events = await user.press(t(locale, "✅ Yes"))
    photos = [e.message for e in events if e.kind == "message" and e.message.photo]
    assert len(photos) == 1 and photos[0].photo.width == 1600
    async with runtime.sessions() as session:
        [old] = (
            await session.execute(select(Certificate).where(Certificate.user_id == 300))
        ).scalars()
    assert old.name == "Amina Haddad" and old.code in photos[0].caption
    has_menu(user, locale)
    first_photo = photos[0].message_id

    clock.advance(PAUSE)
    # corrected once: a new code; the old one stays verifiable and names the new one
    await user.press(t(locale, "✏️ Correct the name"))
    assert shown(user).startswith("✍️")
    await user.send("Amina K. Haddad")
    assert "Amina K. Haddad" in shown(user)
    events = await user.press(t(locale, "✅ Yes"))
    photos = [e.message for e in events if e.kind == "message" and e.message.photo]
    assert len(photos) == 1
    assert t(locale, "✏️ Correct the name") not in photos[0].labels
    async with runtime.sessions() as session:
        rows = {
            c.code: c
            for c in (
                await session.execute(select(Certificate).where(Certificate.user_id == 300))
            ).scalars()
        }
    [new_code] = set(rows) - {old.code}
    assert rows[old.code].replaced_by == new_code and rows[old.code].name == "Amina Haddad"
    assert rows[new_code].replaced_by is None and rows[new_code].name == "Amina K. Haddad"
    assert new_code in photos[0].caption

    await user.send(f"/verify {old.code}")
    replaced = t(
        locale,
        "⚠️ This certificate was replaced by the certificate {code}, which shows the "
        "corrected name.",
    ).format(code=embed(new_code, locale))
    assert replaced in shown(user) and "Amina Haddad" in shown(user)
    await user.send(f"/verify {new_code}")
    assert "Amina K. Haddad" in shown(user) and "⚠️" not in shown(user)

    clock.advance(PAUSE)
    # no second correction, not even from the first certificate's button
    events = await user.press(t(locale, "✏️ Correct the name"), first_photo)
    alerts = [e.text for e in events if e.kind == "callback_answer" and e.show_alert]
    assert alerts == [t(locale, "The name on this certificate was already corrected once.")]
    assert await count(runtime, Certificate, user_id=300) == 2


async def test_the_name_already_given_is_confirmed_for_the_next_course(
    onboard: Onboard, runtime: Runtime, clock: ManualClock
) -> None:
    user = await onboard(301, "en")
    for course_id in ("working-on-platform", "annotation-basics"):
        course = runtime.library.get(course_id)
        await user.send("/learn")
        await open_from_list(user, course, "en")
        await read_pages(user, course, "en", clock)
        await user.press("📝 Start the quiz")
        await answer(user, course, "en", course.quiz)
        clock.advance(PAUSE)
        await user.press("🎓 My certificate")
        if course_id == "working-on-platform":
            await user.send("Yusuf Rahimi")
        assert shown(user).startswith("Yusuf Rahimi - is this right?")
        await user.press("✅ Yes")
        assert user.last.photo is not None
    async with runtime.sessions() as session:
        names = (
            await session.execute(select(Certificate.name).where(Certificate.user_id == 301))
        ).scalars()
        assert sorted(names) == ["Yusuf Rahimi", "Yusuf Rahimi"]


@pytest.mark.parametrize("locale", LOCALES)
async def test_language_returns_to_the_screen_it_was_opened_from(
    onboard: Onboard, runtime: Runtime, locale: str
) -> None:
    other = "en" if locale != "en" else "uk"
    user = await onboard(302, locale)
    await user.press(t(locale, "⚙️ Settings"))
    await user.press(t(locale, "🌐 Language"))
    await user.press(LANGUAGE_BUTTONS[other])
    assert shown(user).startswith(t(other, "Settings\n\nLanguage: {language}").split("\n")[0])
    assert t(other, "🌐 Language") in user.last.labels

    await user.send("/language")
    has_menu(user, other)  # the way out of the picker
    await user.press(LANGUAGE_BUTTONS[locale])
    assert shown(user) == t(locale, "Main menu. What would you like to do?")
    assert t(locale, "📚 Learn") in user.last.labels


@pytest.mark.parametrize("locale", LOCALES)
async def test_text_the_bot_does_not_understand_gets_the_menu_button(
    onboard: Onboard, locale: str
) -> None:
    user = await onboard(303, locale)
    await user.send("hello?")
    assert shown(user) == t(locale, "I did not understand that. Send /help to see what I can do.")
    await user.press(t(locale, "🏠 Menu"))
    assert shown(user) == t(locale, "Main menu. What would you like to do?")


async def test_failed_quiz_shows_one_local_time_and_no_try_again_until_then(
    onboard: Onboard, runtime: Runtime, clock: ManualClock
) -> None:
    runtime.settings.timezone = "Asia/Kabul"
    course = runtime.library.get("working-on-platform")
    user = await onboard(304, "fa_AF")
    await user.send("/learn")
    await open_from_list(user, course, "fa_AF")
    await read_pages(user, course, "fa_AF", clock)
    await user.press(t("fa_AF", "📝 Start the quiz"))
    for question in course.quiz:
        wrong = next(o for o in question.options if o.id != question.answer)
        await user.press(local(wrong.text, "fa_AF"))
        await user.press(t("fa_AF", "Next ➡️"))
    until = clock.now() + course.retry_cooldown
    time = format_datetime(until, "fa_AF", fmt="short", tzinfo=runtime.settings.zone)
    assert time in shown(user)
    assert t("fa_AF", "🔁 Try again") not in user.last.labels
    has_menu(user, "fa_AF")

    clock.advance(course.retry_cooldown + timedelta(seconds=1))
    await user.press(t("fa_AF", "📚 Courses"))
    await open_from_list(user, course, "fa_AF")
    assert t("fa_AF", "You can take the quiz again now.") in shown(user)
    await user.press(t("fa_AF", "🔁 Try again"))
    assert local(course.quiz[0].text, "fa_AF") in shown(user)

"""/language returns to the screen the user was on, in the new language (through the stand-in)."""

from __future__ import annotations

import pytest

from bot.app import Runtime
from tests.e2e.conftest import LANGUAGE_BUTTONS, Onboard, t
from tests.e2e.test_learning import local, open_course, shown


@pytest.mark.parametrize(("locale", "other"), [("ar", "uk"), ("uk", "fa_AF")])
async def test_language_typed_on_a_lesson_page_shows_that_page_again(
    onboard: Onboard, runtime: Runtime, locale: str, other: str
) -> None:
    course = runtime.library.get("annotation-basics")
    user = await onboard(320, locale)
    await open_course(user, course, locale)
    await user.press(t(locale, "Next ➡️"))
    second = course.lessons[0].pages[1]
    assert local(second.text, locale) in shown(user)

    await user.send("/language")
    await user.press(LANGUAGE_BUTTONS[other])
    assert local(second.text, other) in shown(user)  # the same page, in the new language
    assert local(course.title, other) in shown(user)
    assert t(other, "Next ➡️") in user.last.labels
    await user.press(t(other, "Next ➡️"))  # and reading goes on from there
    assert local(course.lessons[0].pages[2].text, other) in shown(user)


@pytest.mark.parametrize(("locale", "other"), [("fa_AF", "en"), ("en", "ar")])
async def test_language_typed_on_the_course_list_shows_the_list_again(
    onboard: Onboard, runtime: Runtime, locale: str, other: str
) -> None:
    user = await onboard(321, locale)
    await user.send("/learn")
    assert shown(user) == t(
        locale, "📚 Courses\n\nChoose a course. Your place is saved at every step."
    )
    await user.send("/language")
    await user.press(LANGUAGE_BUTTONS[other])
    assert shown(user) == t(
        other, "📚 Courses\n\nChoose a course. Your place is saved at every step."
    )
    for course in runtime.library.courses:
        assert any(local(course.title, other) in label for label in user.last.labels)


async def test_after_leaving_the_course_language_returns_to_the_menu(
    onboard: Onboard, runtime: Runtime
) -> None:
    course = runtime.library.get("annotation-basics")
    user = await onboard(322, "uk")
    await open_course(user, course, "uk")
    await user.press(t("uk", "🏠 Menu"))  # left by a button
    await user.send("/language")
    await user.press(LANGUAGE_BUTTONS["ar"])
    assert shown(user) == t("ar", "Main menu. What would you like to do?")

    await open_course(user, course, "ar")
    await user.send("/help")  # left by another command
    await user.send("/language")
    await user.press(LANGUAGE_BUTTONS["uk"])
    assert shown(user) == t("uk", "Main menu. What would you like to do?")

"""A coordinator follows course progress and quiz pass rates per cohort."""

from __future__ import annotations

from bot.app import Runtime
from tests.e2e.conftest import Onboard
from tests.e2e.test_learning import answer_quiz, open_course, read_every_page


async def test_progress_per_cohort_counts_started_in_progress_completed_and_pass_rate(
    onboard: Onboard, runtime: Runtime
) -> None:
    admin = await onboard(900, "en", name="Admin")
    await admin.send("/org_new Hope NGO")
    coordinator = await onboard(20, "en", name="Layla")
    await admin.send("/coordinator_add 20 Hope NGO")
    await coordinator.send("/cohort_new Lviv")
    code = coordinator.last.text.split("start=")[1].strip()
    await coordinator.send("/progress")
    assert coordinator.last.text == "No one in your groups has started a course yet."

    course = runtime.library.get("working-on-platform")
    passer = await onboard(40, "en", code=code)
    await open_course(passer, course, "en")
    await read_every_page(passer, course, "en")
    await answer_quiz(passer, course, "en")
    failer = await onboard(41, "en", code=code)
    await open_course(failer, course, "en")
    await read_every_page(failer, course, "en")
    await answer_quiz(failer, course, "en", right=False)
    browser = await onboard(42, "en", code=code)
    await open_course(browser, course, "en")
    outsider = await onboard(43, "en")  # in no cohort: not counted
    await open_course(outsider, course, "en")

    await coordinator.send("/progress")
    assert coordinator.last.text.split("\n") == [
        "Course progress in your groups:",
        "",
        "👥 Lviv",
        "Working on the platform: 3 started, 2 in progress, 1 completed; quiz pass rate 50%",
    ]

"""A coordinator sees who in their groups is where, who is stuck and since when, the totals,
and the invite links of each group; never another organisation's people."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Runtime
from core.bidi import BIDI_CONTROLS
from core.clock import ManualClock
from core.pseudonym import pseudonym
from courses.content_model import Course
from courses.progress import current
from people import accounts
from standin.client import SimUser
from tests.e2e.conftest import Onboard
from tests.e2e.test_learning import answer_quiz, open_course, read_every_page

LEGEND = "⚠️ marks no progress for 3 days or more."


def _code(reply: str) -> str:
    return reply.split("start=")[1].split()[0].strip("".join(BIDI_CONTROLS))


async def _coordinator(
    admin: SimUser, onboard: Onboard, user_id: int, organisation: str, cohort: str
) -> tuple[SimUser, str]:
    """A coordinator of `organisation` with a new group `cohort`, and the group's invite code."""
    await admin.send(f"/org_new {organisation}")
    coordinator = await onboard(user_id, "en", name="Coordinator")
    await admin.send(f"/coordinator_add {user_id} {organisation}")
    await coordinator.send(f"/cohort_new {cohort}")
    return coordinator, _code(coordinator.last.text)


async def _lesson_of(runtime: Runtime, user_id: int, course: Course) -> int:
    async with runtime.sessions() as session:
        return (await current(session, user_id, course)).lesson_number


async def _name(runtime: Runtime, user_id: int, name: str) -> None:
    """The name the trainee chose (for certificates)."""
    async with runtime.sessions() as session:
        await accounts.set_display_name(session, user_id, name)
        await session.commit()


async def test_progress_per_cohort_counts_started_in_progress_completed_and_pass_rate(
    onboard: Onboard, runtime: Runtime
) -> None:
    admin = await onboard(900, "en", name="Admin")
    coordinator, code = await _coordinator(admin, onboard, 20, "Hope NGO", "Lviv")
    await coordinator.send("/progress")
    assert coordinator.last.text == "No one in your groups has started a course yet."

    course = runtime.library.get("working-on-platform")
    passer = await onboard(40, "en", code=code)
    await _name(runtime, 40, "Petro")
    await open_course(passer, course, "en")
    await read_every_page(passer, course, "en")
    await answer_quiz(passer, course, "en")
    failer = await onboard(41, "en", code=code)
    await _name(runtime, 41, "Mariam")
    await open_course(failer, course, "en")
    await read_every_page(failer, course, "en")
    await answer_quiz(failer, course, "en", right=False)
    browser = await onboard(42, "en", code=code)  # gave no name
    await open_course(browser, course, "en")
    outsider = await onboard(43, "en")  # in no cohort: not counted
    await open_course(outsider, course, "en")
    await onboard(44, "en", code=code)  # joined, no course yet
    await _name(runtime, 44, "Zoya")

    await coordinator.send("/progress")
    lessons = len(course.lessons)
    assert coordinator.last.text.split("\n") == [
        "Course progress in your groups:",
        LEGEND,
        "",
        "👥 Lviv",
        "Working on the platform: 3 started, 2 in progress, 1 completed; quiz pass rate 50%",
        "Mariam · Working on the platform · quiz",
        "Petro · Working on the platform · passed",
        "Zoya · no course started yet",
        f"No name ({pseudonym(42)}) · Working on the platform · lesson 1 of {lessons}",
    ]
    assert coordinator.last.labels == ["🏠 Menu"]


async def test_a_coordinator_sees_a_stuck_trainee_by_name_and_no_one_of_another_organisation(
    onboard: Onboard, runtime: Runtime, clock: ManualClock
) -> None:
    admin = await onboard(900, "en", name="Admin")
    hope, lviv = await _coordinator(admin, onboard, 20, "Hope NGO", "Lviv")
    other, kabul = await _coordinator(admin, onboard, 21, "Other NGO", "Kabul")
    course = runtime.library.get("working-on-platform")

    olena = await onboard(40, "en", code=lviv)
    await _name(runtime, 40, "Olena")
    await open_course(olena, course, "en")
    await olena.press("Next ➡️")  # she read a page on 22 November, then stopped
    clock.advance(timedelta(days=2))
    ahmad = await onboard(41, "en", code=kabul)
    await _name(runtime, 41, "Ahmad")
    await open_course(ahmad, course, "en")

    await hope.send("/progress")
    assert "⚠️" not in hope.last.text.replace(LEGEND, "")  # two days: not stuck yet
    clock.advance(timedelta(days=1, hours=1))
    await hope.send("/progress")
    stuck = "⚠️ Olena · Working on the platform · lesson {} of {} · no progress since {}"
    place = await _lesson_of(runtime, 40, course)
    assert stuck.format(place, len(course.lessons), "November 22, 2026") in hope.last.text
    assert "Ahmad" not in hope.last.text and "Kabul" not in hope.last.text

    await other.send("/progress")
    lines = other.last.text.split("\n")
    assert f"Ahmad · Working on the platform · lesson 1 of {len(course.lessons)}" in lines
    assert "Olena" not in other.last.text and "Lviv" not in other.last.text

    await admin.send("/progress")  # an admin sees every organisation's groups
    text = admin.last.text
    assert text.startswith("Course progress in all groups:")
    assert "👥 Kabul · Other NGO" in text and "👥 Lviv · Hope NGO" in text
    assert "Ahmad" in text and "⚠️ Olena" in text


async def test_a_long_list_is_paged_in_one_message_edited_in_place(
    onboard: Onboard, runtime: Runtime
) -> None:
    admin = await onboard(900, "en", name="Admin")
    coordinator, code = await _coordinator(admin, onboard, 20, "Hope NGO", "Lviv")
    names = [f"Trainee number {n:03d} " + "x" * 40 for n in range(90)]
    async with runtime.sessions() as session:
        for user_id, name in enumerate(names, start=1000):
            await accounts.accept_consent(
                session,
                user_id=user_id,
                locale="en",
                invite_code=code,
                is_admin=False,
                clock=runtime.clock,
            )
            await accounts.set_display_name(session, user_id, name)
        await session.commit()

    await coordinator.send("/progress")
    first = coordinator.last
    count = len(coordinator.messages)
    pages = [first.text]
    while "Next ➡️" in coordinator.last.labels:
        await coordinator.press("Next ➡️")
        pages.append(coordinator.last.text)
    assert len(coordinator.messages) == count and coordinator.last.message_id == first.message_id
    assert len(pages) >= 2
    assert all(len(page.encode("utf-16-le")) // 2 <= 4096 for page in pages)
    assert [page.split("\n")[-1] for page in pages] == [
        f"Page {n} of {len(pages)}" for n in range(1, len(pages) + 1)
    ]
    shown = [line.split(" · ")[0] for page in pages for line in page.split("\n")]
    assert sorted(name for name in shown if name.startswith("Trainee")) == names
    assert all(page.split("\n")[3] == "👥 Lviv" for page in pages)  # the group on every page
    await coordinator.press("⬅️ Back")
    assert coordinator.last.text == pages[-2]


async def test_cohorts_lists_each_groups_invite_links_with_expiry_and_uses_left(
    onboard: Onboard, runtime: Runtime
) -> None:
    admin = await onboard(900, "en", name="Admin")
    coordinator, code = await _coordinator(admin, onboard, 20, "Hope NGO", "Lviv")
    await coordinator.send("/invite lviv 3")  # found whatever the case
    limited = _code(coordinator.last.text)
    await onboard(40, "en", code=limited)
    await coordinator.send("/cohort_new Kyiv")
    kyiv = _code(coordinator.last.text)
    await coordinator.send(f"/invite_revoke {kyiv}")

    await coordinator.send("/cohorts")
    assert coordinator.last.text.split("\n") == [
        "Your groups and their invite links:",
        "",
        "👥 Kyiv: 0 members",
        "No invite link works now.",
        "",
        "👥 Lviv: 1 member",
        f"https://t.me/rafiq_sandbox_bot?start={code} · works until 12/6/26, 9:00\u202fAM"
        " · no limit on joins",
        f"https://t.me/rafiq_sandbox_bot?start={limited} · works until 12/6/26, 9:00\u202fAM"
        " · 2 more people can join",
    ]
    assert coordinator.last.labels == ["New invite: Kyiv", "New invite: Lviv", "🏠 Menu"]

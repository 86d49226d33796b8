"""What coordinators and workers read about pay per hour: the projects list against the floor
(with its warning), Earnings' per-hour line and its history screens."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Runtime
from core.i18n import use_locale
from handlers.earnings_history import answers_screen, by_day_screen, by_project_screen
from handlers.menu import earnings_screen
from handlers.work_coordination import projects_screen
from people.accounts import get_member
from tasks.fair_pay import Floor
from tasks.models import WorkProject
from tests.tasks.test_fair_pay import FLOORS, setup, work
from tests.tasks.test_work import spec


async def test_the_projects_list_weighs_the_median_pay_against_the_floor(
    runtime: Runtime,
) -> None:
    await setup(runtime, {100: "SY", 101: "AF"})
    await work(runtime, 100, 30, times=2)
    await work(runtime, 101, 30)
    async with runtime.sessions() as session:
        with use_locale("en"):
            below = await projects_screen(session, runtime.clock, None, FLOORS)
            above = await projects_screen(session, runtime.clock, None, {"AF": Floor(200, "USD")})
            unset = await projects_screen(session, runtime.clock, None, {})
    # 2 cents per 30 s: 2.40 USD an hour; the highest floor of the groups' countries is 6.00
    assert below.text.splitlines()[2:] == [
        "💵 Pay per hour this week: $2.40 (median 30 s an answer) · minimum $6.00",
        "⚠️ Below the minimum hourly wage: this week's answers get top-ups.",
    ]
    assert above.text.splitlines()[2:] == [
        "💵 Pay per hour this week: $2.40 (median 30 s an answer) · minimum $2.00"
    ]
    assert unset.text.endswith("· no minimum wage set")


async def test_earnings_show_pay_per_hour_and_a_history(runtime: Runtime) -> None:
    await setup(runtime, {100: "SY"})
    await work(runtime, 100, 20)
    await work(runtime, 100, 40)
    await work(runtime, 100, 0)  # too fast: flagged, not paid, and not in the hour's count
    async with runtime.sessions() as session:
        member = await get_member(session, 100)
        with use_locale("en"):
            earnings = await earnings_screen(session, member, runtime.clock)
            days = await by_day_screen(session, member, runtime.clock.now(), runtime.settings.zone)
            projects = await by_project_screen(session, member)
            answers = await answers_screen(session, member, runtime.settings.zone)
    # 4 cents for 60 s of honest answering: 2.40 USD an hour
    assert "Per hour of answering: $2.40 this week, $2.40 overall" in earnings.text
    assert [b.text for row in earnings.markup.inline_keyboard for b in row] == [
        "💳 Set payout method",
        "📜 History",
        "🏠 Menu",
    ]
    assert "3 answers, $0.04" in days.text
    assert "Digits: 3 answers, $0.04" in projects.text
    lines = answers.text.splitlines()
    assert lines[1].startswith("1. Digits") and lines[1].endswith("⚡ flagged too fast: not paid")
    assert lines[2].endswith("✅ paid") and lines[3].endswith("✅ paid")
    labels = [b.text for row in answers.markup.inline_keyboard for b in row]
    assert labels[0] == "⚖️ Dispute 1" and "⚖️ Dispute 2" not in labels
    runtime.clock.advance(timedelta(days=8))
    async with runtime.sessions() as session:
        with use_locale("en"):
            later = await earnings_screen(session, member, runtime.clock)
    assert "Per hour of answering: - this week, $2.40 overall" in later.text


async def test_a_long_projects_list_fits_one_message_and_keeps_every_button(
    runtime: Runtime,
) -> None:
    async with runtime.sessions() as session:
        for n in range(40):
            data = spec(id=f"project-{n:02}", title={"en": f"A long project title number {n}"})
            session.add(
                WorkProject(
                    id=data["id"],
                    kind=data["kind"],
                    spec=data,
                    spec_digest="x",
                    reward_minor=2,
                    currency="USD",
                    created_at=runtime.clock.now(),
                )
            )
        await session.commit()
        with use_locale("en"):
            screen = await projects_screen(session, runtime.clock, None, FLOORS)
    assert len(screen.text.encode("utf-16-le")) // 2 <= 4096 and screen.text.endswith("…")
    assert len([row for row in screen.markup.inline_keyboard]) == 40

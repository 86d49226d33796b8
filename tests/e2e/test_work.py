"""Paid work through the stand-in: a worker the starter course qualified does the demo projects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from core.i18n import format_money
from courses.models import UserSkill
from handlers.callbacks import WorkAnswer, WorkToggle
from standin.client import SimUser
from tasks.models import Assignment, AssignmentState, LedgerEntry, WorkItem, WorkProject
from tests.e2e.conftest import Onboard, t
from tests.e2e.test_learning import answer_quiz, open_course, read_every_page, shown


async def qualify(user: SimUser, runtime: Runtime, locale: str) -> None:
    """Pass the starter course as a trainee would: it grants the skill the demo projects need."""
    course = runtime.library.get("annotation-basics")
    await open_course(user, course, locale)
    await read_every_page(user, course, locale)
    await answer_quiz(user, course, locale)
    assert t(locale, "🛠 Work") in user.last.labels  # the pass screen names the projects opened
    async with runtime.sessions() as session:
        digits = await session.get(WorkProject, "handwritten-digits")
    assert digits.spec["title"][locale] in shown(user)
    async with runtime.sessions() as session:
        skills = (
            await session.execute(select(UserSkill.skill).where(UserSkill.user_id == user.id))
        ).scalars()
        assert "image-labelling" in set(skills)
    runtime.clock.advance(timedelta(minutes=1))  # a person reads for longer than the flood window


async def spec_of(runtime: Runtime, project_id: str) -> dict:
    async with runtime.sessions() as session:
        return (await session.get(WorkProject, project_id)).spec


async def assignments(runtime: Runtime, user_id: int) -> list[Assignment]:
    async with runtime.sessions() as session:
        query = select(Assignment).where(Assignment.user_id == user_id).order_by(Assignment.id)
        return list((await session.execute(query)).scalars())


async def open_project(user: SimUser, locale: str, title: str) -> None:
    await user.send("/work")
    await user.press(next(label for label in user.last.labels if title in label))
    await user.press(t(locale, "▶️ Start"))


async def past_feedback(user: SimUser, locale: str) -> None:
    """A wrong answer on a control item shows the right one first; go on to the next item."""
    if t(locale, "Next ➡️") in user.last.labels:
        await user.press(t(locale, "Next ➡️"))


@pytest.mark.parametrize("locale", ["ar", "uk"])
async def test_a_qualified_worker_does_the_demo_projects(
    onboard: Onboard, runtime: Runtime, work_projects: list[str], locale: str
) -> None:
    user = await onboard(300, locale)
    await user.send("/work")
    assert t(locale, "🏠 Menu") in user.last.labels
    await qualify(user, runtime, locale)

    digits = await spec_of(runtime, "handwritten-digits")
    await open_project(user, locale, digits["title"][locale])
    card = user.last
    assert card.photo is not None and digits["title"][locale] in card.caption
    label_texts = [label["text"][locale] for label in digits["labels"]]
    assert set(label_texts) <= set(card.labels)
    assert t(locale, "⏭ Skip") in card.labels and t(locale, "⚠️ Report a problem") in card.labels

    runtime.clock.advance(timedelta(seconds=3))
    events = await user.press(label_texts[3])
    done = await assignments(runtime, 300)
    shown_as = [e.kind for e in events if e.kind in ("message", "edit")]
    if done[0].correct is False:  # a missed control item: its feedback is text, a new message
        assert shown_as == ["message"]
    else:  # the next item replaces this one in place
        assert shown_as == ["edit"]
    await past_feedback(user, locale)
    assert done[0].state == AssignmentState.ANSWERED and done[0].answer == ["3"]

    await user.press(t(locale, "⏭ Skip"))
    await past_feedback(user, locale)
    await user.press(t(locale, "⚠️ Report a problem"))
    await user.press(t(locale, "🖼 Broken image"))
    states = [(a.state, a.report_reason) for a in await assignments(runtime, 300)]
    assert states[1:3] == [("skipped", "skip"), ("reported", "broken")]
    assert user.last.photo is not None  # the next item is already there

    check = await spec_of(runtime, "digit-check")
    await open_project(user, locale, check["title"][locale])
    assert t(locale, "✅ Yes") in user.last.labels
    runtime.clock.advance(timedelta(seconds=3))
    await user.press(t(locale, "✅ Yes"))
    await past_feedback(user, locale)
    assert (await assignments(runtime, 300))[-2].answer == ["yes"]

    topics = await spec_of(runtime, "message-topics")
    await open_project(user, locale, topics["title"][locale])
    async with runtime.sessions() as session:
        item = await session.get(WorkItem, (await assignments(runtime, 300))[-1].item_id)
    assert item.language == locale and item.content["text"] in shown(user)
    first, second = (label["text"][locale] for label in topics["labels"][:2])
    await user.press(f"⬜ {first}")
    await user.press(f"⬜ {second}")
    assert f"☑️ {first}" in user.last.labels and f"☑️ {second}" in user.last.labels
    runtime.clock.advance(timedelta(seconds=3))
    await user.press(t(locale, "📨 Send ({count} chosen)").format(count=_count(locale, 2)))
    await past_feedback(user, locale)
    tagged = [a for a in await assignments(runtime, 300) if a.project_id == "message-topics"]
    assert tagged[0].answer == sorted(label["id"] for label in topics["labels"][:2])

    async with runtime.sessions() as session:
        owed = (
            await session.execute(
                select(func.count()).where(LedgerEntry.user_id == 300, LedgerEntry.kind == "answer")
            )
        ).scalar_one()
    assert owed == 3  # three answers, each paid once; the skip and the report are not

    # Earnings: the pay waits in pending for the review window, then is available.
    currency = digits["reward"]["currency"]
    earned = sum(spec["reward"]["amount_minor"] for spec in (digits, check, topics))

    def line(msgid: str, amount: int) -> str:
        return t(locale, msgid).format(amount=format_money(amount, currency, locale))

    await user.send("/earnings")
    assert line("Pending: {amount}", earned) in shown(user)
    assert line("Available: {amount}", 0) in shown(user)
    assert line("This week: {amount}", earned) in shown(user)
    assert t(locale, "No payout method yet: set one to be paid.") in shown(user)
    runtime.clock.advance(timedelta(hours=72))
    await user.send("/earnings")
    assert line("Pending: {amount}", 0) in shown(user)
    assert line("Available: {amount}", earned) in shown(user)


def _count(locale: str, n: int) -> str:
    from core.i18n import embed

    return embed(n, locale)


async def test_an_unqualified_worker_is_told_how_to_qualify(
    onboard: Onboard, runtime: Runtime, work_projects: list[str]
) -> None:
    user = await onboard(301, "fa_AF")
    await user.send("/work")
    course = runtime.library.get("annotation-basics")
    assert course.title["fa_AF"] in shown(user)
    assert f"📘 {course.title['fa_AF']}" in user.last.labels


async def test_tampered_buttons_are_refused_and_record_nothing(
    onboard: Onboard, runtime: Runtime, work_projects: list[str]
) -> None:
    owner = await onboard(302, "en")
    await qualify(owner, runtime, "en")
    await open_project(owner, "en", "Handwritten digits")
    [lease] = await assignments(runtime, 302)
    intruder = await onboard(303, "en")
    await qualify(intruder, runtime, "en")
    await intruder.send("/work")
    message = intruder.last.message_id
    before = len(await assignments(runtime, 303))
    runtime.clock.advance(timedelta(seconds=3))
    tampered = [
        WorkAnswer(a=lease.id, i=1).pack(),  # someone else's assignment
        WorkToggle(a=lease.id, m=1, submit=True).pack(),
        "wa:abc:1",
        "wa:1:99999999999999999999",
        "wp:1:../../etc",
    ]
    for data in tampered:
        await intruder.press_data(data, message)
    assert len(await assignments(runtime, 303)) == before
    mine = owner.last.message_id
    await owner.press_data(WorkAnswer(a=lease.id, i=99).pack(), mine)  # unknown label
    runtime.clock.advance(timedelta(minutes=10))  # past the lease and its grace
    await owner.press_data(WorkAnswer(a=lease.id, i=1).pack(), mine)
    after = (await assignments(runtime, 302))[0]  # the worker is shown a new item after it
    assert after.state == AssignmentState.EXPIRED and after.answer is None
    async with runtime.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(LedgerEntry))).scalar() == 0
        item = await session.get(WorkItem, lease.item_id)
    assert (item.answered, item.leased) == (0, 0)

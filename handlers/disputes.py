"""Disputes: a worker disputes an answer with one tap (and, if they like, one sentence); a
coordinator of the worker's organisation upholds or reverses it, with an optional reason. The
service checks every id against the person asking: a forged button decides nothing."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, embed, format_list, minutes_text, seconds_text
from handlers.callbacks import (
    DisputeDecide,
    DisputeOpen,
    DisputeShow,
    EarningsView,
    MenuAction,
    ProjectPick,
    WorkNext,
)
from handlers.filters import IsMember
from handlers.routing import Routes
from handlers.screens import Screen, present
from handlers.work import answer_text, item_body, title
from handlers.work_coordination import IsCoordinatorOrAdmin, dispute_scope
from people.accounts import Member
from tasks import disputes
from tasks.disputes import Case, DisputeError
from tasks.models import Assignment, WorkItem
from tasks.work import Rules

worker_router = Routes(f"{__name__}.worker", IsMember())
coordinator_router = Routes(f"{__name__}.coordinator", IsCoordinatorOrAdmin())

NOTE_KEY = "dispute_note"  # FSM data: the dispute the worker's sentence goes to
DECIDE_KEY = "dispute_decide"  # FSM data: [dispute id, reverse] waiting for a reason


class DisputeNote(StatesGroup):
    waiting = State()


class DisputeReason(StatesGroup):
    waiting = State()


scope = dispute_scope


# The worker's side.


def _after_dispute(project_id: str) -> Screen:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Next ➡️"), callback_data=WorkNext(project=project_id))
    builder.button(text=_("🧾 My answers"), callback_data=EarningsView(v="answers"))
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))
    builder.adjust(1)
    text = _(
        "⚖️ Your dispute is with the coordinators now; you will be told what they decide.\n\n"
        "If you like, send one sentence saying why."
    )
    return Screen(text, builder.as_markup())


@worker_router.callback_query(DisputeOpen.filter())
async def open_dispute(
    query: CallbackQuery,
    callback_data: DisputeOpen,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    state: FSMContext,
) -> None:
    try:
        dispute, new = await disputes.open_dispute(session, member.id, callback_data.a, clock.now())
    except DisputeError:
        await query.answer(_("This answer cannot be disputed."))
        return
    if dispute.state == disputes.OPEN and dispute.note is None:
        await state.set_state(DisputeNote.waiting)
        await state.set_data({NOTE_KEY: dispute.id})
    assignment = await session.get(Assignment, dispute.assignment_id)
    assert assignment is not None
    await present(query, _after_dispute(assignment.project_id), session)
    await query.answer(_("⚖️ Disputed") if new else _("You disputed this answer already."))


@worker_router.message(DisputeNote.waiting, F.text, ~F.text.startswith("/"))
async def dispute_note(
    message: Message, session: AsyncSession, member: Member, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    added = await disputes.add_note(
        session, member.id, int(data.get(NOTE_KEY) or 0), message.text or ""
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🧾 My answers"), callback_data=EarningsView(v="answers"))
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))
    text = (
        _("Thank you: your words are added to the dispute.")
        if added
        else _("That dispute is decided already, or has your words already.")
    )
    await message.answer(text, reply_markup=builder.as_markup())


# The coordinators' side.


def _seconds(ms: int | None) -> str:
    return seconds_text(round((ms or 0) / 1000, 1))


def _what(found: Case, item: WorkItem) -> str:
    assignment, project = found.assignment, found.project
    rules = Rules.of(project)
    if found.dispute.reason == disputes.TOO_FAST:
        return _(
            "Flagged too fast: answered in {seconds}; this project's honest minimum is {minimum}."
        ).format(seconds=_seconds(assignment.answer_ms), minimum=seconds_text(rules.min_seconds))
    if found.dispute.reason == disputes.LATE:
        return _(
            "Refused as late: answered {minutes} after the item was given; it was theirs "
            "for {lease}, and {grace} more of grace."
        ).format(
            minutes=minutes_text(round((assignment.answer_ms or 0) / 60000, 1)),
            lease=minutes_text(int(rules.lease.total_seconds() // 60)),
            grace=minutes_text(int(rules.grace.total_seconds() // 60)),
        )
    right = format_list(answer_text(project, g) for g in item.gold or ()) or _("none of the labels")
    return _("A control item marked wrong. The right answer: {answer}.").format(answer=right)


async def case_screen(
    session: AsyncSession, member: Member, project_id: str, offset: int
) -> Screen:
    """Open dispute number `offset` (from the start when past the end) of the project's ("":
    every project's) that the member may decide."""
    counts = await disputes.open_counts(session, scope(member))
    count = counts.get(project_id, 0) if project_id else sum(counts.values())
    offset = offset if offset < count else 0
    found = await disputes.queue(session, scope(member), project_id or None, limit=1, offset=offset)
    back = ProjectPick(p=project_id)
    builder = InlineKeyboardBuilder()
    if not found:
        builder.button(text=_("⬅️ Back"), callback_data=back)
        return Screen(_("No dispute is waiting."), builder.as_markup())
    case = found[0]
    assignment, project = case.assignment, case.project
    item = await session.get(WorkItem, assignment.item_id)
    assert item is not None
    given = format_list(answer_text(project, a) for a in assignment.answer or ())
    lines = [
        _("⚖️ Dispute {position} of {count} · «{project}»").format(
            position=embed(offset + 1), count=embed(count), project=title(project)
        ),
        "",
        item_body(project, item),
        "",
    ]
    if given:
        lines.append(_("Their answer: {answer}").format(answer=given))
    lines.append(_what(case, item))
    if case.dispute.note:
        lines.append(_("The worker says: {note}").format(note=embed(case.dispute.note)))
    else:
        lines.append(_("The worker wrote nothing."))
    d = case.dispute.id or 0
    builder.button(text=_("↩️ Reverse: pay it"), callback_data=DisputeDecide(d=d, rev=True))
    builder.button(text=_("✋ Uphold"), callback_data=DisputeDecide(d=d, rev=False))
    builder.button(text=_("⏭ Skip"), callback_data=DisputeShow(p=project_id, n=offset + 1))
    builder.button(text=_("⬅️ Back"), callback_data=back)
    builder.adjust(2, 2)
    return Screen("\n".join(lines)[:4000], builder.as_markup())


@coordinator_router.callback_query(DisputeShow.filter())
async def show_dispute(
    query: CallbackQuery, callback_data: DisputeShow, session: AsyncSession, member: Member
) -> None:
    if not 0 <= callback_data.n < 10**6:
        await query.answer(_("This button is no longer valid."))
        return
    await present(
        query, await case_screen(session, member, callback_data.p, callback_data.n), session
    )
    await query.answer()


async def _decide(
    session: AsyncSession,
    member: Member,
    clock: Clock,
    dispute_id: int,
    reverse: bool,
    note: str | None,
) -> tuple[str, str]:
    """Decide; the note to show and the project whose queue comes next. DisputeError passes."""
    found = await disputes.decide(
        session,
        dispute_id,
        reverse=reverse,
        note=note,
        coordinator_id=member.id,
        organisation_id=scope(member),
        now=clock.now(),
    )
    said = _("↩️ Reversed: the answer is paid.") if reverse else _("✋ Upheld.")
    return said, found.project.id


@coordinator_router.callback_query(DisputeDecide.filter())
async def decide_dispute(
    query: CallbackQuery,
    callback_data: DisputeDecide,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    state: FSMContext,
) -> None:
    try:
        found = await disputes.case(session, callback_data.d, scope(member))
        if found.dispute.state != disputes.OPEN:
            raise DisputeError("already")
        if not callback_data.ok:
            await state.set_state(DisputeReason.waiting)
            await state.set_data({DECIDE_KEY: [callback_data.d, callback_data.rev]})
            builder = InlineKeyboardBuilder()
            builder.button(
                text=_("✅ Without a reason"),
                callback_data=DisputeDecide(d=callback_data.d, rev=callback_data.rev, ok=True),
            )
            builder.button(text=_("⬅️ Back"), callback_data=DisputeShow(p=found.project.id, n=0))
            builder.adjust(1)
            text = (
                _("Reverse it: the answer is paid.")
                if callback_data.rev
                else _("Uphold it: the decision stays.")
            )
            text += "\n\n" + _(
                "Send the reason as a message (the worker reads it), or go on without one."
            )
            await present(query, Screen(text, builder.as_markup()), session)
            await query.answer()
            return
        await state.clear()
        said, project_id = await _decide(
            session, member, clock, callback_data.d, callback_data.rev, None
        )
    except DisputeError as error:
        await query.answer(
            _("This dispute was decided already.")
            if error.reason == "already"
            else _("This button is no longer valid.")
        )
        return
    await present(query, await case_screen(session, member, project_id, 0), session)
    await query.answer(said)


@coordinator_router.message(DisputeReason.waiting, F.text, ~F.text.startswith("/"))
async def decision_reason(
    message: Message, session: AsyncSession, member: Member, clock: Clock, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    dispute_id, reverse = data.get(DECIDE_KEY) or (0, False)
    try:
        said, project_id = await _decide(
            session, member, clock, int(dispute_id), bool(reverse), message.text
        )
    except DisputeError as error:
        await message.answer(
            _("This dispute was decided already.")
            if error.reason == "already"
            else _("This button is no longer valid.")
        )
        return
    await message.answer(said)
    await present(message, await case_screen(session, member, project_id, 0), session)

"""Coordinators' (and admins') view of labelling projects: figures, pause and close, the review
queue, export, and lifting a worker's pause. The router's filter refuses everyone else
server-side; each change is written to the audit log by the service, in the update's unit of
work, before the bot says anything.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, FSInputFile, Message, TelegramObject
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.bidi import isolate_ltr
from core.clock import Clock
from core.i18n import (
    _,
    code,
    embed,
    format_list,
    format_money,
    format_number,
    format_percent,
    seconds_text,
)
from core.text_input import clean, excerpt, parse_number
from handlers.callbacks import (
    DisputeShow,
    PayAccept,
    ProjectExport,
    ProjectPick,
    ProjectSetState,
    ReviewSettle,
    ReviewShow,
)
from handlers.live_status import LiveStatus
from handlers.routing import Routes
from handlers.screens import Screen, present
from handlers.work import KIND_ICONS, answer_text, item_body, item_photo, title
from people.accounts import USER_ID_LIMIT, Member
from tasks import disputes, figures, review
from tasks.export import export_project
from tasks.fair_pay import Floor
from tasks.figures import BANDS, HourlyPay, ProjectFigures
from tasks.models import ItemState, WorkItem, WorkProject
from tasks.owed import week_start
from tasks.review import ReviewError

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

MAX_LISTED = 40  # projects on the /projects screen (a message holds 4096 characters)
LIST_LIMIT = 3900  # characters of the /projects text, with room for the line "…"
DOCUMENT_LIMIT = 50 * 1024 * 1024  # what a bot may upload to Telegram
CAPTION_LIMIT = 1024
SPARK = "▁▂▃▄▅▆▇█"


class IsCoordinatorOrAdmin(Filter):
    """Projects belong to no organisation: any coordinator or admin sees them all."""

    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None and (member.is_coordinator or member.is_admin)


router = Routes(__name__, IsCoordinatorOrAdmin())


def dispute_scope(member: Member | None) -> int | None:
    """Whose disputes the member sees and decides: their organisation's (admins: everyone's)."""
    return None if member is None or member.is_admin else member.organisation_id


def _state_text(state: str) -> str:
    return {
        "open": _("open"),
        "paused": _("paused"),
        "closed": _("closed"),
    }.get(state, state)


def _reason_text(reason: str) -> str:
    return {
        "unclear": _("unclear"),
        "broken": _("broken image"),
        "offensive": _("offensive"),
    }.get(reason, reason)


def _n(value: int) -> str:
    return embed(format_number(value))


def sparkline(values: tuple[int, ...]) -> str:
    """One bar per value, scaled to the largest; an empty hour is the lowest bar."""
    top = max(values, default=0)
    if not top:
        return SPARK[0] * len(values)
    return "".join(SPARK[0] if not v else SPARK[1 + round(v / top * 6)] for v in values)


def _bands_text(counts: tuple[int, int, int, int]) -> str:
    edges = [format_percent(edge) for edge in BANDS]
    names = [f"<{edges[0]}", f"{edges[0]}–{edges[1]}", f"{edges[1]}–{edges[2]}", f"≥{edges[2]}"]
    pairs = zip(names, counts, strict=True)
    return " · ".join(f"{embed(name)}: {_n(count)}" for name, count in pairs)


def _reports_text(reports: dict[str, int]) -> str:
    if not reports:
        return _("Problem reports: none")
    listed = " · ".join(f"{_reason_text(r)}: {_n(n)}" for r, n in sorted(reports.items()))
    return _("Problem reports: {reports}").format(reports=listed)


def figures_text(project: WorkProject, found: ProjectFigures) -> str:
    icon = KIND_ICONS.get(project.kind, "🏷")
    lines = [
        f"{icon} {title(project)} · {_state_text(found.state)}",
        "",
        _("Items: {total} · done {done} · to review {review} · open {open}").format(
            total=_n(found.items), done=_n(found.done), review=_n(found.review), open=_n(found.open)
        ),
        _("Control items: {count}").format(count=_n(found.gold_items)),
        _("Answers: {hour} in the last hour, {day} in 24 hours").format(
            hour=_n(found.answers_last_hour), day=_n(found.answers_24h)
        ),
        isolate_ltr(sparkline(found.answers_per_hour))
        + " "
        + _("(per hour, oldest first; most {most})").format(
            most=_n(max(found.answers_per_hour, default=0))
        ),
        _("Agreement on completed items: {agreement}").format(
            agreement=embed(format_percent(found.agreement))
        )
        if found.agreement is not None
        else _("Agreement: no item completed yet"),
        _("Workers by accuracy on control items: {bands}").format(
            bands=_bands_text(found.accuracy_bands)
        ),
        _("Paused workers: {paused} · answers flagged too fast: {fast}").format(
            paused=_n(found.paused), fast=_n(found.too_fast)
        ),
        _reports_text(found.reports),
    ]
    return "\n".join(lines)


def pay_text(pay: HourlyPay, floor: Floor | None) -> str:
    """A project's median pay per hour this week against the minimum wage, and a warning."""
    if pay.hourly_minor is None or pay.median_ms is None:
        return _("💵 Pay per hour this week: no answers to measure yet")
    line = _("💵 Pay per hour this week: {hourly} (median {seconds} an answer)").format(
        hourly=format_money(round(pay.hourly_minor), pay.currency),
        seconds=seconds_text(round(float(pay.median_ms) / 1000, 1)),
    )
    if floor is None:
        return line + " · " + _("no minimum wage set")
    line += " · " + _("minimum {floor}").format(
        floor=format_money(floor.amount_minor, floor.currency)
    )
    if pay.hourly_minor < floor.amount_minor:
        line += "\n" + _("⚠️ Below the minimum hourly wage: this week's answers get top-ups.")
    return line


async def _pay_lines(
    session: AsyncSession,
    projects: list[WorkProject],
    now: datetime,
    floors: Mapping[str, Floor],
    member: Member | None,
) -> dict[str, str]:
    """Per project: its pay per hour this week against the highest floor of the countries of
    the member's groups (every group's, for an admin) in the project's currency."""
    countries = await figures.floor_countries(session, dispute_scope(member))
    since = week_start(now)
    lines = {}
    for project in projects:
        pay = await figures.hourly_pay(session, project, since, now)
        candidates = [
            floors[c] for c in countries if c in floors and floors[c].currency == project.currency
        ]
        floor = max(candidates, key=lambda f: f.amount_minor, default=None)
        lines[project.id] = pay_text(pay, floor)
    return lines


async def projects_screen(
    session: AsyncSession,
    clock: Clock,
    member: Member | None = None,
    floors: Mapping[str, Floor] | None = None,
) -> Screen:
    found = await figures.summaries(session, clock.now())
    if not found:
        return Screen(_("There are no labelling projects yet."))
    builder = InlineKeyboardBuilder()
    lines = [_("Labelling projects:")]
    listed = [summary.project for summary in found[:MAX_LISTED]]
    pay = await _pay_lines(session, listed, clock.now(), floors or {}, member)
    waiting = sum((await disputes.open_counts(session, dispute_scope(member))).values())
    for summary in found[:MAX_LISTED]:
        project = summary.project
        icon = KIND_ICONS.get(project.kind, "🏷")
        label = f"{icon} {title(project)}"[:60]
        builder.button(text=label, callback_data=ProjectPick(p=project.id))
        if lines[-1] == "…":
            continue
        block = [
            _(
                "{project} · {state}: done {done} of {items}, to review {review}, "
                "answers in the last hour {answers}"
            ).format(
                project=f"{icon} {title(project)}",
                state=_state_text(project.state),
                done=_n(summary.done),
                items=_n(summary.items),
                review=_n(summary.review),
                answers=_n(summary.answers_last_hour),
            ),
            pay[project.id],
        ]
        # The figures fit one message; the projects past them still have their buttons.
        fits = sum(len(line) + 1 for line in lines + block) <= LIST_LIMIT
        lines += block if fits else ["…"]
    if waiting:
        builder.button(
            text=_("⚖️ Disputes ({count})").format(count=format_number(waiting)),
            callback_data=DisputeShow(p=""),
        )
    builder.adjust(1)
    return Screen("\n".join(lines), builder.as_markup())


async def project_screen(
    session: AsyncSession, project: WorkProject, clock: Clock, member: Member | None = None
) -> Screen:
    found = await figures.project_figures(session, project.id, clock.now())
    waiting = await review.review_count(session, project.id)
    disputed = (await disputes.open_counts(session, dispute_scope(member))).get(project.id, 0)
    p = project.id
    builder = InlineKeyboardBuilder()
    if project.state == "open":
        builder.button(text=_("⏸ Pause"), callback_data=ProjectSetState(p=p, s="paused", ok=True))
    else:
        builder.button(text=_("▶️ Reopen"), callback_data=ProjectSetState(p=p, s="open", ok=True))
    if project.state != "closed":
        builder.button(text=_("⛔ Close"), callback_data=ProjectSetState(p=p, s="closed"))
    builder.button(
        text=_("🔎 Review queue ({count})").format(count=format_number(waiting)),
        callback_data=ReviewShow(p=p),
    )
    builder.button(text=_("📦 Export"), callback_data=ProjectExport(p=p))
    builder.button(text=_("🔄 Refresh"), callback_data=ProjectPick(p=p))
    builder.button(text=_("⬅️ Projects"), callback_data=ProjectPick(p=""))
    if disputed:
        builder.button(
            text=_("⚖️ Disputes ({count})").format(count=format_number(disputed)),
            callback_data=DisputeShow(p=p),
        )
    pending = await review.pending_pay(session, p, dispute_scope(member))
    if pending:
        builder.button(
            text=_("💵 Accept pending pay ({count})").format(
                count=format_number(sum(count for count, _amount in pending.values()))
            ),
            callback_data=PayAccept(p=p),
        )
    builder.adjust(2 if project.state != "closed" else 1, 2, 2, 1)
    return Screen(figures_text(project, found), builder.as_markup())


def close_screen(project: WorkProject) -> Screen:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("⛔ Yes, close it"), callback_data=ProjectSetState(p=project.id, s="closed", ok=True)
    )
    builder.button(text=_("⬅️ Back"), callback_data=ProjectPick(p=project.id))
    builder.adjust(1)
    text = _(
        "Close «{project}»? Workers can no longer take its items; the answers already given "
        "stay. You can reopen it later."
    ).format(project=title(project))
    return Screen(text, builder.as_markup())


def _answer_text(project: WorkProject, answer: tuple[str, ...]) -> str:
    return format_list(answer_text(project, a) for a in answer) or _("none of the labels")


async def review_screen(
    session: AsyncSession,
    project: WorkProject,
    offset: int,
    item: WorkItem | None = None,
    mask: int = 0,
) -> Screen:
    """Item number `offset` of the project's review queue (from the start when past its end),
    with the answers given so far and a button per answer to settle it."""
    back = ProjectPick(p=project.id)
    count = await review.review_count(session, project.id)
    if item is None:
        if offset >= count:
            offset = 0
        queue = await review.review_queue(session, project.id, 1, offset)
        if not queue:
            builder = InlineKeyboardBuilder()
            builder.button(text=_("⬅️ Back"), callback_data=back)
            text = _("Nothing to review in «{project}».").format(project=title(project))
            return Screen(text, builder.as_markup())
        item = queue[0]
    given = await review.item_answers(session, item.id)
    lines = [
        _("🔎 To review in «{project}»: {position} of {count}").format(
            project=title(project), position=_n(offset + 1), count=_n(max(count, offset + 1))
        ),
        "",
        item_body(project, item),
        "",
    ]
    if item.state == ItemState.REVIEW:
        lines.append(_("The workers did not agree enough."))
    if given.counted:
        ranked = sorted(given.counted.items(), key=lambda pair: (-pair[1], pair[0]))
        answers = " · ".join(f"{_answer_text(project, a)}: {_n(n)}" for a, n in ranked)
        lines.append(_("Answers so far: {answers}").format(answers=answers))
    else:
        lines.append(_("Answers so far: none"))
    if given.reports:
        lines.append(_reports_text(given.reports))
    choices = review.choices(project)
    builder = InlineKeyboardBuilder()
    widths: list[int] = []
    if project.kind == "tagging":
        lines.append(_("Choose every label that fits, then settle the item."))
        for index, answer_id in enumerate(choices):
            mark = "☑️" if mask >> index & 1 else "⬜"
            builder.button(
                text=f"{mark} {answer_text(project, answer_id)}",
                callback_data=ReviewSettle(i=item.id or 0, m=mask ^ (1 << index), n=offset),
            )
        widths += [2] * ((len(choices) + 1) // 2)
        builder.button(
            text=_("✅ Settle ({count} chosen)").format(count=embed(bin(mask).count("1"))),
            callback_data=ReviewSettle(i=item.id or 0, m=mask, n=offset, go=True),
        )
        widths.append(1)
    else:
        lines.append(_("Choose the right answer to settle the item."))
        for index, answer_id in enumerate(choices):
            builder.button(
                text=answer_text(project, answer_id),
                callback_data=ReviewSettle(i=item.id or 0, m=1 << index, n=offset, go=True),
            )
        per_row = 5 if all(len(answer_text(project, a)) <= 3 for a in choices) else 2
        widths += [per_row] * (len(choices) // per_row)
        widths += [len(choices) % per_row] if len(choices) % per_row else []
    builder.button(text=_("⏭ Skip"), callback_data=ReviewShow(p=project.id, n=offset + 1))
    builder.button(text=_("⬅️ Back"), callback_data=back)
    widths.append(2)
    builder.adjust(*widths)
    photo = await item_photo(session, item)
    text = "\n".join(lines)
    limit = CAPTION_LIMIT if photo is not None else 4096
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return Screen(text, builder.as_markup(), photo)


async def _refused(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer valid."))


@router.message(Command("projects"))
async def projects(
    message: Message, session: AsyncSession, clock: Clock, member: Member, settings: Settings
) -> None:
    screen = await projects_screen(session, clock, member, settings.min_hourly_wage)
    await present(message, screen, session)


@router.callback_query(ProjectPick.filter())
async def pick_project(
    query: CallbackQuery,
    callback_data: ProjectPick,
    session: AsyncSession,
    clock: Clock,
    member: Member,
    settings: Settings,
) -> None:
    if not callback_data.p:
        screen = await projects_screen(session, clock, member, settings.min_hourly_wage)
        await present(query, screen, session)
        await query.answer()
        return
    project = await session.get(WorkProject, callback_data.p)
    if project is None:
        await _refused(query)
        return
    await present(query, await project_screen(session, project, clock, member), session)
    await query.answer()


@router.callback_query(ProjectSetState.filter())
async def set_state(
    query: CallbackQuery,
    callback_data: ProjectSetState,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    project = await session.get(WorkProject, callback_data.p)
    if project is None or callback_data.s not in ("open", "paused", "closed"):
        await _refused(query)
        return
    if callback_data.s == "closed" and not callback_data.ok:
        await present(query, close_screen(project), session)
        await query.answer()
        return
    try:
        project = await review.set_state(
            session, project.id, callback_data.s, clock.now(), actor_id=member.id
        )
        note = {
            "open": _("The project is open again."),
            "paused": _("The project is paused: no one gets new items from it."),
            "closed": _("The project is closed."),
        }[callback_data.s]
    except ReviewError:
        note = _("The project was already in that state.")
    await present(query, await project_screen(session, project, clock, member), session)
    await query.answer(note)


@router.callback_query(ReviewShow.filter())
async def show_review(
    query: CallbackQuery, callback_data: ReviewShow, session: AsyncSession
) -> None:
    project = await session.get(WorkProject, callback_data.p)
    if project is None or not 0 <= callback_data.n < 10**6:
        await _refused(query)
        return
    await present(query, await review_screen(session, project, callback_data.n), session)
    await query.answer()


@router.callback_query(ReviewSettle.filter())
async def settle_item(
    query: CallbackQuery,
    callback_data: ReviewSettle,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    item = await session.get(WorkItem, callback_data.i)
    project = await session.get(WorkProject, item.project_id) if item is not None else None
    if item is None or project is None or not 0 <= callback_data.n < 10**6:
        await _refused(query)
        return
    choices = review.choices(project)
    if not 0 <= callback_data.m < 1 << len(choices):
        await _refused(query)
        return
    if not callback_data.go:
        screen = await review_screen(session, project, callback_data.n, item, callback_data.m)
        await present(query, screen, session)
        await query.answer()
        return
    label = [a for index, a in enumerate(choices) if callback_data.m >> index & 1]
    try:
        await review.settle(session, item.id or 0, label, member.id, clock.now())
        note = _("✅ Settled: {answer}").format(answer=_answer_text(project, tuple(label)))
    except ReviewError as error:
        if error.reason != "already":
            await _refused(query)
            return
        note = _("This item was settled already.")
    await present(query, await review_screen(session, project, callback_data.n), session)
    await query.answer(note[:190])


@router.callback_query(ProjectExport.filter())
async def export(
    query: CallbackQuery,
    callback_data: ProjectExport,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    """Aggregate and write the files (and the audit entry) first, then send them."""
    project = await session.get(WorkProject, callback_data.p)
    if project is None or query.bot is None:
        await _refused(query)
        return
    status = await LiveStatus.open(
        query.bot,
        member.id,
        _("⏳ Preparing the results of «{project}»…").format(project=title(project)),
        clock,
    )
    with tempfile.TemporaryDirectory(prefix="rafiq-export-") as folder:
        preparing = status.reporter(_("⏳ Preparing the results: items {done} of {total}"))
        paths = await export_project(session, project.id, Path(folder), preparing)
        review.record_export(session, project.id, member.id, clock.now())
        await query.answer(_("Sending the results of «{project}»…").format(project=title(project)))
        await status.finish(
            _("✅ The results of «{project}» are below.").format(project=title(project))
        )
        for path in paths:
            if path.stat().st_size > DOCUMENT_LIMIT:
                await query.bot.send_message(
                    member.id,
                    _("{file} is too large to send here; export it on the server.").format(
                        file=isolate_ltr(path.name)
                    ),
                )
                continue
            await query.bot.send_document(member.id, FSInputFile(path, filename=path.name))


@router.message(Command("resume_worker"))
async def resume_worker(
    message: Message, command: CommandObject, session: AsyncSession, member: Member, clock: Clock
) -> None:
    """/resume_worker PROJECT USER_ID: the worker may take the project's items again."""
    parts = clean(command.args or "").text.split()
    user_id = parse_number(parts[1], low=1, high=USER_ID_LIMIT) if len(parts) == 2 else None
    if user_id is None:
        await message.answer(_("Use it like this: /resume_worker PROJECT USER_ID"))
        return
    project_id = parts[0].lower()
    try:
        await review.resume_worker(
            session, project_id, user_id, actor_id=member.id, now=clock.now()
        )
    except ReviewError as error:
        if error.reason == "not_found":
            text = _("There is no project {project}.").format(project=excerpt(parts[0]))
        else:
            text = _("User {user} is not paused on {project}.").format(
                user=code(user_id), project=isolate_ltr(project_id)
            )
        await message.answer(text)
        return
    await message.answer(
        _(
            "User {user} can work on {project} again. Their accuracy on control items stays as "
            "it was: more wrong answers pause them again."
        ).format(user=code(user_id), project=isolate_ltr(project_id))
    )


@router.callback_query(PayAccept.filter())
async def accept_pay(
    query: CallbackQuery,
    callback_data: PayAccept,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    """Pay for the project's answers moves to available now, not after the review window."""
    project = await session.get(WorkProject, callback_data.p)
    if project is None:
        await _refused(query)
        return
    pending = await review.pending_pay(session, project.id, dispute_scope(member))
    if not pending:
        await present(query, await project_screen(session, project, clock, member), session)
        await query.answer(_("No pay is waiting for review in this project."))
        return
    if not callback_data.ok:
        builder = InlineKeyboardBuilder()
        builder.button(text=_("✅ Yes, accept"), callback_data=PayAccept(p=project.id, ok=True))
        builder.button(text=_("⬅️ Back"), callback_data=ProjectPick(p=project.id))
        builder.adjust(1)
        amounts = format_list(format_money(a, c) for c, (_n, a) in sorted(pending.items()))
        text = _(
            "Accept now the pay still waiting for review in «{project}» — answers: {count}, "
            "total {amount}? It becomes available to be paid at once instead of after the "
            "review window."
        ).format(
            project=title(project),
            count=_n(sum(n for n, _a in pending.values())),
            amount=amounts,
        )
        await present(query, Screen(text, builder.as_markup()), session)
        await query.answer()
        return
    moved = await review.accept_pending_pay(
        session, project.id, dispute_scope(member), clock.now(), member.id
    )
    await present(query, await project_screen(session, project, clock, member), session)
    await query.answer(_("✅ Accepted: {count}.").format(count=format_number(moved)))

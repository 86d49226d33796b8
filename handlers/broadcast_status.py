"""A broadcast's status message: the count of what went out, edited in place while it runs,
with a Cancel button; and the pass (and the loop running it) that moves broadcasts on and
sends their authors the final report through the outbox."""

from __future__ import annotations

import asyncio
import logging
from datetime import tzinfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import func, select

from core import outbox
from core.clock import Clock
from core.db import SessionFactory, WriteGate
from core.i18n import _, embed, format_datetime, format_number, use_locale
from handlers.callbacks import BroadcastStep
from handlers.screens import Screen
from outreach import broadcasts
from outreach.broadcasts import Progress
from outreach.models import CANCELLED, DONE, RUNNING, SCHEDULED, Broadcast
from people import accounts
from people.time_zones import zone_for

log = logging.getLogger(__name__)

STATUS_EVERY = 5.0  # seconds between two refreshes of the status messages
REPORT_KIND = "broadcast_report"  # the outbox kind of the final report to the author


def _heading(progress: Progress, zone: tzinfo) -> str:
    number = embed(progress.broadcast_id)
    if progress.state == SCHEDULED and progress.scheduled_at is not None:
        return _("📣 Announcement {number}: it goes out on {date}.").format(
            number=number, date=format_datetime(progress.scheduled_at, fmt="short", tzinfo=zone)
        )
    if progress.state == DONE:
        return _("📣 Announcement {number}: finished.").format(number=number)
    if progress.state == CANCELLED:
        return _("📣 Announcement {number}: cancelled. Nothing more is sent.").format(number=number)
    return _("📣 Announcement {number}: sending.").format(number=number)


def status_text(progress: Progress, zone: tzinfo) -> str:
    counts = progress.counts
    lines = [
        _heading(progress, zone),
        _("✅ Sent: {count}").format(count=embed(format_number(counts.sent))),
        _("⏳ Waiting: {count}").format(count=embed(format_number(counts.waiting))),
        _("🚫 Blocked the bot: {count}").format(count=embed(format_number(counts.unreachable))),
        _("⚠️ Failed: {count}").format(count=embed(format_number(counts.failed))),
    ]
    if counts.cancelled:
        lines.append(_("✖ Not sent: {count}").format(count=embed(format_number(counts.cancelled))))
    return "\n".join(lines)


def status_markup(progress: Progress) -> InlineKeyboardMarkup | None:
    if progress.state not in RUNNING:
        return None
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✖ Cancel the announcement"),
        callback_data=BroadcastStep(b=progress.broadcast_id, do="cancel"),
    )
    return builder.as_markup()


def status_screen(progress: Progress, zone: tzinfo) -> Screen:
    return Screen(status_text(progress, zone), status_markup(progress))


def report_text(progress: Progress) -> str:
    counts = progress.counts
    return _(
        "📣 Announcement {number} is finished: {sent} sent, {unreachable} blocked the bot, "
        "{failed} failed."
    ).format(
        number=embed(progress.broadcast_id),
        sent=embed(format_number(counts.sent)),
        unreachable=embed(format_number(counts.unreachable)),
        failed=embed(format_number(counts.failed)),
    )


async def show_status(
    bot: Bot, progress: Progress, zone: tzinfo, shown: dict[int, str] | None = None
) -> None:
    """Edit the broadcast's status message to the counts, unless it already shows them."""
    if progress.author_id is None or progress.status_message_id is None:
        return
    with use_locale(progress.author_locale or "en"):
        text = status_text(progress, zone)
        markup = status_markup(progress)
    if shown is not None and shown.get(progress.broadcast_id) == text:
        return
    try:
        await bot.edit_message_text(
            text=text,
            chat_id=progress.author_id,
            message_id=progress.status_message_id,
            reply_markup=markup,
        )
    except TelegramAPIError as error:  # deleted, or unchanged: the next pass tries again
        log.info("status of broadcast %s not edited: %s", progress.broadcast_id, error)
        return
    if shown is not None:
        shown[progress.broadcast_id] = text


async def refresh_statuses(
    bot: Bot,
    sessions: SessionFactory,
    gate: WriteGate,
    clock: Clock,
    zone: tzinfo,
    shown: dict[int, str] | None = None,
) -> list[Progress]:
    """One pass over the running broadcasts: each moves on (scheduled, sending, done) in one
    transaction committed here, the author of one just finished gets the final report through
    the outbox, then each status message is edited to its counts."""
    async with sessions() as session:
        running = await session.scalar(
            select(func.count()).where(Broadcast.state.in_(RUNNING))  # type: ignore[attr-defined]
        )
    if not running:
        return []
    async with gate.held(), sessions() as session:
        now = clock.now()
        found = await broadcasts.advance(session, now)
        zones: dict[int, tzinfo] = {}  # each author's own zone, for the times shown to them
        for author_id in {p.author_id for p in found if p.author_id is not None}:
            author = await accounts.get_member(session, author_id)
            zones[author_id] = zone_for(author.zone_name if author else None, zone)
        for progress in found:
            if progress.finished_now and progress.author_id is not None:
                with use_locale(progress.author_locale or "en"):
                    text = report_text(progress)
                await outbox.enqueue(
                    session,
                    chat_id=progress.author_id,
                    user_id=progress.author_id,
                    kind=REPORT_KIND,
                    text=text,
                    now=now,
                    dedup_key=f"{REPORT_KIND}:{progress.broadcast_id}",
                )
        await session.commit()
    for progress in found:
        shown_in = zones.get(progress.author_id, zone) if progress.author_id else zone
        await show_status(bot, progress, shown_in, shown)
    return found


async def status_loop(
    bot: Bot,
    sessions: SessionFactory,
    gate: WriteGate,
    clock: Clock,
    zone: tzinfo,
    every: float = STATUS_EVERY,
) -> None:
    """Refresh the status messages every `every` seconds, for as long as the bot runs."""
    shown: dict[int, str] = {}
    while True:
        await asyncio.sleep(every)
        try:
            await refresh_statuses(bot, sessions, gate, clock, zone, shown)
        except Exception:  # a database or network hiccup: the next pass tries again
            log.exception("refreshing the broadcast status messages failed")

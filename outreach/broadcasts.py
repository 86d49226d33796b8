"""Broadcasts: a draft, then one outbox row per person, then counts until nothing waits.

Writing the rows (`expand`) happens once, when the author confirms: one row per person, in the
person's language or the fallback, keyed "broadcast:<id>:<user>" so a second expansion (a
double tap, a retried job) writes nothing twice. The sender drains them like any other row;
`advance` moves the broadcast from scheduled to sending to done as the counts change. Cancelling
turns every row still waiting into cancelled in one statement: what was not sent is not sent.
Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.locales import CATALOG_LOCALES
from core.outbox import BROADCAST_PRIORITY, OutboxMessage
from outreach import audience as audiences
from outreach.audience import Audience
from outreach.models import CANCELLED, DONE, DRAFT, RUNNING, SCHEDULED, SENDING, Broadcast
from people.accounts import Member
from people.models import User

KIND = "broadcast"  # the outbox kind of a broadcast's messages
CHUNK = 500  # outbox rows a statement
TEXT_LIMIT = 4096  # Telegram's limit for a message
CAPTION_LIMIT = 1024  # and for a photo's caption


class BroadcastError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    waiting: int = 0  # waiting or being sent
    unreachable: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.waiting + self.unreachable + self.failed + self.cancelled


@dataclass(frozen=True)
class Variant:
    """One text and the language groups that get it (the fallback serves the languages
    without a text of their own)."""

    text_locale: str
    text: str
    locales: tuple[str, ...]
    people: int


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    state: str
    counts: Counts
    recipients: int
    scheduled_at: datetime | None
    author_id: int | None  # also the chat of the status message: a private chat
    status_message_id: int | None
    author_locale: str | None
    finished_now: bool = False  # this pass found nothing waiting any more


def dedup_key(broadcast_id: int, user_id: int) -> str:
    return f"broadcast:{broadcast_id}:{user_id}"


def text_for(broadcast: Broadcast, locale: str) -> str | None:
    texts = broadcast.texts or {}
    if locale in texts:
        return texts[locale]
    return texts.get(broadcast.fallback_locale or "")


def variants(broadcast: Broadcast, sizes: dict[str, int]) -> list[Variant]:
    """What each language group with people in it gets, one entry per distinct text."""
    grouped: dict[str, list[str]] = {}
    for locale in CATALOG_LOCALES:
        if not sizes.get(locale):
            continue
        source = locale if locale in broadcast.texts else broadcast.fallback_locale
        if source in broadcast.texts:
            grouped.setdefault(source, []).append(locale)
    return [
        Variant(
            source,
            broadcast.texts[source],
            tuple(locales),
            sum(sizes.get(locale, 0) for locale in locales),
        )
        for source, locales in grouped.items()
    ]


async def start(
    session: AsyncSession, author: Member, audience: Audience, now: datetime
) -> Broadcast:
    """A draft for `audience`, refused outside the author's reach."""
    reach = audiences.reach_of(author)
    await audiences.check(session, reach, audience)
    broadcast = Broadcast(
        author_id=author.id,
        organisation_id=reach,
        audience=audience.to_json(),
        texts={},
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


async def own(session: AsyncSession, member: Member, broadcast_id: int) -> Broadcast:
    """A broadcast `member` may see and change: their organisation's, or any for an admin."""
    reach = audiences.reach_of(member)
    found = None
    if 0 < broadcast_id < 2**31:
        found = await session.get(Broadcast, broadcast_id)
    if found is None or (reach is not None and found.organisation_id != reach):
        raise BroadcastError("unknown_broadcast")
    return found


def audience_of(broadcast: Broadcast) -> Audience:
    return Audience.from_json(broadcast.audience)


async def sizes(session: AsyncSession, broadcast: Broadcast, now: datetime) -> dict[str, int]:
    return await audiences.sizes(session, broadcast.organisation_id, audience_of(broadcast), now)


def _require_draft(broadcast: Broadcast) -> None:
    if broadcast.state != DRAFT:
        raise BroadcastError("not_draft")


def set_text(broadcast: Broadcast, locale: str, text: str | None) -> None:
    """The text for one language (None: that language gets the fallback)."""
    _require_draft(broadcast)
    if locale not in CATALOG_LOCALES:
        raise BroadcastError("unknown_locale")
    texts = dict(broadcast.texts or {})
    if text is None:
        texts.pop(locale, None)
    else:
        limit = CAPTION_LIMIT if broadcast.photo else TEXT_LIMIT
        if not text.strip() or len(text) > limit:
            raise BroadcastError("bad_text")
        texts[locale] = text
    broadcast.texts = texts  # a new dict: the JSON column sees the change
    if broadcast.fallback_locale not in texts:
        broadcast.fallback_locale = next((loc for loc in CATALOG_LOCALES if loc in texts), None)


def set_fallback(broadcast: Broadcast, locale: str) -> None:
    _require_draft(broadcast)
    if locale not in (broadcast.texts or {}):
        raise BroadcastError("unknown_locale")
    broadcast.fallback_locale = locale


def set_photo(broadcast: Broadcast, file_id: str | None) -> None:
    """A photo sent with every message (its caption is the text), or none."""
    _require_draft(broadcast)
    if file_id is not None:
        if not 0 < len(file_id) <= 256:
            raise BroadcastError("bad_photo")
        if any(len(text) > CAPTION_LIMIT for text in (broadcast.texts or {}).values()):
            raise BroadcastError("caption_too_long")
    broadcast.photo = file_id


def _insert(session: AsyncSession) -> Any:
    """INSERT into the outbox that skips a row whose (kind, dedup_key) is there already: one
    compiled statement, run for many rows at once (executemany)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    return module.insert(table).on_conflict_do_nothing(index_elements=["kind", "dedup_key"])


async def expand(session: AsyncSession, broadcast: Broadcast, now: datetime) -> int:
    """Write the outbox row of everyone in the audience who has none yet; how many were new."""
    assert broadcast.id is not None
    people = await audiences.recipients(
        session, broadcast.organisation_id, audience_of(broadcast), now
    )
    have = set(
        (
            await session.execute(
                select(OutboxMessage.user_id).where(OutboxMessage.broadcast_id == broadcast.id)
            )
        ).scalars()
    )
    not_before = broadcast.scheduled_at or now
    rows: list[dict[str, Any]] = []
    for user_id, locale in people:
        text = text_for(broadcast, locale)
        if user_id in have or text is None:
            continue
        rows.append(
            {
                "chat_id": user_id,
                "user_id": user_id,
                "kind": KIND,
                "dedup_key": dedup_key(broadcast.id, user_id),
                "priority": BROADCAST_PRIORITY,
                "text": text,
                "photo": broadcast.photo,
                "broadcast_id": broadcast.id,
                "state": outbox.WAITING,
                "not_before": not_before,
                "created_at": now,
                "attempts": 0,
            }
        )
    statement = _insert(session)
    for start_at in range(0, len(rows), CHUNK):
        await session.execute(statement, rows[start_at : start_at + CHUNK])
    if rows:
        outbox.rows_queued(session)
    broadcast.recipients = (
        await session.scalar(select(func.count()).where(OutboxMessage.broadcast_id == broadcast.id))
        or 0
    )
    return broadcast.recipients - len(have)  # a row a concurrent expansion wrote is not new


async def confirm(
    session: AsyncSession, broadcast: Broadcast, now: datetime, at: datetime | None = None
) -> int:
    """Send now, or at `at`: the draft becomes scheduled or sending, its rows are written.

    Only a draft moves (one conditional update), so a second tap writes nothing; returns the
    number of rows written."""
    if not broadcast.texts or broadcast.fallback_locale not in broadcast.texts:
        raise BroadcastError("no_text")
    if at is not None and at <= now:
        raise BroadcastError("in_the_past")
    state = SCHEDULED if at is not None else SENDING
    moved = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.state == DRAFT)  # type: ignore[arg-type]
        .values(state=state, scheduled_at=at)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(moved, CursorResult)
    if moved.rowcount != 1:
        raise BroadcastError("not_draft")
    await session.refresh(broadcast)
    return await expand(session, broadcast, now)


async def cancel(session: AsyncSession, broadcast: Broadcast, now: datetime) -> int:
    """Stop it: no row still waiting is sent. How many rows were cancelled."""
    if broadcast.state in (DONE, CANCELLED):
        raise BroadcastError("finished")
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast.id,  # type: ignore[arg-type]
            OutboxMessage.state == outbox.WAITING,  # type: ignore[arg-type]
        )
        .values(state=outbox.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    broadcast.state = CANCELLED
    broadcast.finished_at = now
    return result.rowcount


async def counts(session: AsyncSession, broadcast_ids: Sequence[int]) -> dict[int, Counts]:
    """Each broadcast's outbox rows by state, in one query."""
    found: dict[int, dict[str, int]] = {bid: {} for bid in broadcast_ids}
    if broadcast_ids:
        rows = await session.execute(
            select(OutboxMessage.broadcast_id, OutboxMessage.state, func.count())
            .where(OutboxMessage.broadcast_id.in_(broadcast_ids))  # type: ignore[union-attr]
            .group_by(OutboxMessage.broadcast_id, OutboxMessage.state)
        )
        for broadcast_id, state, count in rows.all():
            found[broadcast_id][state] = int(count)
    return {
        bid: Counts(
            sent=by.get(outbox.SENT, 0),
            waiting=by.get(outbox.WAITING, 0) + by.get(outbox.SENDING, 0),
            unreachable=by.get(outbox.UNREACHABLE, 0),
            failed=by.get(outbox.FAILED, 0),
            cancelled=by.get(outbox.CANCELLED, 0),
        )
        for bid, by in found.items()
    }


async def _author_locales(session: AsyncSession, broadcasts: list[Broadcast]) -> dict[int, str]:
    ids = {b.author_id for b in broadcasts if b.author_id is not None}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.locale).where(User.id.in_(ids)))  # type: ignore[attr-defined]
    return {user_id: locale for user_id, locale in rows.all()}


def _progress(
    broadcast: Broadcast, found: Counts, locales: dict[int, str], finished_now: bool = False
) -> Progress:
    assert broadcast.id is not None
    return Progress(
        broadcast_id=broadcast.id,
        state=broadcast.state,
        counts=found,
        recipients=broadcast.recipients,
        scheduled_at=broadcast.scheduled_at,
        author_id=broadcast.author_id,
        status_message_id=broadcast.status_message_id,
        author_locale=locales.get(broadcast.author_id or 0),
        finished_now=finished_now,
    )


async def progress(session: AsyncSession, broadcast: Broadcast) -> Progress:
    assert broadcast.id is not None
    found = (await counts(session, [broadcast.id]))[broadcast.id]
    return _progress(broadcast, found, await _author_locales(session, [broadcast]))


async def advance(session: AsyncSession, now: datetime) -> list[Progress]:
    """Every running broadcast, moved on: scheduled becomes sending at its time, and sending
    becomes done once nothing waits (each move a conditional update: a second pass at the same
    moment moves nothing again). Returns their progress, `finished_now` on those just done."""
    running = list(
        (
            await session.execute(
                select(Broadcast)
                .where(Broadcast.state.in_(RUNNING))  # type: ignore[attr-defined]
                .order_by(Broadcast.id)
            )
        ).scalars()
    )
    found = await counts(session, [b.id for b in running if b.id is not None])
    locales = await _author_locales(session, running)
    result = []
    for broadcast in running:
        assert broadcast.id is not None
        state = broadcast.state
        due = broadcast.scheduled_at is None or broadcast.scheduled_at <= now
        new_state = state
        if due and found[broadcast.id].waiting == 0:
            new_state = DONE
        elif due and state == SCHEDULED:
            new_state = SENDING
        finished_now = False
        if new_state != state:
            moved = await session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast.id, Broadcast.state == state)  # type: ignore[arg-type]
                .values(state=new_state, finished_at=now if new_state == DONE else None)
                .execution_options(synchronize_session=False)
            )
            assert isinstance(moved, CursorResult)
            if moved.rowcount == 1:
                broadcast.state = new_state
                finished_now = new_state == DONE
        result.append(_progress(broadcast, found[broadcast.id], locales, finished_now))
    return result

"""Reminder settings and the rules every reminder keeps.

A person chooses in Settings their time zone (else their group's, else the deployment's), their
quiet hours and which kinds of reminder they get (unfinished lessons, quiz retries, new work,
payouts). A reminder is an outbox row, written by a scheduled job:

- never to someone who blocked the bot or switched that kind off;
- never during their quiet hours, local time: it waits (`not_before`) until they end;
- at most `cap` reminders a person's local day, counted by when they are sent;
- once per occasion: (kind, dedup key) is unique in the outbox, so a job that runs twice, or in
  two processes, writes it once.

Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.clock import Clock
from core.i18n import use_locale
from core.outbox import OutboxMessage
from people import audit
from people.accounts import AccountError, CohortInfo, Member, find_own_cohort
from people.models import Cohort, ReminderOff, User
from people.time_zones import local_day, next_waking, zone_for, zone_from_text, zone_named

KINDS = ("lesson", "quiz", "work", "payout")
OUTBOX_KIND = {kind: f"remind_{kind}" for kind in ("lesson", "quiz", "work")} | {
    "payout": "payout"  # the payout notice itself (tasks/payouts.py)
}
CAPPED = tuple(OUTBOX_KIND[kind] for kind in ("lesson", "quiz", "work"))


class ReminderSettingError(ValueError):
    """A setting refused: `reason` is unknown_zone, bad_hours or unknown_kind."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReminderSettings:
    time_zone: str | None  # the person's own choice
    group_zone: str | None  # their group's default
    quiet_from: int
    quiet_until: int
    off: frozenset[str]

    def zone(self, default: tzinfo) -> tzinfo:
        return zone_for(self.time_zone or self.group_zone, default)


async def settings_of(session: AsyncSession, user_id: int) -> ReminderSettings:
    row = (
        await session.execute(
            select(User.time_zone, Cohort.time_zone, User.quiet_from, User.quiet_until)
            .outerjoin(Cohort, Cohort.id == User.cohort_id)
            .where(User.id == user_id)
        )
    ).one()
    off = await session.execute(select(ReminderOff.kind).where(ReminderOff.user_id == user_id))
    return ReminderSettings(row[0], row[1], row[2], row[3], frozenset(off.scalars()))


async def _user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    assert user is not None
    return user


async def set_time_zone(session: AsyncSession, user_id: int, name: str | None) -> None:
    """The person's zone; None goes back to the group's (or the deployment's)."""
    if name is not None and zone_named(name) is None:
        raise ReminderSettingError("unknown_zone")
    (await _user(session, user_id)).time_zone = name


async def set_quiet_hours(session: AsyncSession, user_id: int, start: int, end: int) -> None:
    """Local hours from `start` until `end` without reminders (equal: none)."""
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ReminderSettingError("bad_hours")
    user = await _user(session, user_id)
    user.quiet_from, user.quiet_until = start, end


async def switch(session: AsyncSession, user_id: int, kind: str, on: bool) -> None:
    if kind not in KINDS:
        raise ReminderSettingError("unknown_kind")
    if on:
        await session.execute(
            delete(ReminderOff).where(ReminderOff.user_id == user_id, ReminderOff.kind == kind)
        )
        return
    try:
        async with session.begin_nested():
            session.add(ReminderOff(user_id=user_id, kind=kind))
    except IntegrityError:
        pass  # off already (a double tap)


async def set_group_zone(session: AsyncSession, cohort: Cohort, name: str) -> None:
    if zone_named(name) is None:
        raise ReminderSettingError("unknown_zone")
    cohort.time_zone = name


async def set_cohort_zone(
    session: AsyncSession, coordinator: Member, cohort_name: str, typed: str, clock: Clock
) -> tuple[CohortInfo, str]:
    """The default zone of one of the coordinator's own groups (audited); its IANA name."""
    name = zone_from_text(typed)
    if name is None:
        raise AccountError("unknown_zone", name=typed)
    cohort = await find_own_cohort(session, coordinator, cohort_name)
    if cohort is None:
        raise AccountError("unknown_cohort", name=cohort_name)
    row = await session.get(Cohort, cohort.id)
    assert row is not None
    row.time_zone = name
    audit.record(
        session,
        clock,
        actor_id=coordinator.id,
        action="cohort_zone",
        object=f"cohort:{cohort.id}",
        detail=f"zone:{name}",
    )
    return cohort, name


@dataclass(frozen=True)
class Recipient:
    user_id: int
    locale: str
    zone: tzinfo
    quiet_from: int
    quiet_until: int


async def recipients(
    session: AsyncSession, user_ids: Iterable[int], kind: str, default: tzinfo
) -> dict[int, Recipient]:
    """Those of `user_ids` who may get a reminder of `kind`: reachable and not switched off."""
    wanted = sorted(set(user_ids))
    found: dict[int, Recipient] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        switched_off = select(ReminderOff.user_id).where(
            ReminderOff.kind == kind, ReminderOff.user_id.in_(chunk)
        )
        rows = await session.execute(
            select(
                User.id,
                User.locale,
                func.coalesce(User.time_zone, Cohort.time_zone),
                User.quiet_from,
                User.quiet_until,
            )
            .outerjoin(Cohort, Cohort.id == User.cohort_id)
            .where(
                User.id.in_(chunk),
                User.unreachable_since.is_(None),
                User.id.not_in(switched_off),
            )
        )
        for user_id, locale, zone, quiet_from, quiet_until in rows:
            found[user_id] = Recipient(
                user_id, locale, zone_for(zone, default), quiet_from, quiet_until
            )
    return found


async def remind(
    session: AsyncSession,
    person: Recipient,
    kind: str,
    key: str,
    text: Callable[[], str],
    now: datetime,
    cap: int,
) -> bool:
    """Write one reminder for `person` (rendered in their language), due at once or when their
    quiet hours end, unless this occasion was written before or their day's cap is reached.
    True when it was written."""
    outbox_kind = OUTBOX_KIND[kind]
    seen = await session.scalar(
        select(func.count()).where(
            OutboxMessage.kind == outbox_kind, OutboxMessage.dedup_key == key
        )
    )
    if seen:
        return False
    when = next_waking(now, person.zone, person.quiet_from, person.quiet_until)
    if outbox_kind in CAPPED:
        start, end = local_day(when, person.zone)
        today = await session.scalar(
            select(func.count()).where(
                OutboxMessage.user_id == person.user_id,
                OutboxMessage.kind.in_(CAPPED),
                OutboxMessage.not_before >= start,
                OutboxMessage.not_before < end,
            )
        )
        if (today or 0) >= cap:
            return False
    with use_locale(person.locale):
        body = text()
    written = await outbox.enqueue(
        session,
        chat_id=person.user_id,
        user_id=person.user_id,
        kind=outbox_kind,
        text=body,
        now=now,
        dedup_key=key,
        not_before=when,
        priority=outbox.REMINDER_PRIORITY,
    )
    return written is not None

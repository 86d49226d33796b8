"""People, consent, roles, cohorts and invites: plain async services over a session.

They never commit: the caller's unit of work does (docs/architecture.md). An insert that a
concurrent double tap may already have made runs in a savepoint, so the unique constraint's
refusal is absorbed without spoiling the rest of the transaction.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, CursorResult, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import db, text_input
from core.clock import Clock, SystemClock
from core.locales import CATALOG_LOCALES
from people import audit
from people.models import Cohort, Invite, Organisation, Role, User
from people.privacy import STAND_IN_BELOW

INVITE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
NAME_LENGTH = 100  # organisation and cohort names (the columns' size)
DISPLAY_NAME_LENGTH = 64  # the name a certificate prints
INVITE_LIFETIME = timedelta(days=14)
MAX_INVITE_USES = 10_000
USER_ID_LIMIT = 2**63 - 1

# Why an invite link does not let someone join.
UNKNOWN, REVOKED, EXPIRED, USED_UP = "unknown", "revoked", "expired", "used_up"


class AccountError(Exception):
    """A request that cannot be done; `reason` says which rule it broke."""

    def __init__(self, reason: str, **details: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Member:
    id: int
    locale: str
    role: str
    cohort_id: int | None
    organisation_id: int | None
    display_name: str | None
    zone_name: str | None = None  # their time zone, else their group's (None: the deployment's)

    @property
    def is_coordinator(self) -> bool:
        return self.organisation_id is not None and self.role in (Role.COORDINATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


@dataclass(frozen=True)
class CohortInfo:
    id: int
    name: str
    organisation: str


@dataclass(frozen=True)
class OpenInvite:
    """An invite that still lets people join."""

    code: str
    expires_at: datetime | None  # None: never expires
    uses_left: int | None  # None: no limit


@dataclass(frozen=True)
class CohortSummary:
    id: int
    name: str
    members: int
    invites: tuple[str, ...]  # codes still open (not revoked; not expired or used up)
    open_invites: tuple[OpenInvite, ...] = ()  # the same invites, with expiry and uses left


@dataclass(frozen=True)
class NewInvite:
    code: str
    cohort: CohortInfo
    expires_at: datetime | None
    max_uses: int | None


@dataclass(frozen=True)
class InviteCheck:
    """What an invite code leads to: the cohort, or why it leads nowhere (`problem`)."""

    cohort: CohortInfo | None
    problem: str | None


async def _inserted(session: AsyncSession, row: object) -> bool:
    """Insert `row` in a savepoint; False if a unique constraint says it is there already."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def _member(user: User) -> Member:
    return Member(
        id=user.id,
        locale=user.locale,
        role=user.role,
        cohort_id=user.cohort_id,
        organisation_id=user.organisation_id,
        display_name=user.display_name,
        zone_name=user.time_zone,
    )


_MEMBER = (
    select(
        User.id,
        User.locale,
        User.role,
        User.cohort_id,
        User.organisation_id,
        User.display_name,
        func.coalesce(User.time_zone, Cohort.time_zone),
    )
    .outerjoin(Cohort, Cohort.id == User.cohort_id)
    .where(User.id == bindparam("user_id", type_=BigInteger))
)


async def get_member(session: AsyncSession, user_id: int) -> Member | None:
    """The member with this Telegram id (read for every update: one Core statement)."""
    row = (await db.run(session, _MEMBER, {"user_id": user_id})).first()
    return Member(*row) if row is not None else None


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def _clean_name(name: str, max_length: int = NAME_LENGTH) -> str:
    cleaned = text_input.clean_name(name, max_length)
    if cleaned is None:
        raise AccountError("invisible_name" if name.strip() else "empty_name")
    return cleaned.text


# Letters that Arabic and Dari keyboards write differently in the same name: Arabic yeh and
# alef maksura as Persian yeh, Arabic kaf as Persian keheh. Vowel marks (harakat, the dagger
# alef) and the tatweel are optional in writing: left out.
_SAME_LETTER = str.maketrans(
    {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9", "\u0640": None}
    | dict.fromkeys([*range(0x064B, 0x0660), 0x0670])
)


def _key(name: str) -> str:
    """The form two names are compared in: cleaned, compatibility forms unified (NFKC), case
    folded, Arabic vowel marks left out, the Arabic and Persian forms of a letter the same."""
    return (
        unicodedata.normalize("NFKC", text_input.clean(name).text)
        .casefold()
        .translate(_SAME_LETTER)
    )


def _require_admin(actor: Member | None) -> int | None:
    if actor is not None and not actor.is_admin:
        raise AccountError("not_admin")
    return actor.id if actor is not None else None


def _set_role(session: AsyncSession, clock: Clock, user: User, role: str) -> None:
    """Change a role as the settings demand, with its audit entry (no person is the actor)."""
    audit.record(
        session,
        clock,
        actor_id=None,
        action=audit.ROLE_SYNC,
        object=f"user:{user.id}",
        detail=f"{user.role}->{role}",
    )
    user.role = role


async def sync_roles(session: AsyncSession, admin_ids: Iterable[int], clock: Clock) -> list[Member]:
    """Make the admin role follow ADMIN_IDS both ways; the members whose role changed.

    An admin no longer listed becomes a coordinator of their organisation, or a member; a listed
    person who has consented becomes an admin. Each change is written to the audit log.
    """
    listed = frozenset(admin_ids)
    users = (
        (
            await session.execute(
                select(User).where(
                    or_(User.role == Role.ADMIN, User.id.in_(listed))  # type: ignore[attr-defined]
                )
            )
        )
        .scalars()
        .all()
    )
    changed: list[Member] = []
    for user in sorted(users, key=lambda u: u.id):
        if user.id in listed:
            new_role = Role.ADMIN
        else:
            new_role = Role.COORDINATOR if user.organisation_id is not None else Role.MEMBER
        if user.role == new_role:
            continue
        _set_role(session, clock, user, new_role)
        changed.append(_member(user))
    return changed


def _cohort_info(row: object) -> CohortInfo:
    cohort_id, cohort_name, organisation_name = row  # type: ignore[misc]
    return CohortInfo(id=cohort_id, name=cohort_name, organisation=organisation_name)


async def check_invite(session: AsyncSession, code: str, clock: Clock | None = None) -> InviteCheck:
    """Where an invite code leads, judged at the clock's now."""
    if not INVITE_CODE.match(code):
        return InviteCheck(None, UNKNOWN)
    row = (
        await session.execute(
            select(
                Cohort.id,
                Cohort.name,
                Organisation.name,
                Invite.revoked_at,
                Invite.expires_at,
                Invite.uses,
                Invite.max_uses,
            )
            .join(Invite, Invite.cohort_id == Cohort.id)
            .join(Organisation, Organisation.id == Cohort.organisation_id)
            .where(Invite.code == code)
        )
    ).first()
    if row is None:
        return InviteCheck(None, UNKNOWN)
    cohort = _cohort_info(row[:3])
    revoked_at, expires_at, uses, max_uses = row[3:]
    if revoked_at is not None:
        return InviteCheck(cohort, REVOKED)
    if expires_at is not None and expires_at <= _now(clock):
        return InviteCheck(cohort, EXPIRED)
    if max_uses is not None and uses >= max_uses:
        return InviteCheck(cohort, USED_UP)
    return InviteCheck(cohort, None)


async def find_invite(
    session: AsyncSession, code: str, clock: Clock | None = None
) -> CohortInfo | None:
    """The cohort an invite still lets people join, or None (unknown, revoked, expired, used)."""
    check = await check_invite(session, code, clock)
    return check.cohort if check.problem is None else None


async def _use_invite(
    session: AsyncSession, user: User, code: str, clock: Clock | None
) -> CohortInfo | None:
    check = await check_invite(session, code, clock)
    if check.cohort is None:
        return None
    if user.cohort_id == check.cohort.id:
        return check.cohort  # opened again by someone already in the group: not a new use
    if check.problem is not None:
        return None
    # One statement decides and counts: concurrent joins never pass the limit nor lose a count.
    result = await session.execute(
        update(Invite)
        .where(
            Invite.code == code,
            Invite.revoked_at.is_(None),  # type: ignore[union-attr]
            or_(Invite.expires_at.is_(None), Invite.expires_at > _now(clock)),  # type: ignore
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),  # type: ignore
        )
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        return None
    user.cohort_id = check.cohort.id
    return check.cohort


async def accept_consent(
    session: AsyncSession,
    *,
    user_id: int,
    locale: str,
    invite_code: str | None,
    is_admin: bool,
    clock: Clock,
) -> tuple[Member, CohortInfo | None]:
    """Store the person (only now, after consent) and bind them to the invite's cohort."""
    if locale not in CATALOG_LOCALES:
        raise AccountError("unknown_locale")
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id, locale=locale, consented_at=clock.now())
        if not await _inserted(session, user):
            user = await session.get(User, user_id)
            assert user is not None
    user.locale = locale
    if is_admin and user.role != Role.ADMIN:
        _set_role(session, clock, user, Role.ADMIN)
    cohort = await _use_invite(session, user, invite_code, clock) if invite_code else None
    return _member(user), cohort


async def join_by_invite(
    session: AsyncSession, user_id: int, code: str, clock: Clock | None = None
) -> CohortInfo | None:
    user = await session.get(User, user_id)
    if user is None:
        raise AccountError("not_registered")
    return await _use_invite(session, user, code, clock)


async def set_locale(session: AsyncSession, user_id: int, locale: str) -> Member:
    if locale not in CATALOG_LOCALES:
        raise AccountError("unknown_locale")
    user = await session.get(User, user_id)
    if user is None:
        raise AccountError("not_registered")
    user.locale = locale
    return _member(user)


async def set_display_name(session: AsyncSession, user_id: int, name: str) -> Member:
    """The name certificates print; refused ("invisible_name") when no letter would show."""
    cleaned = _clean_name(name, DISPLAY_NAME_LENGTH)
    user = await session.get(User, user_id)
    if user is None:
        raise AccountError("not_registered")
    user.display_name = cleaned
    return _member(user)


async def _organisation_named(session: AsyncSession, name: str) -> Organisation | None:
    """Found by its cleaned, case-folded form (organisations are few)."""
    key = _key(name)
    organisations = (await session.execute(select(Organisation))).scalars().all()
    return next((o for o in organisations if _key(o.name) == key), None)


async def create_organisation(
    session: AsyncSession, name: str, clock: Clock, *, actor: Member | None = None
) -> int:
    """A new partner organisation; `actor` (an admin) is checked and written to the audit log."""
    actor_id = _require_admin(actor)
    name = _clean_name(name)
    if await _organisation_named(session, name) is not None:
        raise AccountError("organisation_exists", name=name)
    organisation = Organisation(name=name, created_at=clock.now())
    if not await _inserted(session, organisation):
        raise AccountError("organisation_exists", name=name)
    assert organisation.id is not None
    audit.record(
        session,
        clock,
        actor_id=actor_id,
        action=audit.ORG_NEW,
        object=f"organisation:{organisation.id}",
    )
    return organisation.id


async def appoint_coordinator(
    session: AsyncSession,
    user_id: int,
    organisation_name: str,
    *,
    actor: Member | None = None,
    clock: Clock | None = None,
) -> Member:
    actor_id = _require_admin(actor)
    organisation = await _organisation_named(session, organisation_name)
    if organisation is None:
        raise AccountError("unknown_organisation", name=organisation_name)
    if not 0 < user_id <= USER_ID_LIMIT:
        raise AccountError("unknown_user", id=str(user_id))
    user = await session.get(User, user_id)
    if user is None:
        raise AccountError("unknown_user", id=str(user_id))
    assert organisation.id is not None
    user.organisation_id = organisation.id
    if user.role == Role.MEMBER:
        user.role = Role.COORDINATOR
    audit.record(
        session,
        clock or SystemClock(),
        actor_id=actor_id,
        action=audit.COORDINATOR_ADD,
        object=f"user:{user.id}",
        detail=f"organisation:{organisation.id}",
    )
    return _member(user)


def _require_coordinator(member: Member) -> int:
    if not member.is_coordinator or member.organisation_id is None:
        raise AccountError("not_coordinator")
    return member.organisation_id


async def create_cohort(
    session: AsyncSession,
    coordinator: Member,
    name: str,
    clock: Clock,
    *,
    invite_lifetime: timedelta | None = INVITE_LIFETIME,
) -> tuple[CohortInfo, str]:
    """A new cohort in the coordinator's organisation and its first invite code."""
    organisation_id = _require_coordinator(coordinator)
    name = _clean_name(name)
    key = _key(name)
    names = (
        await session.execute(select(Cohort.name).where(Cohort.organisation_id == organisation_id))
    ).scalars()
    if any(_key(existing) == key for existing in names):
        raise AccountError("cohort_exists", name=name)
    cohort = Cohort(organisation_id=organisation_id, name=name, created_at=clock.now())
    if not await _inserted(session, cohort):
        raise AccountError("cohort_exists", name=name)
    organisation = await session.get(Organisation, organisation_id)
    assert cohort.id is not None and organisation is not None
    audit.record(
        session,
        clock,
        actor_id=coordinator.id,
        action=audit.COHORT_NEW,
        object=f"cohort:{cohort.id}",
        detail=f"organisation:{organisation_id}",
    )
    info = CohortInfo(id=cohort.id, name=cohort.name, organisation=organisation.name)
    invite = await _new_invite(session, info, coordinator.id, clock, invite_lifetime, None)
    return info, invite.code


async def _own_cohort(
    session: AsyncSession,
    coordinator: Member,
    *,
    cohort_id: int | None = None,
    name: str | None = None,
) -> Cohort:
    """One of the coordinator's cohorts, by id or by name (cleaned, case-insensitive)."""
    organisation_id = _require_coordinator(coordinator)
    if cohort_id is not None and not 0 < cohort_id < 2**31:
        raise AccountError("unknown_cohort", name=str(cohort_id))
    query = select(Cohort).where(Cohort.organisation_id == organisation_id)
    if cohort_id is not None:
        cohort = (await session.execute(query.where(Cohort.id == cohort_id))).scalar_one_or_none()
    else:
        key = _key(name or "")
        cohorts = (await session.execute(query)).scalars().all()
        cohort = next((c for c in cohorts if key and _key(c.name) == key), None)
    if cohort is None:
        raise AccountError("unknown_cohort", name=name or str(cohort_id))
    return cohort


async def find_own_cohort(
    session: AsyncSession, coordinator: Member, name: str
) -> CohortInfo | None:
    """The coordinator's cohort with this name (cleaned, case-insensitive), if there is one."""
    try:
        cohort = await _own_cohort(session, coordinator, name=name)
    except AccountError as error:
        if error.reason == "unknown_cohort":
            return None
        raise
    organisation = await session.get(Organisation, cohort.organisation_id)
    assert cohort.id is not None and organisation is not None
    return CohortInfo(id=cohort.id, name=cohort.name, organisation=organisation.name)


async def create_invite(
    session: AsyncSession,
    coordinator: Member,
    clock: Clock,
    *,
    cohort_id: int | None = None,
    cohort_name: str | None = None,
    lifetime: timedelta | None = INVITE_LIFETIME,
    max_uses: int | None = None,
) -> NewInvite:
    """A new invite code for one of the coordinator's own cohorts.

    It stops working after `lifetime` (None: never) and after `max_uses` joins (None: no limit).
    """
    if max_uses is not None and not 0 < max_uses <= MAX_INVITE_USES:
        raise AccountError("bad_uses")
    cohort = await _own_cohort(session, coordinator, cohort_id=cohort_id, name=cohort_name)
    organisation = await session.get(Organisation, cohort.organisation_id)
    assert cohort.id is not None and organisation is not None
    info = CohortInfo(id=cohort.id, name=cohort.name, organisation=organisation.name)
    return await _new_invite(session, info, coordinator.id, clock, lifetime, max_uses)


async def _new_invite(
    session: AsyncSession,
    cohort: CohortInfo,
    created_by: int,
    clock: Clock,
    lifetime: timedelta | None,
    max_uses: int | None,
) -> NewInvite:
    now = clock.now()
    expires_at = now + lifetime if lifetime is not None else None
    for _ in range(3):  # a code already taken (about 1 in 10^17) is drawn again
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        invite = Invite(
            code=code,
            cohort_id=cohort.id,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
            max_uses=max_uses,
        )
        if await _inserted(session, invite):
            audit.record(
                session,
                clock,
                actor_id=created_by,
                action=audit.INVITE_NEW,
                object=f"invite:{code}",
                detail=f"cohort:{cohort.id} max_uses:{max_uses or '-'}",
            )
            return NewInvite(code, cohort, expires_at, max_uses)
    raise RuntimeError("could not draw an unused invite code")


def invite_code_from(text: str) -> str:
    """The code in what a coordinator pasted: the code itself or the whole invite link."""
    cleaned = text_input.clean(text).text
    return cleaned.rsplit("start=", 1)[-1].strip() if "start=" in cleaned else cleaned


async def revoke_invite(
    session: AsyncSession, coordinator: Member, code: str, clock: Clock
) -> CohortInfo:
    """Stop an invite of the coordinator's own organisation; people who joined stay."""
    organisation_id = _require_coordinator(coordinator)
    if not INVITE_CODE.match(code):
        raise AccountError("unknown_invite", name=code)
    row = (
        await session.execute(
            select(Invite, Cohort.name, Organisation.name)
            .join(Cohort, Cohort.id == Invite.cohort_id)
            .join(Organisation, Organisation.id == Cohort.organisation_id)
            .where(Invite.code == code, Cohort.organisation_id == organisation_id)
        )
    ).first()
    if row is None:
        raise AccountError("unknown_invite", name=code)
    invite, cohort_name, organisation_name = row
    if invite.revoked_at is None:
        invite.revoked_at = clock.now()
        audit.record(
            session,
            clock,
            actor_id=coordinator.id,
            action=audit.INVITE_REVOKE,
            object=f"invite:{code}",
            detail=f"cohort:{invite.cohort_id}",
        )
    return CohortInfo(id=invite.cohort_id, name=cohort_name, organisation=organisation_name)


async def list_cohorts(
    session: AsyncSession, coordinator: Member, clock: Clock | None = None
) -> list[CohortSummary]:
    organisation_id = _require_coordinator(coordinator)
    members = (
        select(User.cohort_id, func.count().label("n"))
        .where(User.id >= STAND_IN_BELOW)  # people, not the stand-ins of erased members
        .group_by(User.cohort_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Cohort.id, Cohort.name, func.coalesce(members.c.n, 0))
            .outerjoin(members, members.c.cohort_id == Cohort.id)
            .where(Cohort.organisation_id == organisation_id)
            .order_by(Cohort.name)
        )
    ).all()
    invites = (
        await session.execute(
            select(Invite.cohort_id, Invite.code, Invite.expires_at, Invite.uses, Invite.max_uses)
            .join(Cohort, Cohort.id == Invite.cohort_id)
            .where(
                Cohort.organisation_id == organisation_id,
                Invite.revoked_at.is_(None),  # type: ignore[union-attr]
                or_(Invite.expires_at.is_(None), Invite.expires_at > _now(clock)),  # type: ignore
                or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),  # type: ignore
            )
            .order_by(Invite.created_at)
        )
    ).all()
    by_cohort: dict[int, list[OpenInvite]] = {}
    for cohort_id, code, expires_at, uses, max_uses in invites:
        left = max_uses - uses if max_uses is not None else None
        by_cohort.setdefault(cohort_id, []).append(OpenInvite(code, expires_at, left))
    return [
        CohortSummary(
            id=cid,
            name=name,
            members=count,
            invites=tuple(invite.code for invite in by_cohort.get(cid, ())),
            open_invites=tuple(by_cohort.get(cid, ())),
        )
        for cid, name, count in rows
    ]

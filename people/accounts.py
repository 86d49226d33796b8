"""People, consent, roles, cohorts and invites: plain async services over a session.

They never commit: the caller's unit of work does (docs/architecture.md). An insert that a
concurrent double tap may already have made runs in a savepoint, so the unique constraint's
refusal is absorbed without spoiling the rest of the transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.bidi import clean_display_name
from core.clock import Clock
from core.locales import CATALOG_LOCALES
from people.models import Cohort, Invite, Organisation, Role, User

INVITE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


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
class CohortSummary:
    id: int
    name: str
    members: int
    invites: tuple[str, ...]


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
    )


async def get_member(session: AsyncSession, user_id: int) -> Member | None:
    user = await session.get(User, user_id)
    return _member(user) if user else None


async def ensure_admin(session: AsyncSession, user_id: int) -> Member | None:
    """Bootstrap an admin listed in ADMIN_IDS once they have consented."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    if user.role != Role.ADMIN:
        user.role = Role.ADMIN
    return _member(user)


async def find_invite(session: AsyncSession, code: str) -> CohortInfo | None:
    if not INVITE_CODE.match(code):
        return None
    row = (
        await session.execute(
            select(Cohort.id, Cohort.name, Organisation.name)
            .join(Invite, Invite.cohort_id == Cohort.id)
            .join(Organisation, Organisation.id == Cohort.organisation_id)
            .where(Invite.code == code)
        )
    ).first()
    return CohortInfo(id=row[0], name=row[1], organisation=row[2]) if row else None


async def _use_invite(session: AsyncSession, user: User, code: str) -> CohortInfo | None:
    info = await find_invite(session, code)
    if info is None:
        return None
    if user.cohort_id != info.id:
        await session.execute(
            update(Invite).where(Invite.code == code).values(uses=Invite.uses + 1)
        )
    user.cohort_id = info.id
    return info


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
    if is_admin:
        user.role = Role.ADMIN
    cohort = await _use_invite(session, user, invite_code) if invite_code else None
    return _member(user), cohort


async def join_by_invite(session: AsyncSession, user_id: int, code: str) -> CohortInfo | None:
    user = await session.get(User, user_id)
    if user is None:
        raise AccountError("not_registered")
    return await _use_invite(session, user, code)


async def set_locale(session: AsyncSession, user_id: int, locale: str) -> Member:
    if locale not in CATALOG_LOCALES:
        raise AccountError("unknown_locale")
    user = await session.get(User, user_id)
    if user is None:
        raise AccountError("not_registered")
    user.locale = locale
    return _member(user)


async def set_display_name(session: AsyncSession, user_id: int, name: str) -> Member:
    cleaned = clean_display_name(name)
    if not cleaned:
        raise AccountError("empty_name")
    user = await session.get(User, user_id)
    if user is None:
        raise AccountError("not_registered")
    user.display_name = cleaned
    return _member(user)


async def create_organisation(session: AsyncSession, name: str, clock: Clock) -> int:
    name = clean_display_name(name, max_length=100)
    if not name:
        raise AccountError("empty_name")
    organisation = Organisation(name=name, created_at=clock.now())
    if not await _inserted(session, organisation):
        raise AccountError("organisation_exists", name=name)
    assert organisation.id is not None
    return organisation.id


async def appoint_coordinator(
    session: AsyncSession, user_id: int, organisation_name: str
) -> Member:
    organisation = (
        await session.execute(select(Organisation).where(Organisation.name == organisation_name))
    ).scalar_one_or_none()
    if organisation is None:
        raise AccountError("unknown_organisation", name=organisation_name)
    user = await session.get(User, user_id)
    if user is None:
        raise AccountError("unknown_user", id=str(user_id))
    user.organisation_id = organisation.id
    if user.role == Role.MEMBER:
        user.role = Role.COORDINATOR
    return _member(user)


def _require_coordinator(member: Member) -> int:
    if not member.is_coordinator or member.organisation_id is None:
        raise AccountError("not_coordinator")
    return member.organisation_id


async def create_cohort(
    session: AsyncSession, coordinator: Member, name: str, clock: Clock
) -> tuple[CohortInfo, str]:
    """A new cohort in the coordinator's organisation and its first invite code."""
    organisation_id = _require_coordinator(coordinator)
    name = clean_display_name(name, max_length=100)
    if not name:
        raise AccountError("empty_name")
    cohort = Cohort(organisation_id=organisation_id, name=name, created_at=clock.now())
    if not await _inserted(session, cohort):
        raise AccountError("cohort_exists", name=name)
    organisation = await session.get(Organisation, organisation_id)
    assert cohort.id is not None and organisation is not None
    code = await _new_invite(session, cohort.id, coordinator.id, clock)
    return CohortInfo(id=cohort.id, name=cohort.name, organisation=organisation.name), code


async def _own_cohort(
    session: AsyncSession,
    coordinator: Member,
    *,
    cohort_id: int | None = None,
    name: str | None = None,
) -> Cohort:
    organisation_id = _require_coordinator(coordinator)
    if cohort_id is not None and not 0 < cohort_id < 2**31:
        raise AccountError("unknown_cohort", name=str(cohort_id))
    query = select(Cohort).where(Cohort.organisation_id == organisation_id)
    query = (
        query.where(Cohort.id == cohort_id)
        if cohort_id is not None
        else query.where(Cohort.name == name)
    )
    cohort = (await session.execute(query)).scalar_one_or_none()
    if cohort is None:
        raise AccountError("unknown_cohort", name=name or str(cohort_id))
    return cohort


async def create_invite(
    session: AsyncSession,
    coordinator: Member,
    clock: Clock,
    *,
    cohort_id: int | None = None,
    cohort_name: str | None = None,
) -> str:
    """A new invite code for one of the coordinator's own cohorts."""
    cohort = await _own_cohort(session, coordinator, cohort_id=cohort_id, name=cohort_name)
    assert cohort.id is not None
    return await _new_invite(session, cohort.id, coordinator.id, clock)


async def _new_invite(session: AsyncSession, cohort_id: int, created_by: int, clock: Clock) -> str:
    for _ in range(3):  # a code already taken (about 1 in 10^17) is drawn again
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        invite = Invite(
            code=code, cohort_id=cohort_id, created_by=created_by, created_at=clock.now()
        )
        if await _inserted(session, invite):
            return code
    raise RuntimeError("could not draw an unused invite code")


async def list_cohorts(session: AsyncSession, coordinator: Member) -> list[CohortSummary]:
    organisation_id = _require_coordinator(coordinator)
    members = select(User.cohort_id, func.count().label("n")).group_by(User.cohort_id).subquery()
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
            select(Invite.cohort_id, Invite.code)
            .join(Cohort, Cohort.id == Invite.cohort_id)
            .where(Cohort.organisation_id == organisation_id)
            .order_by(Invite.created_at)
        )
    ).all()
    by_cohort: dict[int, list[str]] = {}
    for cohort_id, code in invites:
        by_cohort.setdefault(cohort_id, []).append(code)
    return [
        CohortSummary(id=cid, name=name, members=count, invites=tuple(by_cohort.get(cid, ())))
        for cid, name, count in rows
    ]

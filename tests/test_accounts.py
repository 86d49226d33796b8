"""People, roles, cohorts and invites, on the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from people import accounts
from people.accounts import AccountError
from people.models import Invite, User


async def _consent(rt: Runtime, user_id: int, code: str | None = None, admin: bool = False):
    async with rt.sessions() as session:
        return await accounts.accept_consent(
            session, user_id=user_id, locale="ar", invite_code=code, is_admin=admin, clock=rt.clock
        )


async def _coordinator(rt: Runtime, user_id: int, organisation: str) -> accounts.Member:
    await _consent(rt, user_id)
    async with rt.sessions() as session:
        with contextlib.suppress(AccountError):
            await accounts.create_organisation(session, organisation, rt.clock)
        return await accounts.appoint_coordinator(session, user_id, organisation)


async def test_nothing_is_stored_before_consent_and_consent_stores_the_person(
    runtime: Runtime,
) -> None:
    async with runtime.sessions() as session:
        assert await accounts.get_member(session, 42) is None
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 0
    member, cohort = await _consent(runtime, 42)
    assert member.locale == "ar" and member.role == "member" and cohort is None


async def test_invite_binds_to_its_cohort_and_counts_uses(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime, 1, "Hope NGO")
    async with runtime.sessions() as session:
        cohort = await accounts.create_cohort(session, coordinator, "Gaziantep A", runtime.clock)
        code = await accounts.create_invite(
            session, coordinator, runtime.clock, cohort_id=cohort.id
        )
    member, joined = await _consent(runtime, 7, code)
    assert joined is not None and joined.name == "Gaziantep A" and joined.organisation == "Hope NGO"
    assert member.cohort_id == cohort.id
    async with runtime.sessions() as session:
        assert (await session.get(Invite, code)).uses == 1
        summaries = await accounts.list_cohorts(session, coordinator)
    assert [(s.name, s.members, s.invites) for s in summaries] == [("Gaziantep A", 1, (code,))]


async def test_unknown_or_malformed_invite_binds_nothing(runtime: Runtime) -> None:
    member, joined = await _consent(runtime, 7, "nope")
    assert joined is None and member.cohort_id is None
    async with runtime.sessions() as session:
        assert await accounts.find_invite(session, "bad code with spaces") is None


async def test_coordinator_cannot_reach_another_organisations_cohort(runtime: Runtime) -> None:
    first = await _coordinator(runtime, 1, "Hope NGO")
    second = await _coordinator(runtime, 2, "Other NGO")
    async with runtime.sessions() as session:
        cohort = await accounts.create_cohort(session, first, "Kabul 1", runtime.clock)
        with pytest.raises(AccountError) as caught:
            await accounts.create_invite(session, second, runtime.clock, cohort_id=cohort.id)
        assert caught.value.reason == "unknown_cohort"
        assert await accounts.list_cohorts(session, second) == []


async def test_members_cannot_create_cohorts(runtime: Runtime) -> None:
    member, _ = await _consent(runtime, 5)
    async with runtime.sessions() as session:
        with pytest.raises(AccountError) as caught:
            await accounts.create_cohort(session, member, "Mine", runtime.clock)
    assert caught.value.reason == "not_coordinator"


async def test_duplicate_cohort_name_is_refused_and_nothing_half_written(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime, 1, "Hope NGO")
    async with runtime.sessions() as session:
        await accounts.create_cohort(session, coordinator, "Lviv", runtime.clock)
        with pytest.raises(AccountError) as caught:
            await accounts.create_cohort(session, coordinator, "Lviv", runtime.clock)
        assert caught.value.reason == "cohort_exists"
        assert len(await accounts.list_cohorts(session, coordinator)) == 1


async def test_database_refuses_a_coordinator_without_organisation(runtime: Runtime) -> None:
    await _consent(runtime, 5)
    async with runtime.sessions() as session:
        user = await session.get(User, 5)
        user.role = "coordinator"
        with pytest.raises(Exception, match=r"(?i)check|constraint"):
            await session.commit()

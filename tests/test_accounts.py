"""People, roles, cohorts and invites, on the database (SQLite and PostgreSQL).

The services never commit: each test commits where an update's boundary would.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from people import accounts
from people.accounts import AccountError
from people.models import Cohort, Invite, Organisation, User


async def _consent(rt: Runtime, user_id: int, code: str | None = None, admin: bool = False):
    async with rt.sessions() as session:
        result = await accounts.accept_consent(
            session, user_id=user_id, locale="ar", invite_code=code, is_admin=admin, clock=rt.clock
        )
        await session.commit()
        return result


async def _coordinator(rt: Runtime, user_id: int, organisation: str) -> accounts.Member:
    await _consent(rt, user_id)
    async with rt.sessions() as session:
        with contextlib.suppress(AccountError):
            await accounts.create_organisation(session, organisation, rt.clock)
        member = await accounts.appoint_coordinator(session, user_id, organisation)
        await session.commit()
        return member


async def _count(rt: Runtime, table: type) -> int:
    async with rt.sessions() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def test_nothing_is_stored_before_consent_and_consent_stores_the_person(
    runtime: Runtime,
) -> None:
    async with runtime.sessions() as session:
        assert await accounts.get_member(session, 42) is None
    assert await _count(runtime, User) == 0
    member, cohort = await _consent(runtime, 42)
    assert member.locale == "ar" and member.role == "member" and cohort is None
    async with runtime.sessions() as session:
        assert await accounts.get_member(session, 42) == member


async def test_services_leave_the_commit_to_the_caller(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        await accounts.accept_consent(
            session, user_id=42, locale="ar", invite_code=None, is_admin=False, clock=runtime.clock
        )
        await accounts.create_organisation(session, "Hope NGO", runtime.clock)
        await session.rollback()
    assert await _count(runtime, User) == 0
    assert await _count(runtime, Organisation) == 0


async def test_invite_binds_to_its_cohort_and_counts_uses(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime, 1, "Hope NGO")
    async with runtime.sessions() as session:
        cohort, code = await accounts.create_cohort(
            session, coordinator, "Gaziantep A", runtime.clock
        )
        await session.commit()
    member, joined = await _consent(runtime, 7, code)
    assert joined is not None and joined.name == "Gaziantep A" and joined.organisation == "Hope NGO"
    assert member.cohort_id == cohort.id
    await _consent(runtime, 7, code)  # the same person again: not a second use
    async with runtime.sessions() as session:
        assert (await session.get(Invite, code)).uses == 1
        summaries = await accounts.list_cohorts(session, coordinator)
    assert [(s.name, s.members, s.invites) for s in summaries] == [("Gaziantep A", 1, (code,))]


async def test_a_new_cohort_and_its_first_invite_are_one_unit(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime, 1, "Hope NGO")
    async with runtime.sessions() as session:
        await accounts.create_cohort(session, coordinator, "Lviv", runtime.clock)
        await session.rollback()  # the update failed after the service
    assert (await _count(runtime, Cohort), await _count(runtime, Invite)) == (0, 0)


async def test_unknown_or_malformed_invite_binds_nothing(runtime: Runtime) -> None:
    member, joined = await _consent(runtime, 7, "nope")
    assert joined is None and member.cohort_id is None
    async with runtime.sessions() as session:
        assert await accounts.find_invite(session, "bad code with spaces") is None


async def test_coordinator_cannot_reach_another_organisations_cohort(runtime: Runtime) -> None:
    first = await _coordinator(runtime, 1, "Hope NGO")
    second = await _coordinator(runtime, 2, "Other NGO")
    async with runtime.sessions() as session:
        cohort, _ = await accounts.create_cohort(session, first, "Kabul 1", runtime.clock)
        await session.commit()
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


async def test_duplicate_cohort_name_is_refused_and_the_rest_of_the_update_kept(
    runtime: Runtime,
) -> None:
    coordinator = await _coordinator(runtime, 1, "Hope NGO")
    async with runtime.sessions() as session:
        await accounts.create_cohort(session, coordinator, "Lviv", runtime.clock)
        with pytest.raises(AccountError) as caught:
            await accounts.create_cohort(session, coordinator, "Lviv", runtime.clock)
        assert caught.value.reason == "cohort_exists"
        await session.commit()
    async with runtime.sessions() as session:
        summaries = await accounts.list_cohorts(session, coordinator)
    assert [(s.name, len(s.invites)) for s in summaries] == [("Lviv", 1)]


async def test_concurrent_double_taps_create_one_cohort(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime, 1, "Hope NGO")

    async def tap() -> str:
        async with runtime.sessions() as session:
            try:
                cohort, _ = await accounts.create_cohort(
                    session, coordinator, "Lviv", runtime.clock
                )
            except AccountError as error:
                return error.reason
            await session.commit()
            return cohort.name

    assert sorted(await asyncio.gather(tap(), tap())) == ["Lviv", "cohort_exists"]
    assert (await _count(runtime, Cohort), await _count(runtime, Invite)) == (1, 1)


async def test_concurrent_consents_store_one_person(runtime: Runtime) -> None:
    results = await asyncio.gather(_consent(runtime, 7), _consent(runtime, 7))
    assert [member.id for member, _ in results] == [7, 7]
    assert await _count(runtime, User) == 1


async def test_duplicate_organisation_is_refused(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        await accounts.create_organisation(session, "Hope NGO", runtime.clock)
        with pytest.raises(AccountError) as caught:
            await accounts.create_organisation(session, "Hope NGO", runtime.clock)
        await session.commit()
    assert caught.value.reason == "organisation_exists"
    assert await _count(runtime, Organisation) == 1


async def test_database_refuses_a_coordinator_without_organisation(runtime: Runtime) -> None:
    await _consent(runtime, 5)
    async with runtime.sessions() as session:
        user = await session.get(User, 5)
        user.role = "coordinator"
        with pytest.raises(Exception, match=r"(?i)check|constraint"):
            await session.commit()

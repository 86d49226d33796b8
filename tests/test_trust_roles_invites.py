"""Trust: roles follow ADMIN_IDS, invites expire, run out and are revoked, counts are atomic,
every coordinator and admin action is audited (SQLite and PostgreSQL).

The services never commit: each test commits where an update's boundary would.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from core.clock import ManualClock
from people import accounts, audit
from people.accounts import AccountError, Member
from people.models import AuditEntry, Invite, Role, User


async def _consent(rt: Runtime, user_id: int, code: str | None = None, admin: bool = False):
    async with rt.sessions() as session:
        result = await accounts.accept_consent(
            session, user_id=user_id, locale="en", invite_code=code, is_admin=admin, clock=rt.clock
        )
        await session.commit()
        return result


async def _admin(rt: Runtime, user_id: int = 900) -> Member:
    member, _ = await _consent(rt, user_id, admin=True)
    return member


async def _coordinator(rt: Runtime, user_id: int = 1, organisation: str = "Hope NGO") -> Member:
    admin = await _admin(rt)
    await _consent(rt, user_id)
    async with rt.sessions() as session:
        if await accounts._organisation_named(session, organisation) is None:
            await accounts.create_organisation(session, organisation, rt.clock, actor=admin)
        member = await accounts.appoint_coordinator(
            session, user_id, organisation, actor=admin, clock=rt.clock
        )
        await session.commit()
        return member


async def _cohort(rt: Runtime, coordinator: Member, name: str = "Lviv") -> tuple[int, str]:
    async with rt.sessions() as session:
        cohort, code = await accounts.create_cohort(session, coordinator, name, rt.clock)
        await session.commit()
        return cohort.id, code


async def _invite(rt: Runtime, coordinator: Member, cohort_id: int, **kwargs: object) -> str:
    async with rt.sessions() as session:
        created = await accounts.create_invite(
            session, coordinator, rt.clock, cohort_id=cohort_id, **kwargs
        )
        await session.commit()
        return created.code


async def _user(rt: Runtime, user_id: int) -> User | None:
    async with rt.sessions() as session:
        return await session.get(User, user_id)


async def _uses(rt: Runtime, code: str) -> int:
    async with rt.sessions() as session:
        return (await session.get(Invite, code)).uses


async def _audit(rt: Runtime) -> list[tuple[int | None, str, str]]:
    async with rt.sessions() as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        return [(row.actor_id, row.action, row.object) for row in rows]


# Defect 1: invites never expired and had no use limit.


async def test_an_invite_expires_after_its_lifetime(runtime: Runtime, clock: ManualClock) -> None:
    coordinator = await _coordinator(runtime)
    cohort_id, code = await _cohort(runtime, coordinator)  # 14 days by default
    clock.advance(timedelta(days=13, hours=23))
    _, joined = await _consent(runtime, 7, code)
    assert joined is not None and joined.id == cohort_id
    clock.advance(timedelta(hours=2))
    async with runtime.sessions() as session:
        check = await accounts.check_invite(session, code, clock)
        assert (
            check.problem == accounts.EXPIRED
            and await accounts.find_invite(session, code, clock) is None
        )
    member, joined = await _consent(runtime, 8, code)
    assert joined is None and member.cohort_id is None  # still a member, in no group
    assert await _uses(runtime, code) == 1


async def test_a_400_day_old_invite_lets_nobody_in(runtime: Runtime, clock: ManualClock) -> None:
    coordinator = await _coordinator(runtime)
    _, code = await _cohort(runtime, coordinator)
    clock.advance(timedelta(days=400))
    for user_id in range(100, 120):
        _, joined = await _consent(runtime, user_id, code)
        assert joined is None
    assert await _uses(runtime, code) == 0


async def test_an_invite_with_a_use_limit_runs_out(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime)
    cohort_id, _ = await _cohort(runtime, coordinator)
    code = await _invite(runtime, coordinator, cohort_id, max_uses=2)
    assert [(await _consent(runtime, uid, code))[1] is not None for uid in (7, 8, 9)] == [
        True,
        True,
        False,
    ]
    await _consent(runtime, 7, code)  # someone already in the group opens it again: fine
    assert await _uses(runtime, code) == 2
    async with runtime.sessions() as session:
        assert (await accounts.check_invite(session, code)).problem == accounts.USED_UP
        [summary] = await accounts.list_cohorts(session, coordinator)
    assert code not in summary.invites


async def test_a_use_limit_outside_1_to_10000_is_refused(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime)
    cohort_id, _ = await _cohort(runtime, coordinator)
    async with runtime.sessions() as session:
        for bad in (0, -1, 10_001):
            with pytest.raises(AccountError) as caught:
                await accounts.create_invite(
                    session, coordinator, runtime.clock, cohort_id=cohort_id, max_uses=bad
                )
            assert caught.value.reason == "bad_uses"


async def test_a_revoked_invite_lets_nobody_in_and_the_group_stays(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime)
    cohort_id, code = await _cohort(runtime, coordinator)
    await _consent(runtime, 7, code)
    async with runtime.sessions() as session:
        info = await accounts.revoke_invite(session, coordinator, code, runtime.clock)
        await accounts.revoke_invite(session, coordinator, code, runtime.clock)  # twice: once
        await session.commit()
    assert info.id == cohort_id
    _, joined = await _consent(runtime, 8, code)
    assert joined is None
    assert (await _user(runtime, 7)).cohort_id == cohort_id
    assert (await _audit(runtime)).count((1, audit.INVITE_REVOKE, f"invite:{code}")) == 1


async def test_a_coordinator_cannot_revoke_another_organisations_invite(runtime: Runtime) -> None:
    first = await _coordinator(runtime, 1, "Hope NGO")
    second = await _coordinator(runtime, 2, "Other NGO")
    _, code = await _cohort(runtime, first)
    async with runtime.sessions() as session:
        with pytest.raises(AccountError) as caught:
            await accounts.revoke_invite(session, second, code, runtime.clock)
        await session.commit()
    assert caught.value.reason == "unknown_invite"
    _, joined = await _consent(runtime, 8, code)
    assert joined is not None


# Defect 2: roles from ADMIN_IDS were only ever added.


async def test_sync_roles_demotes_former_admins_and_promotes_listed_ones(runtime: Runtime) -> None:
    await _coordinator(runtime, 1)  # admin 900 created Hope NGO
    await _consent(runtime, 901, admin=True)  # an admin in no organisation
    async with runtime.sessions() as session:
        await accounts.appoint_coordinator(session, 900, "Hope NGO")
        await session.commit()
    await _consent(runtime, 5)
    async with runtime.sessions() as session:
        changed = await accounts.sync_roles(session, {5, 12345}, runtime.clock)
        await session.commit()
    assert sorted((m.id, m.role) for m in changed) == [
        (5, Role.ADMIN),
        (900, Role.COORDINATOR),
        (901, Role.MEMBER),
    ]
    roles = {uid: (await _user(runtime, uid)).role for uid in (1, 5, 900, 901)}
    assert roles == {1: "coordinator", 5: "admin", 900: "coordinator", 901: "member"}
    assert await _user(runtime, 12345) is None  # nobody is stored who has not consented
    entries = [e for e in await _audit(runtime) if e[1] == audit.ROLE_SYNC]
    assert (None, audit.ROLE_SYNC, "user:901") in entries
    assert (None, audit.ROLE_SYNC, "user:900") in entries
    async with runtime.sessions() as session:  # a second start changes nothing
        assert await accounts.sync_roles(session, {5}, runtime.clock) == []


async def test_an_admin_role_is_rechecked_by_the_services(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime, 1)
    async with runtime.sessions() as session:
        with pytest.raises(AccountError) as caught:
            await accounts.create_organisation(session, "Mine", runtime.clock, actor=coordinator)
        assert caught.value.reason == "not_admin"
        with pytest.raises(AccountError):
            await accounts.appoint_coordinator(session, 1, "Hope NGO", actor=coordinator)


# Defect 6: /invite NAME looked cohorts up by the raw text, case-sensitively.


async def test_cohorts_are_found_by_their_cleaned_case_folded_name(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime)
    cohort_id, _ = await _cohort(runtime, coordinator, "Team  Alpha")
    async with runtime.sessions() as session:
        for typed in ("Team Alpha", "team  alpha", "\u202eTEAM\u200b Alpha ", "Team\u00a0Alpha"):
            created = await accounts.create_invite(
                session, coordinator, runtime.clock, cohort_name=typed
            )
            assert created.cohort.id == cohort_id and created.cohort.name == "Team Alpha"
        with pytest.raises(AccountError) as caught:
            await accounts.create_cohort(session, coordinator, "TEAM ALPHA", runtime.clock)
        assert caught.value.reason == "cohort_exists"


async def test_organisations_are_found_by_their_cleaned_case_folded_name(
    runtime: Runtime,
) -> None:
    admin = await _admin(runtime)
    await _consent(runtime, 7)
    async with runtime.sessions() as session:
        await accounts.create_organisation(session, "Hope  NGO\u200b", runtime.clock, actor=admin)
        member = await accounts.appoint_coordinator(session, 7, "hope ngo", actor=admin)
        with pytest.raises(AccountError) as caught:
            await accounts.create_organisation(session, "HOPE NGO", runtime.clock, actor=admin)
        await session.commit()
    assert member.is_coordinator and caught.value.reason == "organisation_exists"


# Defect 3: a certificate could be issued to an invisible name.


async def test_an_invisible_display_name_is_refused(runtime: Runtime) -> None:
    await _consent(runtime, 7)
    async with runtime.sessions() as session:
        for name in ("\u200b\u200b", "\u3164", "\u115f", " \u200c "):
            with pytest.raises(AccountError) as caught:
                await accounts.set_display_name(session, 7, name)
            assert caught.value.reason in ("invisible_name", "empty_name")
        await accounts.set_display_name(session, 7, "\u3164Olena\u200b Koval")
        await session.commit()
    assert (await _user(runtime, 7)).display_name == "Olena Koval"


# The audit log.


async def test_every_coordinator_and_admin_action_is_audited_with_ids_only(
    runtime: Runtime,
) -> None:
    coordinator = await _coordinator(runtime, 1)
    cohort_id, code = await _cohort(runtime, coordinator, "Lviv")
    second = await _invite(runtime, coordinator, cohort_id, max_uses=3)
    async with runtime.sessions() as session:
        await accounts.revoke_invite(session, coordinator, second, runtime.clock)
        await session.commit()
    entries = await _audit(runtime)
    assert [e for e in entries if e[1] != audit.ROLE_SYNC] == [
        (900, audit.ORG_NEW, "organisation:1"),
        (900, audit.COORDINATOR_ADD, "user:1"),
        (1, audit.COHORT_NEW, f"cohort:{cohort_id}"),
        (1, audit.INVITE_NEW, f"invite:{code}"),
        (1, audit.INVITE_NEW, f"invite:{second}"),
        (1, audit.INVITE_REVOKE, f"invite:{second}"),
    ]
    async with runtime.sessions() as session:
        texts = " ".join(
            f"{row.object} {row.detail}"
            for row in (await session.execute(select(AuditEntry))).scalars()
        )
        latest = await audit.latest(session, limit=2)
    assert "Lviv" not in texts and "Hope" not in texts
    assert [e.action for e in latest] == [audit.INVITE_REVOKE, audit.INVITE_NEW]


async def test_an_action_rolled_back_leaves_no_audit_entry(runtime: Runtime) -> None:
    admin = await _admin(runtime)
    async with runtime.sessions() as session:
        await accounts.create_organisation(session, "Hope NGO", runtime.clock, actor=admin)
        await session.rollback()
    assert [e for e in await _audit(runtime) if e[1] == audit.ORG_NEW] == []


# Defect 9: concurrent joins lost counts or went past a limit; concurrent consents failed.


async def test_concurrent_joins_never_pass_the_limit_nor_lose_a_count(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime)
    cohort_id, open_code = await _cohort(runtime, coordinator)
    limited = await _invite(runtime, coordinator, cohort_id, max_uses=3)
    results = await asyncio.gather(*(_consent(runtime, uid, limited) for uid in range(100, 110)))
    assert sum(joined is not None for _, joined in results) == 3
    assert await _uses(runtime, limited) == 3
    await asyncio.gather(*(_consent(runtime, uid, open_code) for uid in range(200, 210)))
    assert await _uses(runtime, open_code) == 10
    async with runtime.sessions() as session:
        in_group = await session.scalar(
            select(func.count()).select_from(User).where(User.cohort_id == cohort_id)
        )
    assert in_group == 13


async def test_concurrent_agree_taps_with_an_invite_store_one_person(runtime: Runtime) -> None:
    coordinator = await _coordinator(runtime)
    _, code = await _cohort(runtime, coordinator)
    results = await asyncio.gather(*(_consent(runtime, 7, code) for _ in range(4)))
    assert {member.id for member, _ in results} == {7}
    assert await _uses(runtime, code) == 1
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User).where(User.id == 7)) == 1

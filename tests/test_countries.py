"""A cohort's country: ISO 3166 alpha-2 codes only, and only a coordinator's own cohorts."""

from __future__ import annotations

import pytest

from bot.app import Runtime
from people import accounts, countries
from people.accounts import AccountError
from people.models import AuditEntry, Cohort
from tests.tasks.test_work import rows


def test_only_country_codes_are_taken() -> None:
    assert countries.country_code(" sy ") == "SY" and countries.country_code("AF") == "AF"
    for bad in ("EU", "ZZ", "UN", "S1", "Syria", "", "ＳＹ", "001"):
        assert countries.country_code(bad) is None, bad


async def test_a_coordinator_sets_the_country_of_their_own_cohort_only(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        admin, _ = await accounts.accept_consent(
            session, user_id=900, locale="en", invite_code=None, is_admin=True, clock=runtime.clock
        )
        for user_id, org in ((20, "Hope"), (21, "Other")):
            await accounts.create_organisation(session, org, runtime.clock, actor=admin)
            await accounts.accept_consent(
                session,
                user_id=user_id,
                locale="en",
                invite_code=None,
                is_admin=False,
                clock=runtime.clock,
            )
            await accounts.appoint_coordinator(
                session, user_id, org, actor=admin, clock=runtime.clock
            )
        hope = await accounts.get_member(session, 20)
        other = await accounts.get_member(session, 21)
        await accounts.create_cohort(session, hope, "Aleppo", runtime.clock)
        await countries.set_country(session, hope, "aleppo", "sy", runtime.clock)
        with pytest.raises(AccountError) as foreign:
            await countries.set_country(session, other, "Aleppo", "AF", runtime.clock)
        with pytest.raises(AccountError) as bad:
            await countries.set_country(session, hope, "Aleppo", "XX", runtime.clock)
        await session.commit()
    assert (foreign.value.reason, bad.value.reason) == ("unknown_cohort", "unknown_country")
    [cohort] = await rows(runtime, Cohort)
    assert cohort.country == "SY"
    assert [e.detail for e in await rows(runtime, AuditEntry) if e.action == "cohort_country"] == [
        "country:SY"
    ]

"""A cohort's country (ISO 3166 alpha-2): where its members live, for the minimum hourly wage."""

from __future__ import annotations

from babel import Locale
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from people import audit
from people.accounts import AccountError, CohortInfo, Member, find_own_cohort
from people.models import Cohort

COHORT_COUNTRY = "cohort_country"
# Two-letter codes CLDR knows that are not countries (regions, groupings, unknown).
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}


def country_code(text: str) -> str | None:
    """The ISO 3166 alpha-2 code in `text` ("sy" -> "SY"), or None if it is not one."""
    code = text.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha() or code in _NOT_COUNTRIES:
        return None
    return code if code in Locale("en").territories else None


async def set_country(
    session: AsyncSession, coordinator: Member, cohort_name: str, country: str, clock: Clock
) -> CohortInfo:
    """Set the country of one of the coordinator's own cohorts (written to the audit log)."""
    code = country_code(country)
    if code is None:
        raise AccountError("unknown_country", name=country)
    cohort = await find_own_cohort(session, coordinator, cohort_name)
    if cohort is None:
        raise AccountError("unknown_cohort", name=cohort_name)
    await session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id)
        .values(country=code)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        clock,
        actor_id=coordinator.id,
        action=COHORT_COUNTRY,
        object=f"cohort:{cohort.id}",
        detail=f"country:{code}",
    )
    return cohort

"""The audit log: who did what to which object, and when. Ids only, never names or typed text.

An entry is added to the caller's session, so it commits (or rolls back) with the action it
records: the log never claims an action that did not happen, nor misses one that did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from people.models import AuditEntry

ORG_NEW = "org_new"
COORDINATOR_ADD = "coordinator_add"
COHORT_NEW = "cohort_new"
INVITE_NEW = "invite_new"
INVITE_REVOKE = "invite_revoke"
ROLE_SYNC = "role_sync"

PAGE = 20


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    object: str
    detail: str | None


def record(
    session: AsyncSession,
    clock: Clock,
    *,
    actor_id: int | None,
    action: str,
    object: str,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=clock.now(),
            actor_id=actor_id,
            action=action[:40],
            object=object[:120],
            detail=detail[:400] if detail else None,
        )
    )


async def latest(
    session: AsyncSession, *, limit: int = PAGE, before_id: int | None = None
) -> list[Entry]:
    """The newest entries first; `before_id` pages back past an entry already seen."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)  # type: ignore[union-attr]
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)  # type: ignore[operator]
    rows = (await session.execute(query)).scalars().all()
    return [
        Entry(
            id=row.id or 0,
            at=row.at,
            actor_id=row.actor_id,
            action=row.action,
            object=row.object,
            detail=row.detail,
        )
        for row in rows
    ]

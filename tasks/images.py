"""Work items' pictures, kept in the database after the image pipeline."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.images import side_by_side
from tasks.models import WorkImage


async def picture(session: AsyncSession, image_ids: tuple[int, ...]) -> bytes:
    """The JPEG to send: the item's picture, or its two pictures side by side."""
    rows = await session.execute(
        select(WorkImage.id, WorkImage.data).where(WorkImage.id.in_(image_ids))
    )
    data = dict(rows.all())
    if len(image_ids) == 1:
        return data[image_ids[0]]
    return await asyncio.to_thread(side_by_side, data[image_ids[0]], data[image_ids[1]])


# An image row never changes (its digest is its content's): read once per database and process.
_DIGESTS: weakref.WeakKeyDictionary[Any, dict[int, str]] = weakref.WeakKeyDictionary()


async def digests(session: AsyncSession, image_ids: list[int]) -> dict[int, str]:
    known = _DIGESTS.setdefault(session.bind, {})
    found = {i: known[i] for i in image_ids if i in known}
    missing = [i for i in image_ids if i not in found]
    if missing:
        if len(known) > 100_000:
            known.clear()
        rows = await session.execute(
            select(WorkImage.id, WorkImage.digest).where(WorkImage.id.in_(missing))
        )
        for image_id, digest in rows.all():
            found[image_id] = known[image_id] = digest
    return found

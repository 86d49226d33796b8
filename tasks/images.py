"""Work items' pictures, kept in the database after the image pipeline."""

from __future__ import annotations

import asyncio

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


async def digests(session: AsyncSession, image_ids: list[int]) -> dict[int, str]:
    rows = await session.execute(
        select(WorkImage.id, WorkImage.digest).where(WorkImage.id.in_(image_ids))
    )
    return {image_id: digest for image_id, digest in rows.all()}

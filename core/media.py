"""Telegram file_ids of images already uploaded, so each image is uploaded once per bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from core.dbtypes import UTCDateTime


class MediaFile(SQLModel, table=True):
    __tablename__ = "media_files"

    bot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    digest: str = Field(primary_key=True, max_length=64)
    file_id: str = Field(max_length=256)
    width: int
    height: int
    size_bytes: int
    created_at: datetime = Field(sa_type=UTCDateTime)


async def cached_file_id(session: AsyncSession, bot_id: int, digest: str) -> str | None:
    row = await session.get(MediaFile, (bot_id, digest))
    return row.file_id if row else None


async def remember_file_id(session: AsyncSession, row: MediaFile) -> None:
    """Store the file_id for the image, replacing one Telegram no longer knows."""
    existing = await session.get(MediaFile, (row.bot_id, row.digest))
    if existing is not None:
        existing.file_id, existing.created_at = row.file_id, row.created_at
        existing.width, existing.height = row.width, row.height
        existing.size_bytes = row.size_bytes
        return
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass  # another update stored it a moment ago

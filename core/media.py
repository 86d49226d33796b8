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
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass
    await session.commit()


async def forget_file_id(session: AsyncSession, bot_id: int, digest: str) -> None:
    """Telegram no longer knows the file_id (another Bot API server, or files expired)."""
    row = await session.get(MediaFile, (bot_id, digest))
    if row is not None:
        await session.delete(row)
        await session.commit()

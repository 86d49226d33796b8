"""Sending images: through the pipeline once, then by Telegram file_id (per bot)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from aiogram import Bot
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from core import media, unit_of_work
from core.images import PreparedImage, image_digest, prepare_image
from tasks.images import picture


@dataclass(frozen=True)
class StoredPhoto:
    """A picture already through the pipeline and kept in the database (a work item's)."""

    image_ids: tuple[int, ...]  # two: shown side by side (a comparison)
    digest: str


Photo = Path | StoredPhoto


@lru_cache(maxsize=64)
def _prepared(path: Path) -> PreparedImage:
    return prepare_image(path.read_bytes())


@lru_cache(maxsize=256)
def _digest(path: Path) -> str:
    return image_digest(path.read_bytes())


async def _digest_of(photo: Photo) -> str:
    if isinstance(photo, StoredPhoto):
        return photo.digest
    return await asyncio.to_thread(_digest, photo)


async def photo_for(
    session: AsyncSession, bot: Bot, path: Photo, *, cached: bool = True
) -> str | BufferedInputFile:
    """A file_id when this bot has sent the image before, else the prepared upload."""
    if cached:
        file_id = await media.cached_file_id(session, bot.id, await _digest_of(path))
        if file_id is not None:
            return file_id
    if isinstance(path, StoredPhoto):
        data = await picture(session, path.image_ids)
        return BufferedInputFile(data, filename=f"{path.digest[:16]}.jpg")
    prepared = await asyncio.to_thread(_prepared, path)
    return BufferedInputFile(prepared.data, filename=f"{path.stem}.jpg")


async def remember_photo(bot: Bot, path: Photo, sent: Message) -> None:
    """Keep the file_id Telegram gave the upload; written after the reply (see unit_of_work)."""
    if not sent.photo:
        return
    largest = sent.photo[-1]
    row = media.MediaFile(
        bot_id=bot.id,
        digest=await _digest_of(path),
        file_id=largest.file_id,
        width=largest.width,
        height=largest.height,
        size_bytes=largest.file_size or 0,
        created_at=datetime.now(UTC),
    )
    work = unit_of_work.current.get()
    if work is not None:
        work.after_reply(lambda session: media.remember_file_id(session, row))

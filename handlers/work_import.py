"""Coordinators import a project by sending its folder as a .zip file to the bot."""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from aiogram import Bot, F
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from core import unit_of_work
from core.clock import Clock
from core.i18n import _, code, embed, format_kilobytes
from handlers.filters import IsCoordinator
from handlers.live_status import LiveStatus
from handlers.routing import Routes
from people import audit
from people.accounts import Member
from tasks.importer import (
    ImportProblems,
    ImportSummary,
    apply_import,
    describe_summary,
    plan_import,
)

router = Routes(__name__, IsCoordinator())

MAX_ZIP_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_FILES = 20_000
SHOWN_PROBLEMS = 25


class BadArchive(ValueError):
    """The .zip itself is unusable; the message says why."""


def unpack(data: bytes, into: Path) -> Path:
    """Unpack a project's .zip safely; the folder holding project.yaml."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise BadArchive(_("This is not a readable .zip file.")) from error
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_FILES:
            raise BadArchive(_("The .zip holds too many files."))
        if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
            raise BadArchive(_("The .zip unpacks to more than 200 MB."))
        for entry in entries:
            name = PurePosixPath(entry.filename)
            if name.is_absolute() or ".." in name.parts or "\\" in entry.filename:
                raise BadArchive(_("The .zip holds a file outside its folder."))
        archive.extractall(into)
    found = sorted(into.rglob("project.yaml"), key=lambda path: len(path.parts))
    if not found:
        raise BadArchive(_("The .zip has no project.yaml."))
    return found[0].parent


def summary_text(summary: ImportSummary) -> str:
    """What the import did, in the coordinator's language."""
    counts = dict(
        project=code(summary.project_id),
        added=embed(summary.items_added),
        present=embed(summary.items_present),
        images=embed(summary.images_added),
    )
    if summary.project_created:
        text = _(
            "✅ Project {project} created. Items added: {added}, already there: {present}; "
            "images added: {images}."
        ).format(**counts)
    else:
        text = _(
            "✅ Project {project} updated. Items added: {added}, already there: {present}; "
            "images added: {images}."
        ).format(**counts)
    if summary.source_bytes:
        text += "\n" + _("The images took {before} as sent and {after} once prepared.").format(
            before=format_kilobytes(summary.source_bytes),
            after=format_kilobytes(summary.prepared_bytes),
        )
    return text


def _problems_text(problems: list[str], folder: str) -> str:
    problems = [problem.replace(folder + "/", "") for problem in problems]
    shown = problems[:SHOWN_PROBLEMS]
    lines = [_("Nothing was imported. Fix these problems and send the .zip again:")]
    lines += [f"• {embed(problem)}" for problem in shown]
    if len(problems) > len(shown):
        lines.append(_("…and {count} more.").format(count=embed(len(problems) - len(shown))))
    return "\n".join(lines)


@router.message(F.document.file_name.lower().endswith(".zip"))
async def import_project(
    message: Message, bot: Bot, session: AsyncSession, member: Member, clock: Clock
) -> None:
    document = message.document
    assert document is not None
    if (document.file_size or 0) > MAX_ZIP_BYTES:
        await message.answer(_("The .zip is larger than 20 MB, the most a bot can receive."))
        return
    status = LiveStatus(await message.answer(_("⏳ Checking the project files…")), clock)
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    with tempfile.TemporaryDirectory(prefix="rafiq-import-") as temporary:
        try:
            folder = await asyncio.to_thread(unpack, buffer.getvalue(), Path(temporary))
            checking = status.reporter(_("⏳ Checking the images: {done} of {total}"))
            plan = await asyncio.to_thread(plan_import, folder, checking)
        except BadArchive as error:
            await status.finish(str(error))
            return
        except ImportProblems as error:
            await status.finish(_problems_text([str(p) for p in error.problems], str(folder)))
            return
    work = unit_of_work.current.get()
    assert work is not None
    saving = status.reporter(_("⏳ Saving the items: {done} of {total}"))

    async def apply(job_session: AsyncSession):
        summary = await apply_import(job_session, plan, clock.now(), saving)
        audit.record(
            job_session,
            clock,
            actor_id=member.id,
            action="project_import",
            object=plan.spec.id,
            detail=describe_summary(summary),
        )
        return summary

    try:
        summary = await work.separately(apply)
    except ImportProblems as error:
        await status.finish(_problems_text([str(p) for p in error.problems], str(folder)))
        return
    await status.finish(summary_text(summary))

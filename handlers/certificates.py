"""Certificates: the name to print, the image in the trainee's language, and /verify."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from core.bidi import isolate_ltr, strip_bidi_controls
from core.certificate_image import CertificateText, render_certificate
from core.clock import Clock
from core.i18n import _, embed, format_date, use_locale
from courses import certificates
from courses.certificates import CertificateInfo
from courses.content_model import Course
from courses.library import CourseLibrary
from courses.progress import LearningError
from handlers.callbacks import GetCertificate
from handlers.filters import IsMember
from handlers.learning import local
from handlers.routing import Routes
from people import accounts
from people.accounts import AccountError, Member

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

router = Routes(__name__)


class CertificateName(StatesGroup):
    waiting = State()


NAME_PROMPT_MARK = "✍️"


def name_prompt() -> str:
    return (
        NAME_PROMPT_MARK
        + " "
        + _(
            "What name should your certificate show? Send it as a message, written the way "
            "an employer should read it."
        )
    )


def certificate_text(info: CertificateInfo, course: Course, zone: ZoneInfo) -> CertificateText:
    with use_locale(info.locale):
        return CertificateText(
            heading=_("Certificate of completion"),
            intro=_("This certifies that"),
            name=info.name,
            completed=_("has completed the course"),
            course_title=local(course.title),
            date=format_date(info.issued_at.astimezone(zone).date()).strip("\u2068\u2069"),
            code_label=_("Verification code"),
            code=info.code,
            verify_hint=_("Check it in the Rafiq bot with /verify {code}").format(code=info.code),
        )


async def send_certificate(
    message: Message, info: CertificateInfo, course: Course, zone: ZoneInfo
) -> None:
    image = await asyncio.to_thread(
        render_certificate, certificate_text(info, course, zone), locale=info.locale
    )
    caption = _("🎓 Your certificate for {course}. Verification code: {code}").format(
        course=local(course.title), code=embed(info.code)
    )
    await message.answer_photo(
        BufferedInputFile(image, filename=f"certificate-{info.code}.png"), caption=caption
    )


@router.callback_query(GetCertificate.filter(), IsMember())
async def get_certificate(
    query: CallbackQuery,
    callback_data: GetCertificate,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    course = library.get(callback_data.course)
    if course is None or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer valid."))
        return
    try:
        info = await certificates.issue_certificate(session, member.id, course, clock)
    except LearningError as error:
        if error.reason == "needs_name":
            await state.set_state(CertificateName.waiting)
            await query.message.answer(name_prompt())
        else:
            await query.answer(_("Pass the quiz first to get the certificate."), show_alert=True)
            return
        await query.answer()
        return
    await send_certificate(query.message, info, course, settings.zone)
    await query.answer()


@router.message(CertificateName.waiting, F.text, ~F.text.startswith("/"), IsMember())
async def name_for_certificates(
    message: Message,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    """The answer to the name prompt: the name every certificate of this trainee shows."""
    try:
        await accounts.set_display_name(session, member.id, message.text or "")
    except AccountError as error:
        if error.reason in ("invisible_name", "empty_name"):
            await message.answer(
                _(
                    "I could not find any letters in that name, so a certificate would show "
                    "nothing. Please send your name written with letters."
                )
            )
        await message.answer(name_prompt())
        return
    await state.clear()
    issued = [
        (await certificates.issue_certificate(session, member.id, course, clock), course)
        for course in await certificates.pending_certificates(session, member.id, library)
    ]  # every write before the first word to Telegram
    for info, course in issued:
        await send_certificate(message, info, course, settings.zone)


@router.message(Command("verify"))
async def verify(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    library: CourseLibrary,
    settings: Settings,
) -> None:
    code = strip_bidi_controls(command.args or "").strip()
    if not code:
        await message.answer(
            _("Send /verify followed by the code, for example: /verify {code}").format(
                code=isolate_ltr("RFQ-7K2M-9XQ4")
            )
        )
        return
    info = await certificates.find_certificate(session, code)
    if info is None:
        await message.answer(
            _("❌ No certificate has the code {code}. Check the code and try again.").format(
                code=embed(code[:20])
            )
        )
        return
    course = library.get(info.course_id)
    title = local(course.title) if course else info.course_id
    await message.answer(
        _(
            "✅ This certificate is genuine.\nCode: {code}\nName: {name}\nCourse: {course}\n"
            "Issued: {date}"
        ).format(
            code=embed(info.code),
            name=embed(info.name) if info.name else _("(erased at the holder's request)"),
            course=title,
            date=format_date(info.issued_at.astimezone(settings.zone).date()),
        )
    )

"""Certificates: the name to print, the image in the trainee's language, and /verify."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
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
from handlers.callbacks import GetCertificate, NameStep
from handlers.filters import IsMember
from handlers.keyboards import menu_button
from handlers.learning import local
from handlers.preferences import zone_of
from handlers.routing import Routes
from handlers.screens import Screen, present
from people import accounts
from people.accounts import AccountError, Member

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

router = Routes(__name__)


class CertificateName(StatesGroup):
    waiting = State()


NAME_PROMPT_MARK = "✍️"
COURSE_KEY = "certificate_course"  # FSM data while the name prompt waits
FIX_KEY = "certificate_fix"


def name_prompt(fix: bool = False) -> str:
    if fix:
        text = _(
            "Send the name as it should be on the certificate. You can correct it only once; "
            "the old code will then say that it was replaced."
        )
    else:
        text = _(
            "What name should your certificate show? Send it as a message, written the way "
            "an employer should read it."
        )
    return NAME_PROMPT_MARK + " " + text


def confirm_screen(name: str, course_id: str, fix: bool = False) -> Screen:
    """The name shown before a certificate is made: Yes, Change, or leave."""
    lines = [_("{name} - is this right?").format(name=embed(name))]
    if fix:
        lines.append(
            _(
                "A new certificate with a new code will show this name; the old code will say "
                "that it was replaced. The name can be corrected only once."
            )
        )
    else:
        lines.append(_("This is the name your certificate will show."))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Yes"), callback_data=NameStep(course=course_id, do="fixed" if fix else "yes")
    )
    builder.button(
        text=_("✏️ Change"), callback_data=NameStep(course=course_id, do="fix" if fix else "change")
    )
    builder.add(menu_button())
    builder.adjust(2, 1)
    return Screen("\n\n".join(lines), builder.as_markup())


def prompt_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[menu_button()]])


def certificate_markup(course: Course, correctable: bool) -> InlineKeyboardMarkup:
    row = []
    if correctable:
        row.append(
            InlineKeyboardButton(
                text=_("✏️ Correct the name"),
                callback_data=NameStep(course=course.id, do="fix").pack(),
            )
        )
    row.append(menu_button())
    return InlineKeyboardMarkup(inline_keyboard=[row])


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
    message: Message, info: CertificateInfo, course: Course, zone: ZoneInfo, correctable: bool
) -> None:
    image = await asyncio.to_thread(
        render_certificate, certificate_text(info, course, zone), locale=info.locale
    )
    caption = _("🎓 Your certificate for {course}. Verification code: {code}").format(
        course=local(course.title), code=embed(info.code)
    )
    await message.answer_photo(
        BufferedInputFile(image, filename=f"certificate-{info.code}.png"),
        caption=caption,
        reply_markup=certificate_markup(course, correctable),
    )


async def _ask_name(state: FSMContext, course: Course, fix: bool) -> None:
    await state.set_state(CertificateName.waiting)
    await state.set_data({COURSE_KEY: course.id, FIX_KEY: fix})


@router.callback_query(GetCertificate.filter(), IsMember())
async def get_certificate(
    query: CallbackQuery,
    callback_data: GetCertificate,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    settings: Settings,
    state: FSMContext,
) -> None:
    """The certificate if it exists; else the name to confirm, or the question for it."""
    course = library.get(callback_data.course)
    if course is None or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer valid."))
        return
    info = await certificates.current_certificate(session, member.id, course)
    if info is not None:
        correctable = await certificates.name_correctable(session, member.id, course)
        await send_certificate(query.message, info, course, zone_of(member, settings), correctable)
        await query.answer()
        return
    if not await certificates.has_passed(session, member.id, course):
        await query.answer(_("Pass the quiz first to get the certificate."), show_alert=True)
        return
    if member.display_name:
        await present(query, confirm_screen(member.display_name, course.id), session)
    else:
        await _ask_name(state, course, fix=False)
        await query.message.answer(name_prompt(), reply_markup=prompt_markup())
    await query.answer()


@router.message(CertificateName.waiting, F.text, ~F.text.startswith("/"), IsMember())
async def name_for_certificates(
    message: Message,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    state: FSMContext,
) -> None:
    """The answer to the name prompt: stored (encrypted) and shown back for confirmation."""
    data = await state.get_data()
    fix = bool(data.get(FIX_KEY))
    course_id = str(data.get(COURSE_KEY) or "")
    try:
        member = await accounts.set_display_name(session, member.id, message.text or "")
    except AccountError as error:
        if error.reason in ("invisible_name", "empty_name"):
            await message.answer(
                _(
                    "I could not find any letters in that name, so a certificate would show "
                    "nothing. Please send your name written with letters."
                )
            )
        await message.answer(name_prompt(fix), reply_markup=prompt_markup())
        return
    await state.clear()
    if library.get(course_id) is None:  # a prompt from before this step existed
        course_id = next(
            (c.id for c in await certificates.pending_certificates(session, member.id, library)),
            "",
        )
    assert member.display_name is not None
    await present(message, confirm_screen(member.display_name, course_id, fix), session)


@router.callback_query(NameStep.filter(), IsMember())
async def name_step(
    query: CallbackQuery,
    callback_data: NameStep,
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
    step = callback_data.do
    if step in ("change", "fix"):
        fix = step == "fix"
        if fix and not await certificates.name_correctable(session, member.id, course):
            await query.answer(
                _("The name on this certificate was already corrected once."), show_alert=True
            )
            return
        if not fix and await certificates.current_certificate(session, member.id, course):
            await query.answer(_("This button is no longer valid."))
            return
        await _ask_name(state, course, fix)
        await query.message.answer(name_prompt(fix), reply_markup=prompt_markup())
        await query.answer()
        return
    if step == "yes":
        await _issue(query, query.message, session, member, library, clock, settings, course)
        return
    if step == "fixed":
        try:
            info = await certificates.correct_name(session, member.id, course, clock)
        except LearningError as error:
            notes = {
                "same_name": _("That is the name the certificate already shows."),
                "already_corrected": _("The name on this certificate was already corrected once."),
            }
            await query.answer(
                notes.get(error.reason, _("This button is no longer valid.")), show_alert=True
            )
            return
        await send_certificate(
            query.message, info, course, zone_of(member, settings), correctable=False
        )
        await _drop(query.message)
        await query.answer()
        return
    await query.answer(_("This button is no longer valid."))


async def _issue(
    query: CallbackQuery,
    message: Message,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    course: Course,
) -> None:
    """The confirmed name: every passed course without a certificate gets one."""
    courses = await certificates.pending_certificates(session, member.id, library)
    if course not in courses:
        courses.insert(0, course)
    issued = []
    try:
        for each in courses:
            issued.append(
                (await certificates.issue_certificate(session, member.id, each, clock), each)
            )
    except LearningError as error:
        if error.reason == "needs_name":
            await query.answer(_("This button is no longer valid."))
        else:
            await query.answer(_("Pass the quiz first to get the certificate."), show_alert=True)
        return  # every write before the first word to Telegram
    for info, each in issued:  # a certificate just made may still be corrected
        await send_certificate(message, info, each, zone_of(member, settings), correctable=True)
    await _drop(message)
    await query.answer()


async def _drop(message: Message) -> None:
    """The confirmation, once answered, gives way to the certificate below it."""
    with contextlib.suppress(TelegramBadRequest):
        await message.delete()


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
    text = _(
        "✅ This certificate is genuine.\nCode: {code}\nName: {name}\nCourse: {course}\n"
        "Issued: {date}"
    ).format(
        code=embed(info.code),
        name=embed(info.name) if info.name else _("(erased at the holder's request)"),
        course=title,
        date=format_date(info.issued_at.astimezone(settings.zone).date()),
    )
    if info.replaced_by:
        text += "\n\n" + _(
            "⚠️ This certificate was replaced by the certificate {code}, which shows the "
            "corrected name."
        ).format(code=embed(info.replaced_by))
    await message.answer(text)

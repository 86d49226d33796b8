"""/mydata: a copy of everything held about the person; /deleteme: erase it, after a yes."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from core.clock import Clock
from core.i18n import _, embed, ngettext
from handlers.filters import IsMember
from handlers.routing import Routes
from handlers.screens import Screen, present
from people import privacy
from people.accounts import Member
from people.privacy import Erased, ErasureRefused

router = Routes(__name__)


class EraseChoice(CallbackData, prefix="er"):
    confirm: bool


def erase_question() -> str:
    return _(
        "Erase everything Rafiq holds about you? Your course progress, answers, skills, name and "
        "group will be deleted, and you will have to start again from /start. "
        "This cannot be undone. Send /mydata first if you want a copy."
    )


def erase_keyboard():
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, erase my data"), callback_data=EraseChoice(confirm=True))
    builder.button(text=_("No, keep it"), callback_data=EraseChoice(confirm=False))
    builder.adjust(1)
    return builder.as_markup()


def erased_text(erased: Erased) -> str:
    lines = [
        _(
            "Your data has been erased: your account, group, course progress, answers, skills "
            "and your name."
        )
    ]
    if erased.figures_kept:
        lines.append(
            _(
                "Kept: which courses you started and finished and your quiz scores, without your "
                "name or Telegram id, so that your group's statistics stay correct."
            )
        )
    if erased.payments_kept:
        lines.append(
            ngettext(
                "Kept: {count} record of training pay, without your name or Telegram id, "
                "because accounting requires payment records.",
                "Kept: {count} records of training pay, without your name or Telegram id, "
                "because accounting requires payment records.",
                erased.payments_kept,
            ).format(count=embed(erased.payments_kept))
        )
    if erased.certificates_kept:
        lines.append(
            ngettext(
                "Kept: the code of your certificate ({count}), without your name or Telegram id, "
                "so that the certificate you already have can still be checked with /verify.",
                "Kept: the codes of your {count} certificates, without your name or Telegram id, "
                "so that the certificates you already have can still be checked with /verify.",
                erased.certificates_kept,
            ).format(count=embed(erased.certificates_kept))
        )
    if erased.audit_entries_kept:
        lines.append(
            ngettext(
                "Kept: the record of {count} action you took as a coordinator or admin, "
                "because other people's data was concerned.",
                "Kept: the record of {count} actions you took as a coordinator or admin, "
                "because other people's data was concerned.",
                erased.audit_entries_kept,
            ).format(count=embed(erased.audit_entries_kept))
        )
    lines.append(_("Send /start if you want to use Rafiq again."))
    return "\n\n".join(lines)


def refused_text() -> str:
    return _(
        "You are a coordinator or admin, so your data is kept for now: ask an admin to remove "
        "your role first, then send /deleteme again."
    )


async def erase_member(session: AsyncSession, state: FSMContext, user_id: int) -> Erased | None:
    """Erase the person and their conversation state; None if their role forbids it."""
    try:
        erased = await privacy.erase(session, user_id, SQLModel.metadata)
    except ErasureRefused:
        return None
    await state.clear()  # the FSM storage, wherever it is (database or Redis)
    return erased


@router.message(Command("mydata"), IsMember())
async def my_data(message: Message, session: AsyncSession, member: Member, clock: Clock) -> None:
    data = await privacy.export(session, member.id, SQLModel.metadata, clock)
    await message.answer_document(
        BufferedInputFile(privacy.export_json(data), filename="rafiq-my-data.json"),
        caption=_("Everything Rafiq holds about you, table by table. Send /deleteme to erase it."),
    )


@router.message(Command("mydata"))
async def my_data_stranger(message: Message) -> None:
    await message.answer(_("Rafiq holds nothing about you."))


@router.message(Command("deleteme"))
async def delete_me(message: Message, member: Member | None) -> None:
    if member is None:
        await message.answer(_("Rafiq holds nothing about you."))
        return
    await message.answer(erase_question(), reply_markup=erase_keyboard())


@router.callback_query(EraseChoice.filter())
async def erase_choice(
    query: CallbackQuery,
    callback_data: EraseChoice,
    session: AsyncSession,
    member: Member | None,
    state: FSMContext,
) -> None:
    if not callback_data.confirm:
        await present(query, Screen(_("Nothing was erased.")), session)
        await query.answer()
        return
    if member is None:
        await present(query, Screen(_("Rafiq holds nothing about you.")), session)
        await query.answer()
        return
    erased = await erase_member(session, state, member.id)
    text = refused_text() if erased is None else erased_text(erased)
    await present(query, Screen(text), session)
    await query.answer()

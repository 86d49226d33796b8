"""Practice sets: one item card edited in place, feedback after each answer, training pay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, format_fraction, format_money, format_signed_money
from courses import practice as practice_service
from courses.content_model import Course, PracticeItem
from courses.library import CourseLibrary, course_key
from courses.progress import LearningError, State, current
from handlers import place
from handlers.callbacks import ItemAnswer, OpenCourse, PracticeNext, StartPractice
from handlers.filters import IsMember
from handlers.item_card import ItemCard, feedback_screen, item_screen
from handlers.keyboards import leave_row, menu_button
from handlers.learning import course_screen, local
from handlers.routing import Routes
from handlers.screens import Screen, present
from people.accounts import Member

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

router = Routes(__name__, IsMember())


def back_to_course(course: Course) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("↩️ Back to the course"), callback_data=OpenCourse(course=course.id).pack()
    )


def card_for(course: Course, item: PracticeItem, number: int) -> ItemCard:
    """The card of `item`, the `number`-th the trainee answers."""
    practice = course.practice
    assert practice is not None
    return ItemCard(
        kind="p",
        ref=course_key(course.id),
        item=item.id,
        question=local(practice.question),
        labels=tuple((label.id, local(label.text)) for label in practice.labels),
        counter=format_fraction(number, len(practice.items)),
        image=item.image,
        text=local(item.text) if item.text else None,
        leave=(back_to_course(course), menu_button()),
    )


def intro_screen(course: Course) -> Screen:
    practice = course.practice
    assert practice is not None
    lines = [local(practice.intro)]
    if practice.rate_minor and practice.currency:
        lines.append(
            _("Each answer earns {amount} of training pay.").format(
                amount=format_money(practice.rate_minor, practice.currency)
            )
        )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("▶️ Start the practice"), callback_data=PracticeNext(course=course.id))
    builder.add(back_to_course(course))
    builder.adjust(1)
    builder.row(*leave_row())
    return Screen("\n\n".join(lines), builder.as_markup())


async def done_screen(session: AsyncSession, member: Member, course: Course) -> Screen:
    practice = course.practice
    assert practice is not None
    lines = [_("Practice finished. Thank you!")]
    earned = await practice_service.practice_earned(session, member.id, course)
    if earned and practice.currency:
        lines.append(
            _("Training pay you earned: {amount}. It will be added to your earnings.").format(
                amount=format_money(earned, practice.currency)
            )
        )
    builder = InlineKeyboardBuilder()
    builder.add(back_to_course(course))
    builder.adjust(1)
    builder.row(*leave_row())
    return Screen("\n\n".join(lines), builder.as_markup())


async def practice_screen(session: AsyncSession, member: Member, state: State) -> Screen:
    item = state.practice_item
    if item is None:
        return await done_screen(session, member, state.course)
    return item_screen(card_for(state.course, item, state.practice_number))


async def _practice_course(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    course_id: str,
) -> tuple[Course, State] | None:
    course = library.get(course_id)
    if course is None or course.practice is None:
        await query.answer(_("This button is no longer valid."))
        return None
    state = await current(session, member.id, course)
    if state.stage == "quiz" or (state.stage != "passed" and not state.reading_done):
        screen = await course_screen(session, member, state, library, clock, settings.zone)
        await present(query, screen, session)
        await query.answer(_("Read the lessons first; the practice comes after them."))
        return None
    return course, state


@router.callback_query(StartPractice.filter())
async def start_practice(
    query: CallbackQuery,
    callback_data: StartPractice,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    found = await _practice_course(
        query, session, member, library, clock, settings, callback_data.course
    )
    if found is None:
        return
    course, progress = found
    await place.remember(state, f"practice:{course.id}")
    if not progress.practised:
        await present(query, intro_screen(course), session)
    else:
        await present(query, await practice_screen(session, member, progress), session)
    await query.answer()


@router.callback_query(PracticeNext.filter())
async def next_item(
    query: CallbackQuery,
    callback_data: PracticeNext,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    found = await _practice_course(
        query, session, member, library, clock, settings, callback_data.course
    )
    if found is None:
        return
    await place.remember(state, f"practice:{callback_data.course}")
    await present(query, await practice_screen(session, member, found[1]), session)
    await query.answer()


@router.callback_query(ItemAnswer.filter(F.kind == "p"))
async def practice_answer(
    query: CallbackQuery,
    callback_data: ItemAnswer,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
) -> None:
    course = library.by_key(callback_data.ref)
    if course is None or course.practice is None:
        await query.answer(_("This button is no longer valid."))
        return
    try:
        outcome = await practice_service.answer_practice(
            session,
            member.id,
            course,
            item_id=callback_data.item,
            label=callback_data.label,
            clock=clock,
        )
    except LearningError as error:
        state = await current(session, member.id, course)
        if error.reason == "not_now":
            screen = await course_screen(session, member, state, library, clock, settings.zone)
            note = _("Read the lessons first; the practice comes after them.")
        else:
            screen = await practice_screen(session, member, state)
            if callback_data.item in state.practised:
                note = _("That item was already answered.")
            else:
                note = _("This button is no longer valid.")
        await present(query, screen, session)
        await query.answer(note)
        return
    practice = course.practice
    right = next(label for label in practice.labels if label.id == outcome.item.answer)
    if outcome.correct:
        verdict = _("✅ Right: {label}").format(label=local(right.text))
    else:
        verdict = _("❌ The right answer is: {label}").format(label=local(right.text))
    lines = [verdict, local(outcome.item.feedback)]
    if outcome.credited_minor and practice.currency:
        lines.append(
            _("{amount} training pay").format(
                amount=format_signed_money(outcome.credited_minor, practice.currency)
            )
        )
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Finish ✅") if outcome.finished else _("Next ➡️"),
        callback_data=PracticeNext(course=course.id),
    )
    builder.row(back_to_course(course), menu_button())
    card = card_for(course, outcome.item, outcome.number)
    await present(query, feedback_screen(card, "\n\n".join(lines), builder.as_markup()), session)
    await query.answer()

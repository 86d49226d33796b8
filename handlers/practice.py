"""Practice sets: one item card edited in place, feedback after each answer, training pay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, embed, format_fraction, format_list, format_money, format_signed_money
from courses import practice as practice_service
from courses.content_model import Course, PracticeItem
from courses.library import CourseLibrary, course_key
from courses.progress import LearningError, State, current
from handlers import place
from handlers.callbacks import (
    ItemAnswer,
    OpenCourse,
    PracticeNext,
    PracticeToggle,
    StartPractice,
)
from handlers.filters import IsMember
from handlers.item_card import ItemCard, feedback_screen, item_screen
from handlers.keyboards import leave_row, menu_button
from handlers.learning import course_screen, local
from handlers.preferences import zone_of
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


def tags_screen(course: Course, item: PracticeItem, number: int, chosen: int = 0) -> Screen:
    """A multi-label item: its text or picture, a toggle button a tag (☑️ ticked), then Send.
    `chosen`: the tags ticked so far (bit i: tag i)."""
    practice = course.practice
    assert practice is not None and item.question is not None
    ref = course_key(course.id)
    toggles = [
        InlineKeyboardButton(
            text=f"{'☑️' if chosen >> index & 1 else '⬜'} {local(tag.text)}",
            callback_data=PracticeToggle(ref=ref, item=item.id, m=chosen ^ (1 << index)).pack(),
        )
        for index, tag in enumerate(item.tags)
    ]
    rows = [toggles[start : start + 2] for start in range(0, len(toggles), 2)]
    send = _("📨 Send ({count} chosen)").format(count=embed(bin(chosen).count("1")))
    submit = PracticeToggle(ref=ref, item=item.id, m=chosen, submit=True)
    rows.append([InlineKeyboardButton(text=send, callback_data=submit.pack())])
    rows.append([back_to_course(course), menu_button()])
    body = f"{local(item.question)}\n{format_fraction(number, len(practice.items))}"
    if item.text:
        body = f"{local(item.text)}\n\n{body}"
    return Screen(body, InlineKeyboardMarkup(inline_keyboard=rows), item.image)


def tags_verdict(item: PracticeItem, chosen: frozenset[str]) -> str:
    """Which ticked tags were right, which were missed, which were wrong."""
    names = {tag.id: local(tag.text) for tag in item.tags}

    def listed(ids: frozenset[str]) -> str:
        return format_list(names[tag.id] for tag in item.tags if tag.id in ids)

    right, missed, wrong = chosen & item.answers, item.answers - chosen, chosen - item.answers
    lines = [_("✅ All right: {tags}").format(tags=listed(right))] if chosen == item.answers else []
    if not lines:
        if right:
            lines.append(_("✅ Right: {tags}").format(tags=listed(right)))
        if missed:
            lines.append(_("⬜ Missed: {tags}").format(tags=listed(missed)))
        if wrong:
            lines.append(_("❌ Wrong, these do not apply: {tags}").format(tags=listed(wrong)))
    return "\n".join(lines)


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
    if item.multi:
        return tags_screen(state.course, item, state.practice_number)
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
        screen = await course_screen(
            session, member, state, library, clock, zone_of(member, settings)
        )
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
        item_id = callback_data.item
        await _refuse(query, session, member, course, library, clock, settings, error, item_id)
        return
    await _feedback(query, session, course, outcome)


async def _refuse(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    course: Course,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    error: LearningError,
    item_id: str,
) -> None:
    """The screen for where the trainee is, with why the button did nothing."""
    state = await current(session, member.id, course)
    if error.reason == "not_now":
        screen = await course_screen(
            session, member, state, library, clock, zone_of(member, settings)
        )
        note = _("Read the lessons first; the practice comes after them.")
    else:
        screen = await practice_screen(session, member, state)
        if item_id in state.practised:
            note = _("That item was already answered.")
        else:
            note = _("This button is no longer valid.")
    await present(query, screen, session)
    await query.answer(note)


async def _feedback(
    query: CallbackQuery,
    session: AsyncSession,
    course: Course,
    outcome: practice_service.PracticeOutcome,
) -> None:
    practice = course.practice
    assert practice is not None
    item = outcome.item
    if item.multi:
        verdict = tags_verdict(item, frozenset(filter(None, outcome.chosen.split(","))))
    else:
        right = next(label for label in practice.labels if label.id == item.answer)
        if outcome.correct:
            verdict = _("✅ Right: {label}").format(label=local(right.text))
        else:
            verdict = _("❌ The right answer is: {label}").format(label=local(right.text))
    lines = [verdict, local(item.feedback)]
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
    if item.multi:
        body = "\n\n".join([local(item.text), *lines]) if item.text else "\n\n".join(lines)
        screen = Screen(body, builder.as_markup(), item.image)
    else:
        card = card_for(course, item, outcome.number)
        screen = feedback_screen(card, "\n\n".join(lines), builder.as_markup())
    await present(query, screen, session)
    await query.answer()


@router.callback_query(PracticeToggle.filter())
async def practice_toggle(
    query: CallbackQuery,
    callback_data: PracticeToggle,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
) -> None:
    """A tag ticked or unticked (the card again), or the ticked tags sent (the feedback)."""
    course = library.by_key(callback_data.ref)
    if course is None or course.practice is None:
        await query.answer(_("This button is no longer valid."))
        return
    item = next((i for i in course.practice.items if i.id == callback_data.item), None)
    try:
        if item is None or not item.multi or not 0 <= callback_data.m < 1 << len(item.tags):
            raise LearningError("stale")
        if not callback_data.submit:
            state = await current(session, member.id, course)
            if state.practice_item != item:
                raise LearningError("stale")
            screen = tags_screen(course, item, state.practice_number, callback_data.m)
            await present(query, screen, session)
            await query.answer()
            return
        tags = frozenset(t.id for i, t in enumerate(item.tags) if callback_data.m >> i & 1)
        outcome = await practice_service.answer_practice(
            session, member.id, course, item_id=item.id, tags=tags, clock=clock
        )
    except LearningError as error:
        item_id = callback_data.item
        await _refuse(query, session, member, course, library, clock, settings, error, item_id)
        return
    await _feedback(query, session, course, outcome)

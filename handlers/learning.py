"""/learn: the course list, lessons edited in place, and quizzes."""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import F
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import (
    _,
    current_locale,
    embed,
    format_datetime,
    format_fraction,
    format_list,
    format_percent,
    ngettext,
)
from courses import pages, quiz
from courses.content_model import Course
from courses.library import CourseLibrary, course_key
from courses.pages import CourseSummary
from courses.progress import LearningError, State, current
from courses.quiz import QuizOutcome
from handlers import place
from handlers.callbacks import (
    GetCertificate,
    MenuAction,
    OpenCourse,
    PickOption,
    QuizContinue,
    StartPractice,
    StartQuiz,
    TurnPage,
)
from handlers.filters import IsMember
from handlers.keyboards import leave_row, menu_button
from handlers.preferences import zone_of
from handlers.routing import Routes
from handlers.screens import Screen, present
from people.accounts import Member
from tasks import work as work_service
from tasks.models import WorkProject

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

router = Routes(__name__, IsMember())


def local(text: dict[str, str]) -> str:
    return text.get(current_locale()) or text["en"]


def progress_bar(done: int, total: int) -> str:
    return "▰" * done + "▱" * (total - done) + " " + format_fraction(done, total)


def minutes_until(until: datetime, now: datetime) -> int:
    return max(1, ceil((until - now).total_seconds() / 60))


def local_time(when: datetime, zone: ZoneInfo) -> str:
    """One moment as the trainee reads it: date and time in the deployment's zone."""
    return format_datetime(when, fmt="short", tzinfo=zone)


def course_list(states: list[CourseSummary]) -> Screen:
    builder = InlineKeyboardBuilder()
    for state in states:
        icon = "✅" if state.stage == "passed" else "📘"
        bar = progress_bar(state.steps_done, state.steps_total)
        label = f"{icon} {local(state.course.title)} {bar}"
        builder.button(text=label, callback_data=OpenCourse(course=state.course.id))
    builder.add(menu_button())
    builder.adjust(1)
    if not states:
        return Screen(_("There are no courses yet."), builder.as_markup())
    text = _("📚 Courses\n\nChoose a course. Your place is saved at every step.")
    return Screen(text, builder.as_markup())


def _turn(state: State, forward: bool) -> TurnPage:
    lesson = state.lesson.id if state.lesson is not None else ""
    return TurnPage(course=state.course.id, lesson=lesson, page=state.page, forward=forward)


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _nav(state: State) -> InlineKeyboardMarkup:
    """Next alone on the first row, so it never moves; Back (not on the first page) below it,
    then the course list and the menu."""
    rows = [[_button(_("Next ➡️"), _turn(state, forward=True))]]
    if not (state.lesson_number == 1 and state.page == 1):
        rows.append([_button(_("⬅️ Back"), _turn(state, forward=False))])
    rows.append(leave_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _markup(builder: InlineKeyboardBuilder) -> InlineKeyboardMarkup:
    """One button a row, then the course list and the menu side by side."""
    builder.adjust(1)
    builder.row(*leave_row())
    return builder.as_markup()


def page_screen(state: State) -> Screen:
    course, lesson = state.course, state.lesson
    assert lesson is not None
    page = lesson.pages[state.page - 1]
    heading = _("{course} · Lesson {number}: {lesson} ({page}/{pages})").format(
        course=local(course.title),
        number=embed(state.lesson_number),
        lesson=local(lesson.title),
        page=embed(state.page),
        pages=embed(len(lesson.pages)),
    )
    return Screen(f"{heading}\n\n{local(page.text)}", _nav(state), page.image)


def quiz_door(state: State) -> Screen:
    course = state.course
    lines = [
        local(course.title),
        "",
        ngettext(
            "You have read every lesson. The quiz has {count} question; "
            "you pass with {mark} right answers.",
            "You have read every lesson. The quiz has {count} questions; "
            "you pass with {mark} right answers.",
            len(course.quiz),
        ).format(count=embed(len(course.quiz)), mark=embed(format_percent(course.pass_mark / 100))),
    ]
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📝 Start the quiz"), callback_data=StartQuiz(course=course.id))
    if course.practice is not None and not state.practice_done:
        builder.button(text=_("🎯 Practice"), callback_data=StartPractice(course=course.id))
    builder.button(text=_("⬅️ Back"), callback_data=_turn(state, forward=False))
    return Screen("\n".join(lines), _markup(builder))


def question_screen(state: State) -> Screen:
    course, question = state.course, state.question
    assert question is not None
    heading = _("{course} · Quiz, question {number} of {total}").format(
        course=local(course.title),
        number=embed(state.question_number),
        total=embed(len(course.quiz)),
    )
    builder = InlineKeyboardBuilder()
    for option in question.options:
        builder.button(
            text=local(option.text),
            callback_data=PickOption(
                course=course_key(course.id),
                attempt=state.attempt,
                question=question.id,
                option=option.id,
            ),
        )
    return Screen(f"{heading}\n\n{local(question.text)}", _markup(builder))


def feedback_screen(course: Course, outcome: QuizOutcome) -> Screen:
    question = outcome.question
    right = next(o for o in question.options if o.id == question.answer)
    if outcome.correct:
        verdict = _("✅ Right!")
    else:
        verdict = _("❌ Not quite. The right answer is: {answer}").format(answer=local(right.text))
    text = f"{local(question.text)}\n\n{verdict}\n\n{local(question.explanation)}"
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Next ➡️"), callback_data=QuizContinue(course=course.id))
    builder.add(menu_button())
    builder.adjust(1)
    return Screen(text, builder.as_markup())


def passed_screen(state: State, score: int, total: int, opened: list[WorkProject]) -> Screen:
    """`opened`: the open projects that need this course's skill and that the trainee may do."""
    course = state.course
    lines = [
        _("🎉 You passed {course} with {score} of {total} right answers!").format(
            course=local(course.title), score=embed(score), total=embed(total)
        )
    ]
    if opened:
        names = format_list(local(p.spec["title"]) for p in opened)
        lines.append(
            _(
                "Paid projects that need this course are now open to you in Work: {projects}."
            ).format(projects=names)
        )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🎓 My certificate"), callback_data=GetCertificate(course=course.id))
    if course.practice is not None and not state.practice_done:
        builder.button(text=_("🎯 Practice"), callback_data=StartPractice(course=course.id))
    if opened:
        builder.button(text=_("🛠 Work"), callback_data=MenuAction(action="work"))
    if course.lessons:  # from the end, forward after passing is the first page again
        builder.button(text=_("📖 Read the lessons again"), callback_data=_turn(state, True))
    return Screen("\n\n".join(lines), _markup(builder))


def failed_screen(
    state: State, score: int, total: int, until: datetime | None, zone: ZoneInfo
) -> Screen:
    """The last attempt's score; Try again only once the cooldown is over (`until` None)."""
    course = state.course
    if until is None:
        when = _("You can take the quiz again now.")
    else:
        when = _("Read the lessons again if you like. You can take the quiz again at {time}.")
        when = when.format(time=local_time(until, zone))
    text = "\n\n".join(
        [
            _("You got {score} of {total} right. You need {mark} to pass.").format(
                score=embed(score),
                total=embed(total),
                mark=embed(format_percent(course.pass_mark / 100)),
            ),
            when,
        ]
    )
    builder = InlineKeyboardBuilder()
    if until is None:
        builder.button(text=_("🔁 Try again"), callback_data=StartQuiz(course=course.id))
    builder.button(text=_("📖 Back to the lessons"), callback_data=_turn(state, forward=False))
    return Screen(text, _markup(builder))


async def course_screen(
    session: AsyncSession,
    member: Member,
    state: State,
    library: CourseLibrary,
    clock: Clock,
    zone: ZoneInfo,
) -> Screen:
    """The screen for where the trainee is in a course (a page, also when reading again after
    passing; the quiz; the result), times shown in `zone`.

    Called before anything is said to Telegram: a quiz left with every question answered (one
    was removed from the course meanwhile) is finished here."""
    course = state.course
    if state.stage == "quiz" and state.question is None:
        state = await quiz.finish_if_answered(session, member.id, course, clock)
    if state.stage == "quiz":
        return question_screen(state)
    if state.stage == "passed" and state.lesson is None:
        last = await quiz.last_score(session, member.id, course)
        score, total = (last.score, last.total) if last else (0, len(course.quiz))
        skills = await quiz.skills(session, member.id)
        opened = [
            p
            for p in await work_service.projects_for(session, skills)
            if course.skill in p.spec.get("requires", ())
        ]
        return passed_screen(state, score, total, opened)
    if state.at_quiz_door:
        wait = await quiz.retry_at(session, member.id, course, clock)
        last = await quiz.last_score(session, member.id, course)
        if last is not None:
            return failed_screen(state, last.score, last.total, wait, zone)
        return quiz_door(state)
    return page_screen(state)


async def _show_course(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    progress: State,
    library: CourseLibrary,
    clock: Clock,
    zone: ZoneInfo,
    fsm: FSMContext,
    note: str | None = None,
) -> None:
    screen = await course_screen(session, member, progress, library, clock, zone)
    await place.remember(fsm, f"course:{progress.course.id}")
    await present(query, screen, session)
    await query.answer(note)


async def _course_or_refuse(
    query: CallbackQuery, library: CourseLibrary, course_id: str
) -> Course | None:
    course = library.get(course_id)
    if course is None:
        await query.answer(_("This course is not available any more."), show_alert=True)
    return course


@router.message(Command("learn"))
async def learn_command(
    message: Message,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    state: FSMContext,
) -> None:
    await place.remember(state, "learn")
    await present(message, course_list(await pages.overview(session, member.id, library)), session)


@router.callback_query(MenuAction.filter(F.action == "learn"))
async def learn_menu(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    state: FSMContext,
) -> None:
    await place.remember(state, "learn")
    await present(query, course_list(await pages.overview(session, member.id, library)), session)
    await query.answer()


@router.callback_query(OpenCourse.filter())
async def open_course(
    query: CallbackQuery,
    callback_data: OpenCourse,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    course = await _course_or_refuse(query, library, callback_data.course)
    if course is None:
        return
    progress = await pages.open_course(session, member.id, course, clock)
    await _show_course(
        query, session, member, progress, library, clock, zone_of(member, settings), state
    )


@router.callback_query(TurnPage.filter())
async def turn_page(
    query: CallbackQuery,
    callback_data: TurnPage,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    course = await _course_or_refuse(query, library, callback_data.course)
    if course is None:
        return
    try:
        progress = await pages.turn_page(
            session,
            member.id,
            course,
            lesson_id=callback_data.lesson,
            page=callback_data.page,
            forward=callback_data.forward,
            clock=clock,
        )
    except LearningError:
        progress = await pages.open_course(session, member.id, course, clock)
    await _show_course(
        query, session, member, progress, library, clock, zone_of(member, settings), state
    )


@router.callback_query(StartQuiz.filter())
async def start_quiz(
    query: CallbackQuery,
    callback_data: StartQuiz,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    course = await _course_or_refuse(query, library, callback_data.course)
    if course is None:
        return
    try:
        progress = await quiz.start_quiz(session, member.id, course, clock)
    except LearningError as error:
        if error.reason == "cooldown" and error.until is not None:
            await query.answer(
                _("Not yet: you can take the quiz again at {time}.").format(
                    time=local_time(error.until, zone_of(member, settings))
                ),
                show_alert=True,
            )
            return
        progress = await current(session, member.id, course)
    await _show_course(
        query, session, member, progress, library, clock, zone_of(member, settings), state
    )


@router.callback_query(PickOption.filter())
async def pick_option(
    query: CallbackQuery,
    callback_data: PickOption,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    course = library.by_key(callback_data.course)
    if course is None:
        await query.answer(_("This course is not available any more."), show_alert=True)
        return
    try:
        outcome = await quiz.answer_question(
            session,
            member.id,
            course,
            attempt=callback_data.attempt,
            question_id=callback_data.question,
            option_id=callback_data.option,
            clock=clock,
        )
    except LearningError:
        progress = await current(session, member.id, course)
        answered = progress.attempt == callback_data.attempt and callback_data.question in (
            progress.answered
        )
        if answered or (progress.stage != "quiz" and progress.attempt == callback_data.attempt):
            note = _("That question was already answered.")
        else:
            note = _("This button is no longer valid.")
        await _show_course(
            query, session, member, progress, library, clock, zone_of(member, settings), state, note
        )
        return
    await present(query, feedback_screen(course, outcome), session)
    await query.answer()


@router.callback_query(QuizContinue.filter())
async def quiz_continue(
    query: CallbackQuery,
    callback_data: QuizContinue,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    course = await _course_or_refuse(query, library, callback_data.course)
    if course is None:
        return
    progress = await current(session, member.id, course)
    await _show_course(
        query, session, member, progress, library, clock, zone_of(member, settings), state
    )

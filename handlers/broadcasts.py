"""Coordinators' announcements: audience, a text per language, a photo, a preview, then now or
at a time; one status message counts what went out and can stop the rest.

The conversation's state (which draft, which language is asked) lives in the FSM storage, in
the database: a restart in the middle of writing resumes at the same question. The draft
itself is a `broadcasts` row. Every button names its broadcast and is checked again: a draft
only by its author, a running broadcast by its organisation's coordinators or an admin.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.bidi import isolate_ltr
from core.clock import Clock
from core.db import SessionFactory, WriteGate
from core.i18n import _, embed, format_datetime, format_number, ngettext, use_locale
from core.locales import CATALOG_LOCALES, LANGUAGE_NAMES
from core.text_input import parse_number
from courses.library import CourseLibrary, course_key
from handlers.callbacks import BroadcastAudience, BroadcastStep, MenuAction
from handlers.keyboards import menu_button
from handlers.learning import local
from handlers.routing import Routes
from handlers.screens import Screen, present
from handlers.work import title
from outreach import audience as audiences
from outreach import broadcasts
from outreach.audience import (
    ACTIVE,
    COHORT,
    COURSE_DONE,
    COURSE_NOT_DONE,
    EVERYONE,
    KINDS,
    LANGUAGE,
    PROJECT,
    Audience,
    AudienceError,
)
from outreach.broadcasts import BroadcastError, Progress
from outreach.models import CANCELLED, DONE, DRAFT, RUNNING, SCHEDULED, Broadcast
from people.accounts import Member

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

log = logging.getLogger(__name__)

DRAFT_KEY, LOCALE_KEY = "broadcast", "broadcast_locale"  # FSM data
DAYS = (1, 3, 7, 14, 30)  # "active in the last N days" choices
MAX_AHEAD = timedelta(days=60)  # how far ahead a broadcast may be scheduled
STATUS_EVERY = 5.0  # seconds between two refreshes of the status messages
REPORT_KIND = "broadcast_report"  # the outbox kind of the final report to the author
_DATE_TIME = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2})[:.](\d{2})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


class CoordinatorOrAdmin(Filter):
    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None and (member.is_coordinator or member.is_admin)


router = Routes(__name__, CoordinatorOrAdmin())


class BroadcastFlow(StatesGroup):
    text = State()  # a text for the language in LOCALE_KEY
    photo = State()
    when = State()  # the time to send it


def invalid() -> str:
    return _("This button is no longer valid.")


def _people(count: int) -> str:
    return ngettext("{count} person", "{count} people", count).format(
        count=embed(format_number(count))
    )


def _cancel_button(builder: InlineKeyboardBuilder, broadcast_id: int) -> None:
    builder.button(text=_("✖ Cancel"), callback_data=BroadcastStep(b=broadcast_id, do="stop"))


# Choosing the audience


def audience_screen(member: Member, note: str | None = None) -> Screen:
    builder = InlineKeyboardBuilder()
    labels = {
        EVERYONE: _("Everyone") if member.is_admin else _("Everyone in your groups"),
        COHORT: _("One group"),
        LANGUAGE: _("One language"),
        COURSE_DONE: _("Finished a course"),
        COURSE_NOT_DONE: _("Not finished a course"),
        PROJECT: _("Can work on a project"),
        ACTIVE: _("Active recently"),
    }
    for kind in KINDS:
        builder.button(text=labels[kind], callback_data=BroadcastAudience(kind=kind))
    builder.adjust(1)
    builder.row(menu_button())
    text = _("📣 New announcement\n\nWho should get it?")
    return Screen(f"{note}\n\n{text}" if note else text, builder.as_markup())


async def _choices_screen(
    session: AsyncSession, member: Member, library: CourseLibrary, kind: str
) -> Screen | None:
    """The second choice an audience needs (which group, language, course, project, days)."""
    builder = InlineKeyboardBuilder()
    if kind == COHORT:
        found = await audiences.cohorts_within(session, audiences.reach_of(member))
        if not found:
            return None
        for cohort in found:
            label = f"{cohort.name} · {cohort.organisation}" if member.is_admin else cohort.name
            builder.button(
                text=label[:60], callback_data=BroadcastAudience(kind=kind, value=str(cohort.id))
            )
        question = _("Which group?")
    elif kind == LANGUAGE:
        for locale in CATALOG_LOCALES:
            builder.button(
                text=LANGUAGE_NAMES[locale],
                callback_data=BroadcastAudience(kind=kind, value=locale),
            )
        question = _("People who read which language?")
    elif kind in (COURSE_DONE, COURSE_NOT_DONE):
        for course in library.courses:
            builder.button(
                text=local(course.title)[:60],
                callback_data=BroadcastAudience(kind=kind, value=course_key(course.id)),
            )
        question = _("Which course?")
    elif kind == PROJECT:
        projects = await audiences.projects_not_closed(session)
        if not projects:
            return None
        for project in projects:
            builder.button(
                text=title(project)[:60],
                callback_data=BroadcastAudience(kind=kind, value=course_key(project.id)),
            )
        question = _("People who can work on which project?")
    else:
        for days in DAYS:
            builder.button(
                text=ngettext("Last {count} day", "Last {count} days", days).format(
                    count=embed(days)
                ),
                callback_data=BroadcastAudience(kind=kind, value=str(days)),
            )
        question = _("Active in the last how many days?")
    builder.adjust(1 if kind in (COHORT, COURSE_DONE, COURSE_NOT_DONE, PROJECT) else 2)
    builder.button(text=_("⬅️ Back"), callback_data=MenuAction(action="broadcast"))
    return Screen(question, builder.as_markup())


async def _audience(
    session: AsyncSession, library: CourseLibrary, kind: str, value: str
) -> Audience | None:
    """The audience a button names, or None when its value names nothing."""
    if kind == EVERYONE:
        return Audience(kind)
    if kind == COHORT:
        cohort_id = parse_number(value, low=1, high=2**31 - 1)
        return Audience(kind, cohort_id=cohort_id) if cohort_id else None
    if kind == LANGUAGE:
        return Audience(kind, locale=value) if value in CATALOG_LOCALES else None
    if kind in (COURSE_DONE, COURSE_NOT_DONE):
        course = library.by_key(value)
        return Audience(kind, course_id=course.id) if course else None
    if kind == PROJECT:
        projects = await audiences.projects_not_closed(session)
        found = next((p for p in projects if course_key(p.id) == value), None)
        return Audience(kind, project_id=found.id) if found else None
    days = parse_number(value, low=1, high=audiences.MAX_DAYS)
    return Audience(kind, days=days) if days else None


async def audience_label(
    session: AsyncSession, library: CourseLibrary, audience: Audience, member: Member
) -> str:
    kind = audience.kind
    if kind == COHORT and audience.cohort_id is not None:
        name = await audiences.cohort_name(session, audience.cohort_id) or "?"
        return _("Group {cohort}").format(cohort=embed(name))
    if kind == LANGUAGE and audience.locale:
        return _("People who read {language}").format(
            language=embed(LANGUAGE_NAMES[audience.locale])
        )
    if kind in (COURSE_DONE, COURSE_NOT_DONE):
        course = library.get(audience.course_id or "")
        name = embed(local(course.title) if course else audience.course_id or "?")
        if kind == COURSE_DONE:
            return _("People who finished {course}").format(course=name)
        return _("People who have not finished {course}").format(course=name)
    if kind == PROJECT:
        projects = await audiences.projects_not_closed(session)
        found = next((p for p in projects if p.id == audience.project_id), None)
        name = embed(title(found) if found else audience.project_id or "?")
        return _("People who can work on {project}").format(project=name)
    if kind == ACTIVE and audience.days:
        return ngettext(
            "People active in the last {count} day",
            "People active in the last {count} days",
            audience.days,
        ).format(count=embed(audience.days))
    return _("Everyone") if member.is_admin else _("Everyone in your groups")


async def _start(
    target: Message | CallbackQuery,
    member: Member,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
) -> None:
    """A new announcement; one left half-written is dropped."""
    left = await _draft(session, member, (await state.get_data()).get(DRAFT_KEY))
    if left is not None:
        await broadcasts.cancel(session, left, clock.now())
    await state.clear()
    await present(target, audience_screen(member), session)


@router.message(Command("broadcast"))
async def broadcast_command(
    message: Message, member: Member, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    await _start(message, member, state, session, clock)


@router.callback_query(MenuAction.filter(F.action == "broadcast"))
async def broadcast_button(
    query: CallbackQuery, member: Member, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    await _start(query, member, state, session, clock)
    await query.answer()


@router.callback_query(BroadcastAudience.filter())
async def audience_chosen(
    query: CallbackQuery,
    callback_data: BroadcastAudience,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    state: FSMContext,
) -> None:
    kind = callback_data.kind
    if kind not in KINDS:
        await query.answer(invalid())
        return
    if kind != EVERYONE and not callback_data.value:
        screen = await _choices_screen(session, member, library, kind)
        if screen is None:
            await query.answer(_("There is nothing to choose from yet."), show_alert=True)
            return
        await present(query, screen, session)
        await query.answer()
        return
    chosen = await _audience(session, library, kind, callback_data.value)
    if chosen is None:
        await query.answer(invalid())
        return
    try:
        draft = await broadcasts.start(session, member, chosen, clock.now())
    except AudienceError:  # a group of another organisation, or one that is gone
        await query.answer(invalid())
        return
    sizes = await broadcasts.sizes(session, draft, clock.now())
    if not sum(sizes.values()):
        await broadcasts.cancel(session, draft, clock.now())
        await present(
            query,
            audience_screen(member, _("No one is in this audience. Choose another.")),
            session,
        )
        await query.answer()
        return
    assert draft.id is not None
    first = _next_locale(sizes, None)
    assert first is not None
    await state.set_state(BroadcastFlow.text)
    await state.set_data({DRAFT_KEY: draft.id, LOCALE_KEY: first})
    label = await audience_label(session, library, chosen, member)
    heading = _("Audience: {audience}, {people}.").format(
        audience=label, people=_people(sum(sizes.values()))
    )
    await present(query, _text_prompt(draft, sizes, first, heading), session)
    await query.answer()


# Writing the texts


def _next_locale(sizes: dict[str, int], after: str | None) -> str | None:
    """The next language (in catalog order) that someone in the audience reads."""
    start = CATALOG_LOCALES.index(after) + 1 if after in CATALOG_LOCALES else 0
    return next((loc for loc in CATALOG_LOCALES[start:] if sizes.get(loc)), None)


def _text_prompt(
    draft: Broadcast, sizes: dict[str, int], locale: str, heading: str | None = None
) -> Screen:
    assert draft.id is not None
    text = _(
        "Write the text for people who read {language} ({people}) and send it to me. "
        "Or skip it: they then get a text in another language."
    ).format(language=embed(LANGUAGE_NAMES[locale]), people=_people(sizes.get(locale, 0)))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("⏭ Skip this language"), callback_data=BroadcastStep(b=draft.id, do="skip")
    )
    _cancel_button(builder, draft.id)
    builder.adjust(1)
    return Screen(f"{heading}\n\n{text}" if heading else text, builder.as_markup())


async def _draft(session: AsyncSession, member: Member, broadcast_id: object) -> Broadcast | None:
    """The member's own draft with this id, or None."""
    if not isinstance(broadcast_id, int):
        return None
    try:
        found = await broadcasts.own(session, member, broadcast_id)
    except (BroadcastError, AudienceError):
        return None
    return found if found.state == DRAFT and found.author_id == member.id else None


async def _after_text(
    target: Message | CallbackQuery,
    session: AsyncSession,
    draft: Broadcast,
    locale: str,
    clock: Clock,
    state: FSMContext,
) -> None:
    """The next language to write, else the fallback question, else the photo question."""
    assert draft.id is not None
    sizes = await broadcasts.sizes(session, draft, clock.now())
    following = _next_locale(sizes, locale)
    if following is not None:
        await state.update_data({LOCALE_KEY: following})
        await present(target, _text_prompt(draft, sizes, following), session)
        return
    if not draft.texts:
        first = _next_locale(sizes, None) or CATALOG_LOCALES[0]
        await state.update_data({LOCALE_KEY: first})
        note = _("Every language was skipped. Please write at least one text.")
        await present(target, _text_prompt(draft, sizes, first, note), session)
        return
    missing = [loc for loc in CATALOG_LOCALES if sizes.get(loc) and loc not in draft.texts]
    if missing and len(draft.texts) > 1:
        await state.set_state(None)
        builder = InlineKeyboardBuilder()
        for written in CATALOG_LOCALES:
            if written in draft.texts:
                builder.button(
                    text=LANGUAGE_NAMES[written],
                    callback_data=BroadcastStep(b=draft.id, do="fallback", v=written),
                )
        _cancel_button(builder, draft.id)
        builder.adjust(1)
        question = _(
            "People who read {languages} have no text of their own. Which text should they get?"
        ).format(languages=", ".join(embed(LANGUAGE_NAMES[loc]) for loc in missing))
        await present(target, Screen(question, builder.as_markup()), session)
        return
    await _ask_photo(target, session, draft, state)


async def _ask_photo(
    target: Message | CallbackQuery, session: AsyncSession, draft: Broadcast, state: FSMContext
) -> None:
    assert draft.id is not None
    await state.set_state(BroadcastFlow.photo)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("No photo"), callback_data=BroadcastStep(b=draft.id, do="nophoto"))
    _cancel_button(builder, draft.id)
    builder.adjust(1)
    text = _("Add a photo? Send it to me now, or tap No photo.")
    await present(target, Screen(text, builder.as_markup()), session)


@router.message(BroadcastFlow.text, F.text, ~F.text.startswith("/"))
async def text_written(
    message: Message,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    draft = await _draft(session, member, data.get(DRAFT_KEY))
    locale = str(data.get(LOCALE_KEY) or "")
    if draft is None or locale not in CATALOG_LOCALES:
        await state.clear()
        await message.answer(
            _("This announcement is no longer being written. Send /broadcast to start one.")
        )
        return
    try:
        broadcasts.set_text(draft, locale, message.text or "")
    except BroadcastError:
        await message.answer(
            _("That text is too long: a message holds at most {count} characters.").format(
                count=embed(broadcasts.TEXT_LIMIT)
            )
        )
        return
    await _after_text(message, session, draft, locale, clock, state)


@router.message(BroadcastFlow.photo, F.photo)
async def photo_sent(
    message: Message,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    state: FSMContext,
    library: CourseLibrary,
) -> None:
    data = await state.get_data()
    draft = await _draft(session, member, data.get(DRAFT_KEY))
    if draft is None or not message.photo:
        await state.clear()
        await message.answer(
            _("This announcement is no longer being written. Send /broadcast to start one.")
        )
        return
    try:
        broadcasts.set_photo(draft, message.photo[-1].file_id)
    except BroadcastError:
        await message.answer(
            _(
                "With a photo, a text can be at most {count} characters long, and one of yours "
                "is longer. Tap No photo, or cancel and write shorter texts."
            ).format(count=embed(broadcasts.CAPTION_LIMIT))
        )
        return
    await _preview(message, session, draft, member, library, clock, state)


async def _preview(
    target: Message | CallbackQuery,
    session: AsyncSession,
    draft: Broadcast,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    state: FSMContext,
) -> None:
    """Each text exactly as its people get it, then who gets which and the ways to send."""
    assert draft.id is not None
    await state.set_state(None)
    sizes = await broadcasts.sizes(session, draft, clock.now())
    found = broadcasts.variants(draft, sizes)
    label = await audience_label(session, library, broadcasts.audience_of(draft), member)
    lines = [
        _("Preview: above is exactly what each group gets, in this order."),
        _("Audience: {audience}, {people}.").format(
            audience=label, people=_people(sum(sizes.values()))
        ),
    ]
    for number, variant in enumerate(found, 1):
        lines.append(
            _("{number}. {languages}: {people}, the text in {language}").format(
                number=embed(number),
                languages=", ".join(embed(LANGUAGE_NAMES[loc]) for loc in variant.locales),
                people=_people(variant.people),
                language=embed(LANGUAGE_NAMES[variant.text_locale]),
            )
        )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📤 Send now"), callback_data=BroadcastStep(b=draft.id, do="now"))
    builder.button(text=_("🕒 Send later"), callback_data=BroadcastStep(b=draft.id, do="later"))
    _cancel_button(builder, draft.id)
    builder.adjust(2, 1)
    bot = target.bot
    assert bot is not None
    chat_id = target.chat.id if isinstance(target, Message) else target.from_user.id
    if isinstance(target, CallbackQuery):
        await present(target, Screen(_("Here is the preview.")), session)
    for variant in found:
        if draft.photo:
            await bot.send_photo(chat_id, draft.photo, caption=variant.text)
        else:
            await bot.send_message(chat_id, variant.text)
    await bot.send_message(chat_id, "\n".join(lines), reply_markup=builder.as_markup())


@router.callback_query(BroadcastStep.filter())
async def step(
    query: CallbackQuery,
    callback_data: BroadcastStep,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    state: FSMContext,
    settings: Settings,
) -> None:
    do = callback_data.do
    if do in ("cancel", "cancel_ok", "status"):
        await _running_step(query, callback_data, session, member, clock, settings)
        return
    draft = await _draft(session, member, callback_data.b)
    if draft is None:
        await query.answer(invalid())
        return
    data = await state.get_data()
    if do == "skip":
        locale = str(data.get(LOCALE_KEY) or "")
        if data.get(DRAFT_KEY) != draft.id or locale not in CATALOG_LOCALES:
            await query.answer(invalid())
            return
        await _after_text(query, session, draft, locale, clock, state)
    elif do == "fallback":
        try:
            broadcasts.set_fallback(draft, callback_data.v)
        except BroadcastError:
            await query.answer(invalid())
            return
        await state.update_data({DRAFT_KEY: draft.id})
        await _ask_photo(query, session, draft, state)
    elif do == "nophoto":
        broadcasts.set_photo(draft, None)
        await _preview(query, session, draft, member, library, clock, state)
    elif do == "now":
        await _confirm_screen(query, session, draft, None, clock, settings)
    elif do == "later":
        await state.set_state(BroadcastFlow.when)
        await state.set_data({DRAFT_KEY: draft.id})
        await present(query, _when_prompt(draft, clock, settings), session)
    elif do == "send":
        await _send(query, session, draft, callback_data.v, clock, state, settings)
        return
    elif do == "stop":
        await broadcasts.cancel(session, draft, clock.now())
        await state.clear()
        await present(query, Screen(_("Cancelled. Nothing was sent.")), session)
    else:
        await query.answer(invalid())
        return
    await query.answer()


# When to send it


def _when_prompt(
    draft: Broadcast, clock: Clock, settings: Settings, note: str | None = None
) -> Screen:
    assert draft.id is not None
    example = (clock.now() + timedelta(days=1)).astimezone(settings.zone)
    text = _(
        "When should it go? Send the date and time in the time zone {zone}, like {example}. "
        "A time alone means today, or tomorrow if it has passed."
    ).format(
        zone=isolate_ltr(settings.timezone),
        example=isolate_ltr(example.strftime("%Y-%m-%d 18:00")),
    )
    builder = InlineKeyboardBuilder()
    _cancel_button(builder, draft.id)
    return Screen(f"{note}\n\n{text}" if note else text, builder.as_markup())


def _ascii_digits(text: str) -> str:
    return "".join(
        str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch
        for ch in text.strip()
    )


def parse_when(text: str, now: datetime, zone: tzinfo) -> datetime | None:
    """A moment written as "YYYY-MM-DD HH:MM" or "HH:MM" (today, or tomorrow once passed) in
    `zone`, in any script's digits; None if it is no such moment."""
    written = _ascii_digits(text)
    local_now = now.astimezone(zone)
    try:
        if match := _DATE_TIME.match(written):
            year, month, day, hour, minute = (int(part) for part in match.groups())
            return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)
        if match := _TIME.match(written):
            hour, minute = (int(part) for part in match.groups())
            moment = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if moment <= local_now:
                moment += timedelta(days=1)
            return moment.astimezone(UTC)
    except ValueError:  # the 31st of a short month, 25 o'clock
        return None
    return None


@router.message(BroadcastFlow.when, F.text, ~F.text.startswith("/"))
async def when_written(
    message: Message,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    state: FSMContext,
    settings: Settings,
) -> None:
    data = await state.get_data()
    draft = await _draft(session, member, data.get(DRAFT_KEY))
    if draft is None:
        await state.clear()
        await message.answer(
            _("This announcement is no longer being written. Send /broadcast to start one.")
        )
        return
    now = clock.now()
    at = parse_when(message.text or "", now, settings.zone)
    if at is None or at <= now or at > now + MAX_AHEAD:
        note = _("I could not use that time: it must be in the next {count} days.").format(
            count=embed(MAX_AHEAD.days)
        )
        await present(message, _when_prompt(draft, clock, settings, note), session)
        return
    await state.set_state(None)
    await _confirm_screen(message, session, draft, at, clock, settings)


async def _confirm_screen(
    target: Message | CallbackQuery,
    session: AsyncSession,
    draft: Broadcast,
    at: datetime | None,
    clock: Clock,
    settings: Settings,
) -> None:
    assert draft.id is not None
    people = _people(sum((await broadcasts.sizes(session, draft, clock.now())).values()))
    if at is None:
        question = _("Send it to {people} now?").format(people=people)
    else:
        question = _("Send it to {people} on {date}?").format(
            people=people, date=format_datetime(at, fmt="short", tzinfo=settings.zone)
        )
    builder = InlineKeyboardBuilder()
    when = "" if at is None else str(int(at.timestamp()))
    builder.button(
        text=_("✅ Yes, send"), callback_data=BroadcastStep(b=draft.id, do="send", v=when)
    )
    _cancel_button(builder, draft.id)
    builder.adjust(1)
    await present(target, Screen(question, builder.as_markup()), session)


async def _send(
    query: CallbackQuery,
    session: AsyncSession,
    draft: Broadcast,
    when: str,
    clock: Clock,
    state: FSMContext,
    settings: Settings,
) -> None:
    now = clock.now()
    at = None
    if when:
        seconds = parse_number(when, low=1, high=2**40)
        if seconds is None:
            await query.answer(invalid())
            return
        at = datetime.fromtimestamp(seconds, UTC)
        if at > now + MAX_AHEAD:
            await query.answer(invalid())
            return
    try:
        await broadcasts.confirm(session, draft, now, at)
    except BroadcastError as error:
        if error.reason == "in_the_past":
            await query.answer(
                _("That time has passed. Tap Cancel and start again."), show_alert=True
            )
        else:
            await query.answer(invalid())
        return
    if isinstance(query.message, Message):  # the question becomes the status message
        draft.status_chat_id = query.message.chat.id
        draft.status_message_id = query.message.message_id
    await state.clear()
    progress = await broadcasts.progress(session, draft)
    await present(query, status_screen(progress, settings.zone), session)
    await query.answer(_("Sent to the queue."))


# The status message


def status_text(progress: Progress, zone: tzinfo) -> str:
    counts = progress.counts
    heading = {
        SCHEDULED: lambda: _("📣 Announcement {number}: it goes out on {date}.").format(
            number=embed(progress.broadcast_id),
            date=format_datetime(progress.scheduled_at, fmt="short", tzinfo=zone)
            if progress.scheduled_at
            else "",
        ),
        DONE: lambda: _("📣 Announcement {number}: finished.").format(
            number=embed(progress.broadcast_id)
        ),
        CANCELLED: lambda: _("📣 Announcement {number}: cancelled. Nothing more is sent.").format(
            number=embed(progress.broadcast_id)
        ),
    }.get(
        progress.state,
        lambda: _("📣 Announcement {number}: sending.").format(number=embed(progress.broadcast_id)),
    )()
    lines = [
        heading,
        _("✅ Sent: {count}").format(count=embed(format_number(counts.sent))),
        _("⏳ Waiting: {count}").format(count=embed(format_number(counts.waiting))),
        _("🚫 Blocked the bot: {count}").format(count=embed(format_number(counts.unreachable))),
        _("⚠️ Failed: {count}").format(count=embed(format_number(counts.failed))),
    ]
    if counts.cancelled:
        lines.append(_("✖ Not sent: {count}").format(count=embed(format_number(counts.cancelled))))
    return "\n".join(lines)


def status_markup(progress: Progress) -> InlineKeyboardMarkup | None:
    if progress.state not in RUNNING:
        return None
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✖ Cancel the announcement"),
        callback_data=BroadcastStep(b=progress.broadcast_id, do="cancel"),
    )
    return builder.as_markup()


def status_screen(progress: Progress, zone: tzinfo) -> Screen:
    return Screen(status_text(progress, zone), status_markup(progress))


def report_text(progress: Progress) -> str:
    counts = progress.counts
    return _(
        "📣 Announcement {number} is finished: {sent} sent, {unreachable} blocked the bot, "
        "{failed} failed."
    ).format(
        number=embed(progress.broadcast_id),
        sent=embed(format_number(counts.sent)),
        unreachable=embed(format_number(counts.unreachable)),
        failed=embed(format_number(counts.failed)),
    )


async def _running_step(
    query: CallbackQuery,
    callback_data: BroadcastStep,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    try:
        found = await broadcasts.own(session, member, callback_data.b)
    except (BroadcastError, AudienceError):
        await query.answer(invalid())
        return
    if found.state == DRAFT:
        await query.answer(invalid())
        return
    if callback_data.do == "cancel" and found.state in RUNNING:
        progress = await broadcasts.progress(session, found)
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("✖ Yes, stop it"), callback_data=BroadcastStep(b=callback_data.b, do="cancel_ok")
        )
        builder.button(
            text=_("⬅️ Back"), callback_data=BroadcastStep(b=callback_data.b, do="status")
        )
        builder.adjust(1)
        waiting = progress.counts.waiting
        question = ngettext(
            "Stop the announcement? The {count} message still waiting will not be sent.",
            "Stop the announcement? The {count} messages still waiting will not be sent.",
            waiting,
        ).format(count=embed(format_number(waiting)))
        await present(query, Screen(question, builder.as_markup()), session)
        await query.answer()
        return
    if callback_data.do == "cancel_ok" and found.state in RUNNING:
        await broadcasts.cancel(session, found, clock.now())
    progress = await broadcasts.progress(session, found)
    await present(query, status_screen(progress, settings.zone), session)
    await query.answer()


async def show_status(
    bot: Bot, progress: Progress, zone: tzinfo, shown: dict[int, str] | None = None
) -> None:
    """Edit the broadcast's status message to the counts, unless it already shows them."""
    if progress.status_chat_id is None or progress.status_message_id is None:
        return
    with use_locale(progress.author_locale or "en"):
        text = status_text(progress, zone)
        markup = status_markup(progress)
    if shown is not None and shown.get(progress.broadcast_id) == text:
        return
    try:
        await bot.edit_message_text(
            text=text,
            chat_id=progress.status_chat_id,
            message_id=progress.status_message_id,
            reply_markup=markup,
        )
    except TelegramAPIError as error:  # deleted, or unchanged: the next pass tries again
        log.info("status of broadcast %s not edited: %s", progress.broadcast_id, error)
        return
    if shown is not None:
        shown[progress.broadcast_id] = text


async def refresh_statuses(
    bot: Bot,
    sessions: SessionFactory,
    gate: WriteGate,
    clock: Clock,
    zone: tzinfo,
    shown: dict[int, str] | None = None,
) -> list[Progress]:
    """One pass over the running broadcasts: each moves on (scheduled, sending, done) in one
    transaction committed here, the author of one just finished gets the final report through
    the outbox, then each status message is edited to its counts."""
    async with sessions() as session:
        running = await session.scalar(
            select(func.count()).where(Broadcast.state.in_(RUNNING))  # type: ignore[attr-defined]
        )
    if not running:
        return []
    async with gate.held(), sessions() as session:
        now = clock.now()
        found = await broadcasts.advance(session, now)
        for progress in found:
            if progress.finished_now and progress.status_chat_id is not None:
                with use_locale(progress.author_locale or "en"):
                    text = report_text(progress)
                await outbox.enqueue(
                    session,
                    chat_id=progress.status_chat_id,
                    user_id=progress.status_chat_id,  # a private chat: the author
                    kind=REPORT_KIND,
                    text=text,
                    now=now,
                    dedup_key=f"{REPORT_KIND}:{progress.broadcast_id}",
                )
        await session.commit()
    for progress in found:
        await show_status(bot, progress, zone, shown)
    return found


async def status_loop(
    bot: Bot,
    sessions: SessionFactory,
    gate: WriteGate,
    clock: Clock,
    zone: tzinfo,
    every: float = STATUS_EVERY,
) -> None:
    """Refresh the status messages every `every` seconds, for as long as the bot runs."""
    shown: dict[int, str] = {}
    while True:
        await asyncio.sleep(every)
        try:
            await refresh_statuses(bot, sessions, gate, clock, zone, shown)
        except Exception:  # a database or network hiccup: the next pass tries again
            log.exception("refreshing the broadcast status messages failed")

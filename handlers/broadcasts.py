"""Coordinators' announcements: audience, a text per language, a photo, a preview, then now or
at a time; one status message counts what went out and can stop the rest.

The conversation's state (which draft, which language is asked) lives in the FSM storage, in
the database: a restart in the middle of writing resumes at the same question. The draft
itself is a `broadcasts` row. Every button names its broadcast and is checked again: a draft
only by its author, a running broadcast by its organisation's coordinators or an admin.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from aiogram import F
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.bidi import isolate_ltr
from core.clock import Clock
from core.i18n import _, embed, format_datetime, format_list, format_number, ngettext
from core.locales import CATALOG_LOCALES, LANGUAGE_NAMES
from core.text_input import parse_number
from courses.library import CourseLibrary
from handlers.broadcast_audience import (
    audience_label,
    audience_screen,
    choices_screen,
    chosen_audience,
)
from handlers.broadcast_status import status_screen
from handlers.callbacks import BroadcastAudience, BroadcastStep, MenuAction
from handlers.preferences import zone_of
from handlers.routing import Routes
from handlers.screens import Screen, present
from outreach import broadcasts
from outreach.audience import EVERYONE, KINDS, AudienceError
from outreach.broadcasts import BroadcastError
from outreach.models import DRAFT, RUNNING, Broadcast
from people.accounts import Member

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

DRAFT_KEY, LOCALE_KEY = "broadcast", "broadcast_locale"  # FSM data
MAX_AHEAD = timedelta(days=60)  # how far ahead a broadcast may be scheduled
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
        screen = await choices_screen(session, member, library, kind)
        if screen is None:
            await query.answer(_("There is nothing to choose from yet."), show_alert=True)
            return
        await present(query, screen, session)
        await query.answer()
        return
    chosen = await chosen_audience(session, library, kind, callback_data.value)
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
        text=_("⏭ Skip this language"),
        callback_data=BroadcastStep(b=draft.id, do="skip", v=locale),
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
        ).format(languages=format_list(embed(LANGUAGE_NAMES[loc]) for loc in missing))
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
                languages=format_list(embed(LANGUAGE_NAMES[loc]) for loc in variant.locales),
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
        stale = callback_data.v != locale  # a button of a language asked earlier
        if data.get(DRAFT_KEY) != draft.id or locale not in CATALOG_LOCALES or stale:
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
        await _confirm_screen(query, session, draft, None, clock, zone_of(member, settings))
    elif do == "later":
        await state.set_state(BroadcastFlow.when)
        await state.set_data({DRAFT_KEY: draft.id})
        await present(query, _when_prompt(draft, clock, zone_of(member, settings)), session)
    elif do == "send":
        await _send(query, session, draft, callback_data.v, clock, state, zone_of(member, settings))
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


def _when_prompt(draft: Broadcast, clock: Clock, zone: tzinfo, note: str | None = None) -> Screen:
    assert draft.id is not None
    example = (clock.now() + timedelta(days=1)).astimezone(zone)
    text = _(
        "When should it go? Send the date and time in the time zone {zone}, like {example}. "
        "A time alone means today, or tomorrow if it has passed."
    ).format(
        zone=isolate_ltr(getattr(zone, "key", str(zone))),
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
    at = parse_when(message.text or "", now, zone_of(member, settings))
    if at is None or at <= now or at > now + MAX_AHEAD:
        note = _("I could not use that time: it must be in the next {count} days.").format(
            count=embed(MAX_AHEAD.days)
        )
        await present(message, _when_prompt(draft, clock, zone_of(member, settings), note), session)
        return
    await state.set_state(None)
    await _confirm_screen(message, session, draft, at, clock, zone_of(member, settings))


async def _confirm_screen(
    target: Message | CallbackQuery,
    session: AsyncSession,
    draft: Broadcast,
    at: datetime | None,
    clock: Clock,
    zone: tzinfo,
) -> None:
    assert draft.id is not None
    people = _people(sum((await broadcasts.sizes(session, draft, clock.now())).values()))
    if at is None:
        question = _("Send it to {people} now?").format(people=people)
    else:
        question = _("Send it to {people} on {date}?").format(
            people=people, date=format_datetime(at, fmt="short", tzinfo=zone)
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
    zone: tzinfo,
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
        draft.status_message_id = query.message.message_id
    await state.clear()
    progress = await broadcasts.progress(session, draft)
    await present(query, status_screen(progress, zone), session)
    await query.answer(_("Sent to the queue."))


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
    await present(query, status_screen(progress, zone_of(member, settings)), session)
    await query.answer()

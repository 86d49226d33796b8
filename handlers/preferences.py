"""Settings: the language, the time zone, quiet hours and which reminders come (people.reminders).

Every button's value is checked again by the service: a forged zone, hour or kind changes
nothing and says so."""

from __future__ import annotations

from datetime import datetime, time, tzinfo
from typing import TYPE_CHECKING

from aiogram.types import CallbackQuery
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, current_locale, embed, format_list, format_time
from core.locales import LANGUAGE_NAMES
from handlers.callbacks import MenuAction, SettingsStep
from handlers.filters import IsMember
from handlers.routing import Routes
from handlers.screens import Screen, present
from people import reminders
from people.accounts import Member
from people.reminders import KINDS, ReminderSettingError, ReminderSettings
from people.time_zones import CHOICES, QUIET_CHOICES, city, zone_for, zone_named

if TYPE_CHECKING:
    from bot.settings import Settings

router = Routes(__name__, IsMember())


def zone_of(member: Member, settings: Settings) -> tzinfo:
    """The zone every time shown to this member is in: theirs, their group's, the deployment's."""
    return zone_for(member.zone_name, settings.zone)


def kind_name(kind: str) -> str:
    return {
        "lesson": _("Unfinished lessons"),
        "quiz": _("Quiz retries"),
        "work": _("New paid work"),
        "payout": _("Payout messages"),
    }[kind]


def _hour(hour: int) -> str:
    return format_time(time(hour))


def _zone_name(zone: tzinfo) -> str:
    name = getattr(zone, "key", None) or str(zone)
    return city(name, current_locale())


async def settings_screen(
    session: AsyncSession, member: Member, settings: Settings, now: datetime
) -> Screen:
    mine = await reminders.settings_of(session, member.id)
    zone = mine.zone(settings.zone)
    lines = [
        _("Settings\n\nLanguage: {language}").format(language=LANGUAGE_NAMES[member.locale]),
        _("Time zone: {zone}, where it is {time} now").format(
            zone=embed(_zone_name(zone)),
            time=format_time(now.astimezone(zone)),
        ),
    ]
    if mine.quiet_from == mine.quiet_until:
        lines.append(_("Quiet hours: none"))
    else:
        lines.append(
            _("Quiet hours, without reminders: {start} to {end}").format(
                start=_hour(mine.quiet_from), end=_hour(mine.quiet_until)
            )
        )
    on = [kind_name(kind) for kind in KINDS if kind not in mine.off]
    lines.append(
        _("Reminders: {kinds}").format(kinds=format_list(on)) if on else _("Reminders: all off")
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🌐 Language"), callback_data=MenuAction(action="language"))
    builder.button(text=_("🕰 Time zone"), callback_data=SettingsStep(do="zones"))
    builder.button(text=_("🌙 Quiet hours"), callback_data=SettingsStep(do="quiet_menu"))
    builder.button(text=_("🔔 Reminders"), callback_data=SettingsStep(do="reminders"))
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))
    builder.adjust(2, 2, 1)
    return Screen("\n".join(lines), builder.as_markup())


def _back(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("⬅️ Back"), callback_data=SettingsStep(do="show"))


def zones_screen(mine: ReminderSettings, now: datetime) -> Screen:
    builder = InlineKeyboardBuilder()
    for name in CHOICES:
        zone = zone_named(name)
        assert zone is not None
        mark = "✅ " if mine.time_zone == name else ""
        shown = format_time(now.astimezone(zone), isolated=False)
        builder.button(
            text=f"{mark}{city(name, current_locale())} · {shown}",
            callback_data=SettingsStep(do="zone", v=name),
        )
    if mine.group_zone:
        builder.button(
            text=_("👥 My group's: {zone}").format(zone=city(mine.group_zone, current_locale())),
            callback_data=SettingsStep(do="zone"),
        )
    _back(builder)
    builder.adjust(1)
    text = _(
        "Choose your time zone. The times the bot shows you (a quiz retry, a payout date) and "
        "your quiet hours follow it."
    )
    return Screen(text, builder.as_markup())


def quiet_screen(mine: ReminderSettings, now: datetime) -> Screen:
    builder = InlineKeyboardBuilder()
    for start, end in QUIET_CHOICES:
        mark = "✅ " if (mine.quiet_from, mine.quiet_until) == (start, end) else ""
        builder.button(
            text=f"{mark}{format_time(time(start), isolated=False)}–"
            f"{format_time(time(end), isolated=False)}",
            callback_data=SettingsStep(do="quiet", v=f"{start}-{end}"),
        )
    builder.button(text=_("No quiet hours"), callback_data=SettingsStep(do="quiet", v="0-0"))
    _back(builder)
    builder.adjust(2, 2, 1, 1)
    text = _(
        "Choose your quiet hours, in your time zone. No reminder comes then: it waits until "
        "they end."
    )
    return Screen(text, builder.as_markup())


def reminders_screen(mine: ReminderSettings, cap: int) -> Screen:
    builder = InlineKeyboardBuilder()
    for kind in KINDS:
        icon = "🔕" if kind in mine.off else "🔔"
        builder.button(
            text=f"{icon} {kind_name(kind)}", callback_data=SettingsStep(do="toggle", v=kind)
        )
    _back(builder)
    builder.adjust(1)
    text = _(
        "Tap a kind of reminder to switch it on (🔔) or off (🔕). Most reminders a day: {count}."
    ).format(count=embed(cap))
    return Screen(text, builder.as_markup())


def _quiet(value: str) -> tuple[int, int] | None:
    start, _sep, end = value.partition("-")
    if not (start.isdigit() and end.isdigit()):
        return None
    return int(start), int(end)


@router.callback_query(SettingsStep.filter())
async def settings_step(
    query: CallbackQuery,
    callback_data: SettingsStep,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    do, value, now = callback_data.do, callback_data.v, clock.now()
    note = None
    try:
        if do == "zone":
            await reminders.set_time_zone(session, member.id, value or None)
            note = _("Time zone saved.")
        elif do == "quiet":
            hours = _quiet(value)
            if hours is None:
                raise ReminderSettingError("bad_hours")
            await reminders.set_quiet_hours(session, member.id, *hours)
            note = _("Quiet hours saved.")
        elif do == "toggle":
            mine = await reminders.settings_of(session, member.id)
            await reminders.switch(session, member.id, value, on=value in mine.off)
    except ReminderSettingError:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    mine = await reminders.settings_of(session, member.id)
    if do == "zones":
        screen = zones_screen(mine, now)
    elif do == "quiet_menu":
        screen = quiet_screen(mine, now)
    elif do in ("reminders", "toggle"):
        screen = reminders_screen(mine, settings.reminder_daily_cap)
    elif do in ("show", "zone", "quiet"):
        fresh = Member(**{**member.__dict__, "zone_name": mine.time_zone or mine.group_zone})
        screen = await settings_screen(session, fresh, settings, now)
    else:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await present(query, screen, session)
    await query.answer(note)

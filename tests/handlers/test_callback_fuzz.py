"""Callback fuzzing through the real dispatcher: any data, any user.

For arbitrary callback data (and mutations of the data the bot's own keyboards carry) pressed by
an admin, a coordinator, a member or a stranger: no handler fails, every callback query is
answered exactly once, and the database changes only where that user may change it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import InlineKeyboardMarkup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

from bot import inbox
from bot.app import Runtime, build_dispatcher
from bot.middlewares import CommitBeforeTelegram
from bot.settings import load_settings
from core.clock import ManualClock
from courses.library import CourseLibrary
from handlers.callbacks import Consent, PickLanguage
from people.privacy import is_stand_in
from tests.handlers.conftest import ADMIN_ID, BOT_TOKEN, Chatting, FakeTelegram

COORDINATOR, OTHER_COORDINATOR, MEMBER, OTHER_MEMBER, STRANGER = 7, 8, 10, 11, 12
ACTORS = {"admin": ADMIN_ID, "coordinator": COORDINATOR, "member": MEMBER, "stranger": STRANGER}
FREE_TABLES = {"inbox_updates", "media_files"}  # the inbox, and the cache of uploaded images
NEVER_BY_A_BUTTON = {"organisations", "cohorts"}
HARVEST_PRESSES = 300


class World:
    """A bot with an admin, two organisations each with a coordinator, a group and a member, and
    a stranger; the callback data its keyboards showed them."""

    def __init__(self, runtime: Runtime, telegram: FakeTelegram, bot: Bot) -> None:
        self.runtime = runtime
        self.telegram = telegram
        self.bot = bot
        self.dispatcher = build_dispatcher(runtime)
        self.chats = {
            user_id: Chatting(self.dispatcher, bot, user_id)
            for user_id in (*ACTORS.values(), OTHER_COORDINATOR, OTHER_MEMBER)
        }
        self.harvested: list[str] = []

    async def build(self) -> None:
        for user_id in (ADMIN_ID, COORDINATOR, OTHER_COORDINATOR):
            await self.onboard(user_id)
        admin = self.chats[ADMIN_ID]
        for line in (
            "/org_new Hope NGO",
            "/org_new Other NGO",
            f"/coordinator_add {COORDINATOR} Hope NGO",
            f"/coordinator_add {OTHER_COORDINATOR} Other NGO",
        ):
            await admin.feed(admin.message(line))
        for coordinator, member in ((COORDINATOR, MEMBER), (OTHER_COORDINATOR, OTHER_MEMBER)):
            chat = self.chats[coordinator]
            await chat.feed(chat.message("/cohort_new Lviv"))
            code = self.telegram.requests[-1].text.split("start=")[1].split()[0].strip("\u2069")
            await self.onboard(member, code)
        await self.harvest()

    async def onboard(self, user_id: int, code: str = "") -> None:
        chat = self.chats[user_id]
        await chat.feed(chat.message(f"/start {code}".strip()))
        await chat.feed(chat.press(PickLanguage(locale="en", invite=code).pack()))
        await chat.feed(chat.press(Consent(locale="en", accept=True, invite=code).pack()))

    async def harvest(self) -> None:
        """Each user opens the screens there are and presses every button met, breadth first."""
        for user_id in (MEMBER, COORDINATOR, ADMIN_ID):
            chat = self.chats[user_id]
            for line in ("/menu", "/learn", "/cohorts", "/progress", "/help", "/language"):
                await chat.feed(chat.message(line))
        pressed: set[tuple[int, str]] = set()
        for _ in range(HARVEST_PRESSES):
            todo = [shown for shown in self.shown() if shown not in pressed]
            if not todo:
                break
            chat_id, data = todo[-1]  # the newest first: deep into a course, to its quiz
            pressed.add((chat_id, data))
            if data.startswith(("cs:", "dm")):  # no declining or erasing while harvesting
                continue
            chat = self.chats[chat_id]
            await chat.feed(chat.press(data))
        self.harvested = sorted({data for _, data in self.shown()})

    def shown(self) -> Iterator[tuple[int, str]]:
        for request in self.telegram.requests:
            markup = getattr(request, "reply_markup", None)
            if isinstance(markup, InlineKeyboardMarkup) and request.chat_id in self.chats:
                for row in markup.inline_keyboard:
                    for button in row:
                        if button.callback_data:
                            yield request.chat_id, button.callback_data

    async def snapshot(self) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
        tables: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
        async with self.runtime.sessions() as session:
            for table in SQLModel.metadata.sorted_tables:
                rows = (await session.execute(select(table))).mappings().all()
                keys = [column.name for column in table.primary_key]
                tables[table.name] = {tuple(row[k] for k in keys): dict(row) for row in rows}
        return tables


def _owner(table: str, row: dict[str, Any]) -> int | None:
    if table == "users":
        return row["id"]
    if table == "audit_log":
        return row["actor_id"]
    if table == "invites":
        return row["created_by"]
    return row.get("user_id")


def forbidden_changes(
    actor: int, before: dict[str, dict[Any, dict[str, Any]]], after: dict[str, dict[Any, dict]]
) -> list[str]:
    """What changed in the database that `actor` may not change."""
    problems = []
    was = before["users"].get((actor,))
    now = after["users"].get((actor,))
    cohorts = before["cohorts"]
    joined = {
        row["cohort_id"]
        for key, row in after["invites"].items()
        if key in before["invites"] and row["uses"] == before["invites"][key]["uses"] + 1
    }
    for table, rows in after.items():
        if table in FREE_TABLES:
            continue
        for key in before[table].keys() | rows.keys():
            old, new = before[table].get(key), rows.get(key)
            if old == new:
                continue
            where = f"{table} {key}: {old} -> {new}"
            if table in NEVER_BY_A_BUTTON:
                problems.append(where)
            elif table == "fsm_states":
                if str(actor) not in key[0].split(":"):
                    problems.append(where)
            elif table == "invites" and old is not None and new is not None:
                uses_only = {**old, "uses": new["uses"]} == new and new["uses"] == old["uses"] + 1
                if not (uses_only and now is not None and now["cohort_id"] == new["cohort_id"]):
                    problems.append(where)
            elif table == "invites":
                row = new or old
                coordinates = (
                    was is not None
                    and was["role"] == "coordinator"
                    and cohorts[(row["cohort_id"],)]["organisation_id"] == was["organisation_id"]
                )
                if _owner(table, row) != actor or not coordinates:
                    problems.append(where)
            elif _stands_in_for_erased(table, old, new, was, now):
                continue
            elif table in ("broadcasts", "outbox") and _broadcasts_for(actor, was, after):
                row = new or old
                assert row is not None
                number = row["id"] if table == "broadcasts" else row["broadcast_id"]
                if number not in _broadcasts_for(actor, was, after):
                    problems.append(where)
            elif actor not in {_owner(table, row) for row in (old, new) if row is not None}:
                problems.append(where)
    if was is not None and now is not None:
        for column in ("role", "organisation_id"):
            if was[column] != now[column]:
                problems.append(f"users {actor}: {column} {was[column]} -> {now[column]}")
    moved = now is not None and (was is None or was["cohort_id"] != now["cohort_id"])
    if moved and now["cohort_id"] is not None and now["cohort_id"] not in joined:
        problems.append(f"users {actor}: joined group {now['cohort_id']} without an invite")
    if was is None and now is not None:
        role = "admin" if actor == ADMIN_ID else "member"
        if now["role"] != role:
            problems.append(f"users {actor}: created as {now['role']}")
    return problems


def _broadcasts_for(
    actor: int, was: dict[str, Any] | None, after: dict[str, dict[Any, dict]]
) -> set[int]:
    """The broadcasts `actor` may write or stop: their own drafts, their organisation's, or
    (an admin) any; their messages in the outbox go with them."""
    if was is None or was["role"] not in ("coordinator", "admin"):
        return set()
    return {
        row["id"]
        for row in after["broadcasts"].values()
        if row["author_id"] == actor
        or was["role"] == "admin"
        or row["organisation_id"] == was["organisation_id"]
    }


def _stands_in_for_erased(
    table: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    was: dict[str, Any] | None,
    now: dict[str, Any] | None,
) -> bool:
    """A new pseudonymous stand-in row, made when the actor erased themselves in this press
    (it keeps their group's figures; people.privacy)."""
    if old is not None or new is None or was is None or now is not None:
        return False
    owner = _owner(table, new)
    if owner is None or not is_stand_in(owner):
        return False
    return table != "users" or new["cohort_id"] == was["cohort_id"]


def _fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= 64


def callback_data(real: list[str]) -> st.SearchStrategy[str | None]:
    numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
    odd = st.sampled_from(["", "0", "-1", "1", "2", "3", "True", "False", "en", "xx", "\u202e"])
    field = st.one_of(odd, numbers, st.text(max_size=12), st.sampled_from(real))
    fields_of_real = st.sampled_from(sorted({f for data in real for f in data.split(":")}))

    @st.composite
    def mutated(draw: st.DrawFn) -> str:
        parts = draw(st.sampled_from(real)).split(":")
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(parts)))
            how = draw(st.sampled_from(["replace", "insert", "drop", "swap"]))
            if how == "replace" and i < len(parts):
                parts[i] = draw(st.one_of(field, fields_of_real))
            elif how == "insert":
                parts.insert(i, draw(st.one_of(field, fields_of_real)))
            elif how == "drop" and len(parts) > 1:
                parts.pop(min(i, len(parts) - 1))
            elif how == "swap" and len(parts) > 1:
                j = draw(st.integers(0, len(parts) - 1))
                k = min(i, len(parts) - 1)
                parts[j], parts[k] = parts[k], parts[j]
        return ":".join(parts)

    return st.one_of(
        st.sampled_from(real),
        mutated(),
        mutated(),
        st.text(min_size=0, max_size=64),
        st.binary(max_size=64).map(lambda b: b.decode("utf-8", errors="replace")),
        st.none(),
    ).filter(lambda data: data is None or _fits(data))


class Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


def test_any_callback_from_anyone_is_answered_once_and_changes_only_what_they_may(
    database_url: str, library: CourseLibrary
) -> None:
    loop = asyncio.new_event_loop()
    failures = Failures()
    logging.getLogger("handlers.errors").addHandler(failures)
    ids = itertools.count(10**9)
    app_settings = load_settings(
        database_url=database_url, admin_ids=str(ADMIN_ID), flood_limit=0, _env_file=None
    )
    runtime = Runtime.create(app_settings, clock=ManualClock(), library=library)
    telegram = FakeTelegram()
    bot = Bot(BOT_TOKEN, session=telegram)
    bot.session.middleware(CommitBeforeTelegram())
    world = World(runtime, telegram, bot)
    # The database as the last press left it: nothing writes between two presses, so it is
    # the next press's `before` (half the snapshots). Emptied until a press's `after` is taken.
    last: list[dict[str, dict[tuple[Any, ...], dict[str, Any]]]] = []
    try:
        loop.run_until_complete(world.build())
        assert len(world.harvested) >= 20, world.harvested  # the keyboards were really explored
        assert failures.seen == []

        async def press(actor: int, data: str | None) -> None:
            chat = world.chats[actor]
            update = chat.press(data or "x")
            update = update.model_copy(update={"update_id": next(ids)})
            query = update.callback_query.model_copy(update={"data": data})
            update = update.model_copy(update={"callback_query": query})
            before = last.pop() if last else await world.snapshot()
            said = len(telegram.requests)
            await world.dispatcher.feed_update(bot, update)
            answers = [
                r
                for r in telegram.requests[said:]
                if isinstance(r, AnswerCallbackQuery) and r.callback_query_id == query.id
            ]
            assert len(answers) == 1, (actor, data, telegram.requests[said:])
            assert failures.seen == [], (actor, data)
            after = await world.snapshot()
            last.append(after)
            settled = after["inbox_updates"][(update.update_id,)]
            assert settled["status"] == inbox.DONE, (actor, data, settled)
            assert forbidden_changes(actor, before, after) == [], (actor, data)

        @settings(
            max_examples=200,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        @given(actor=st.sampled_from(sorted(ACTORS.values())), data=callback_data(world.harvested))
        def one_press(actor: int, data: str | None) -> None:
            loop.run_until_complete(press(actor, data))

        one_press()
    finally:
        logging.getLogger("handlers.errors").removeHandler(failures)
        loop.run_until_complete(runtime.close())
        loop.close()


@pytest.mark.parametrize(
    ("actor", "change", "allowed"),
    [
        (MEMBER, ("course_progress", (MEMBER, "c"), {"user_id": MEMBER}), True),
        (MEMBER, ("course_progress", (OTHER_MEMBER, "c"), {"user_id": OTHER_MEMBER}), False),
        (MEMBER, ("cohorts", (9,), {"id": 9}), False),
        (MEMBER, ("fsm_states", (f"fsm:{MEMBER}:{MEMBER}",), {"key": "k"}), True),
        (MEMBER, ("fsm_states", (f"fsm:{STRANGER}:{STRANGER}",), {"key": "k"}), False),
    ],
)
def test_the_snapshot_comparison_can_fail(
    actor: int, change: tuple[str, tuple[Any, ...], dict[str, Any]], allowed: bool
) -> None:
    names = [table.name for table in SQLModel.metadata.sorted_tables]
    before: dict[str, dict[Any, dict[str, Any]]] = {name: {} for name in names}
    after: dict[str, dict[Any, dict[str, Any]]] = {name: {} for name in names}
    table, key, row = change
    after[table][key] = row
    assert (forbidden_changes(actor, before, after) == []) == allowed

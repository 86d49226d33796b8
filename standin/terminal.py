"""A chat with the bot in the terminal, through the stand-in (no token, no internet)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from standin.chat import ChatMessage, Event, PhotoInfo
from standin.client import SimUser
from standin.errors import ApiError, UpdateDropped, UpdateNotHandled
from standin.server import StandIn

LocalCommand = Callable[[SimUser, str], Awaitable[str]]
ReadLine = Callable[[], Awaitable[str | None]]
FIRST_USER_ID = 1001
BOT_NAME = "Rafiq"

HELP_COMMAND = "/sandbox-help"  # not a valid Telegram command, so it never hides one of the bot's
HELP = f"""Local commands (everything else, /help included, is sent to the bot):
  /as <name> [lang]      chat as another user, e.g. /as Omar en; a name is the same
                         person every time, also after a restart (the language is kept)
  /photo <file> [text]   send a photo from a file, with an optional caption
  <number>               press that button of the newest message with buttons
  {HELP_COMMAND:<22} this list
  /quit                  leave (end of input works too)"""
# Unicode isolates (LRI, RLI, FSI, PDI): the bot wraps names and numbers in them for Telegram's
# right-to-left layout; most terminals print them as boxes or question marks.
ISOLATES = dict.fromkeys(range(0x2066, 0x206A))


def plain(text: str) -> str:
    """Text as the terminal should show it: without the isolate characters."""
    return text.translate(ISOLATES)


class PeopleFile:
    """The simulated people by name, kept in a JSON file so a name is the same user id
    (and so the same member of the bot's database) after a restart of the sandbox."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.people: dict[str, tuple[int, str, str | None]] = {}
        if path is not None and path.exists():
            for entry in json.loads(path.read_text(encoding="utf-8")).get("people", []):
                name = str(entry["name"])
                self.people[name.casefold()] = (int(entry["id"]), name, entry.get("language_code"))

    def get(self, name: str) -> tuple[int, str, str | None] | None:
        """The user id, name as first typed, and language of `name` (any case), if known."""
        return self.people.get(name.casefold())

    def taken(self) -> set[int]:
        return {user_id for user_id, _, _ in self.people.values()}

    def remember(self, user_id: int, name: str, language_code: str | None) -> None:
        self.people[name.casefold()] = (user_id, name, language_code)
        if self.path is None:
            return
        entries = [
            {"name": name, "id": user_id, "language_code": language}
            for user_id, name, language in sorted(self.people.values())
        ]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        text = json.dumps({"people": entries}, ensure_ascii=False, indent=1)
        partial.write_text(text + "\n", encoding="utf-8")
        os.replace(partial, self.path)


def stdin_line_reader() -> ReadLine:
    """Read stdin lines in a daemon thread so the event loop keeps running."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def put(line: str | None) -> None:
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lines.put_nowait, line)

    def pump() -> None:
        for line in sys.stdin:
            put(line.rstrip("\r\n"))
        put(None)

    threading.Thread(target=pump, name="standin-terminal-stdin", daemon=True).start()
    return lines.get


def _read_file(path: str) -> bytes:
    return Path(path).expanduser().read_bytes()


def describe_kilobytes(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB"


def render_message(message: ChatMessage) -> list[str]:
    """How one bot message looks in the terminal: its buttons numbered from 1, one line for
    each row, as a phone shows them."""
    lines: list[str] = []
    if message.photo is not None:
        photo = message.photo
        where = f": {photo.path}" if photo.path else ""
        lines.append(
            f"[photo {photo.width}x{photo.height}, {describe_kilobytes(photo.file_size)}{where}]"
        )
    if message.document is not None:
        document = message.document
        where = f": {document.path}" if document.path else ""
        name = plain(document.file_name or "file")
        lines.append(f"[document {name}, {describe_kilobytes(document.file_size)}{where}]")
    body = message.text if message.text is not None else message.caption
    if body:
        lines.extend(plain(body).splitlines() or [""])
    numbers = itertools.count(1)
    for row in message.buttons:
        lines.append(
            "  ".join(
                f"[{next(numbers)}] {plain(button.text)}"
                + (f" ({button.url})" if button.url else "")
                for button in row
            )
        )
    return lines


class TerminalChat:
    """The state of one terminal session: who is typing and what to print."""

    def __init__(
        self,
        server: StandIn,
        write: Callable[[str], None],
        extra_commands: dict[str, LocalCommand],
        people: PeopleFile | None = None,
    ) -> None:
        self.server = server
        self.write = write
        self.extra_commands = extra_commands
        self.people = people or PeopleFile(None)
        self.by_name: dict[str, SimUser] = {}
        self.current: SimUser | None = None
        # Events printed once the update is handled: a photo put in place of another is
        # shown to the chat before the stand-in has saved it, so its path is not known yet.
        self.held: list[tuple[int, Event]] = []

    @property
    def user(self) -> SimUser:
        assert self.current is not None
        return self.current

    def switch(self, name: str, language_code: str | None) -> SimUser:
        """Chat as `name` from now on: the same simulated user every time for one name."""
        user = self.by_name.get(name.casefold())
        if user is None:
            known = self.people.get(name)
            if known is not None:
                user_id, name, kept_language = known
                language_code = language_code or kept_language
            else:
                taken = {u.id for u in self.server.users} | self.people.taken()
                user_id = next(i for i in itertools.count(FIRST_USER_ID) if i not in taken)
            user = self.server.user(user_id, name, language_code)
            self.by_name[name.casefold()] = user
        if language_code:
            user.language_code = language_code
        if self.people.get(name) != (user.id, user.first_name, user.language_code):
            self.people.remember(user.id, user.first_name, user.language_code)
        self.current = user
        return user

    def on_event(self, user_id: int, event: Event) -> None:
        if user_id not in {u.id for u in self.by_name.values()}:
            return
        photo = event.message.photo if event.message is not None else None
        unsaved = photo is not None and photo.path is None and self.server.files_dir is not None
        if unsaved or self.held:
            self.held.append((user_id, event))
            return
        self._print(user_id, event)

    def flush(self) -> None:
        """Print the events held back, each photo with the path it was saved under."""
        held, self.held = self.held, []
        for user_id, event in held:
            message = event.message
            if message is not None and message.photo is not None and message.photo.path is None:
                photo = replace(message.photo, path=self._saved_path(message.photo))
                event = replace(event, message=replace(message, photo=photo))
            self._print(user_id, event)

    def _saved_path(self, photo: PhotoInfo) -> Path | None:
        stored = (f for f in self.server.stored_files() if f.file_id == photo.file_id)
        return next((f.disk_path for f in stored), None)

    def _print(self, user_id: int, event: Event) -> None:
        prefix = "" if user_id == self.user.id else f"(to {self._name(user_id)}) "
        for line in self.render_event(event):
            self.write(prefix + line)

    def render_event(self, event: Event) -> list[str]:
        if event.kind in ("message", "edit") and event.message is not None:
            head = BOT_NAME
            if event.kind == "edit":
                head = f"{BOT_NAME} (edited #{event.message_id})"
            body = render_message(event.message) or [""]
            return [f"{head}: {body[0]}", *("  " + line for line in body[1:])]
        if event.kind == "delete":
            return [f"{BOT_NAME} deleted message #{event.message_id}"]
        if event.kind == "callback_answer" and event.text:
            style = "popup" if event.show_alert else "notice"
            return [f"{BOT_NAME} ({style}): {plain(event.text)}"]
        if event.kind == "chat_action":
            return [f"{BOT_NAME} is {event.action}…"]
        return []

    def _name(self, user_id: int) -> str:
        return next((u.first_name for u in self.by_name.values() if u.id == user_id), "?")

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the session should end."""
        command, _, rest = line.partition(" ")
        rest = rest.strip()
        try:
            if command == "/quit":
                return False
            if command == HELP_COMMAND:
                self.write(self._help())
            elif command == "/as":
                self._switch_command(rest)
            elif command == "/photo":
                await self._send_photo(rest)
            elif command in self.extra_commands:
                self.write(await self.extra_commands[command](self.user, rest))
            elif line.isdigit():
                await self._press_number(int(line))
            else:
                await self.user.send(line)
        except (UpdateNotHandled, UpdateDropped, LookupError, ApiError, OSError) as error:
            self.write(f"! {error}")
        finally:
            self.flush()
        return True

    def _help(self) -> str:
        if not self.extra_commands:
            return HELP
        extra = "\n".join(f"  {name}" for name in sorted(self.extra_commands))
        return f"{HELP}\nMore local commands:\n{extra}"

    def _switch_command(self, rest: str) -> None:
        parts = rest.split()
        if not parts or len(parts) > 2:
            self.write("usage: /as <name> [lang]")
            return
        user = self.switch(parts[0], parts[1] if len(parts) == 2 else None)
        self.write(f"— you are {user.first_name} (id {user.id}, {user.language_code})")

    async def _send_photo(self, rest: str) -> None:
        path_text, _, caption = rest.partition(" ")
        if not path_text:
            self.write("usage: /photo <file> [caption]")
            return
        data = await asyncio.to_thread(_read_file, path_text)
        await self.user.send_photo(data, caption.strip() or None)

    async def _press_number(self, number: int) -> None:
        with_buttons = [m for m in self.user.messages if m.buttons]
        if not with_buttons:
            self.write("! no message with buttons to press")
            return
        message = with_buttons[-1]
        buttons = [button for row in message.buttons for button in row]
        if not 1 <= number <= len(buttons):
            self.write(f"! choose a button from 1 to {len(buttons)}")
            return
        button = buttons[number - 1]
        if button.callback_data is None:
            self.write(f"(opens {button.url})")
            return
        await self.user.press_data(button.callback_data, message.message_id)


async def run_terminal(
    server: StandIn,
    *,
    first_user: tuple[str, str] = ("Amina", "ar"),
    extra_commands: dict[str, LocalCommand] | None = None,
    read_line: ReadLine | None = None,
    write: Callable[[str], None] = print,
    people_file: Path | None = None,
) -> None:
    """Chat with the bot served by `server` until /quit or end of input.

    With `people_file`, the simulated people's names and user ids are kept there.
    """
    chat = TerminalChat(server, write, dict(extra_commands or {}), PeopleFile(people_file))
    user = chat.switch(*first_user)
    server.add_listener(chat.on_event)
    read = read_line or stdin_line_reader()
    write(
        f"— you are {user.first_name} (id {user.id}, {user.language_code}); {HELP_COMMAND} for help"
    )
    try:
        while (line := await read()) is not None:
            line = line.strip()
            if line and not await chat.handle(line):
                break
    finally:
        chat.flush()
        server.remove_listener(chat.on_event)

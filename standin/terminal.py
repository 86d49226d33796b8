"""A chat with the bot in the terminal, through the stand-in (no token, no internet)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from standin.chat import ChatMessage, Event
from standin.client import SimUser
from standin.errors import ApiError, UpdateDropped, UpdateNotHandled
from standin.server import StandIn

LocalCommand = Callable[[SimUser, str], Awaitable[str]]
ReadLine = Callable[[], Awaitable[str | None]]
FIRST_USER_ID = 1001
BOT_NAME = "Rafiq"

HELP = """Local commands (everything else is sent to the bot):
  /as <name> <lang>      chat as another user (created on first use), e.g. /as Omar en
  /photo <file> [text]   send a photo from a file, with an optional caption
  <number>               press that button of the newest message with buttons
  /help                  this list
  /quit                  leave (end of input works too)"""


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
    """How one bot message looks in the terminal, buttons numbered from 1."""
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
        name = document.file_name or "file"
        lines.append(f"[document {name}, {describe_kilobytes(document.file_size)}{where}]")
    body = message.text if message.text is not None else message.caption
    if body:
        lines.extend(body.splitlines() or [""])
    numbered = [
        f"[{number}] {button.text}" + (f" ({button.url})" if button.url else "")
        for number, button in enumerate(
            (button for row in message.buttons for button in row), start=1
        )
    ]
    if numbered:
        lines.append("  ".join(numbered))
    return lines


class TerminalChat:
    """The state of one terminal session: who is typing and what to print."""

    def __init__(
        self,
        server: StandIn,
        write: Callable[[str], None],
        extra_commands: dict[str, LocalCommand],
    ) -> None:
        self.server = server
        self.write = write
        self.extra_commands = extra_commands
        self.by_name: dict[str, SimUser] = {}
        self.current: SimUser | None = None

    @property
    def user(self) -> SimUser:
        assert self.current is not None
        return self.current

    def switch(self, name: str, language_code: str | None) -> SimUser:
        user = self.by_name.get(name.casefold())
        if user is None:
            taken = {u.id for u in self.server.users}
            user_id = next(i for i in itertools.count(FIRST_USER_ID) if i not in taken)
            user = self.server.user(user_id, name, language_code)
            self.by_name[name.casefold()] = user
        elif language_code:
            user.language_code = language_code
        self.current = user
        return user

    def on_event(self, user_id: int, event: Event) -> None:
        if user_id not in {u.id for u in self.by_name.values()}:
            return
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
            return [f"{BOT_NAME} ({style}): {event.text}"]
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
            if command == "/help":
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
        return True

    def _help(self) -> str:
        if not self.extra_commands:
            return HELP
        extra = "\n".join(f"  {name}" for name in sorted(self.extra_commands))
        return f"{HELP}\nMore local commands:\n{extra}"

    def _switch_command(self, rest: str) -> None:
        parts = rest.split()
        if not parts or len(parts) > 2:
            self.write("usage: /as <name> <lang>")
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
) -> None:
    """Chat with the bot served by `server` until /quit or end of input."""
    chat = TerminalChat(server, write, dict(extra_commands or {}))
    user = chat.switch(*first_user)
    server.add_listener(chat.on_event)
    read = read_line or stdin_line_reader()
    write(f"— you are {user.first_name} (id {user.id}, {user.language_code}); /help for help")
    try:
        while (line := await read()) is not None:
            line = line.strip()
            if line and not await chat.handle(line):
                break
    finally:
        server.remove_listener(chat.on_event)

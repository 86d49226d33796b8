"""The stand-in Telegram Bot API server: real HTTP on loopback, state in memory."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import mimetypes
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image, UnidentifiedImageError

from standin.chat import CallbackQueryInfo, Event
from standin.client import SimUser
from standin.errors import DEFAULT_DESCRIPTIONS, ApiError, UpdateNotHandled, bad_request
from standin.formatting import Formatted, format_text, utf16_len
from standin.keyboards import parse_reply_markup
from standin.params import Params, Upload, read_params
from standin.ratelimit import RateLimiter, RateLimits
from standin.state import (
    BotState,
    CallbackQueryState,
    ChatState,
    PendingUpdate,
    StoredFile,
    StoredMessage,
    UpdateKind,
    UserProfile,
    WebhookConfig,
)
from standin.webhook import check_secret_token, check_webhook_url, post_update

TOKEN_RE = re.compile(r"^(\d+):([A-Za-z0-9_-]+)$")
DEFAULT_RATE_LIMITS = RateLimits()

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLLING_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
PHOTO_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}

Handler = Callable[[BotState, Params], Awaitable[Any]]
EventListener = Callable[[int, Event], None]


class StandIn:
    """A Telegram Bot API server for tests, the terminal sandbox and benchmarks."""

    def __init__(
        self,
        rate_limits: RateLimits | None = DEFAULT_RATE_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        files_dir: Path | None = None,
        bot_username: str = "rafiq_sandbox_bot",
        *,
        webhook_attempts: int = 5,
        webhook_backoff: float = 0.05,
        webhook_timeout: float = 30.0,
        callback_answer_seconds: float = 15.0,
    ) -> None:
        self.rate_limits = rate_limits
        self.callback_answer_seconds = callback_answer_seconds
        self.clock = clock
        self.files_dir = files_dir
        self.bot_username = bot_username
        self.webhook_attempts = webhook_attempts
        self.webhook_backoff = webhook_backoff
        self.webhook_timeout = webhook_timeout
        self.latency = 0.0
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._bots: dict[str, BotState] = {}
        self._users: dict[int, SimUser] = {}
        self._blocked: set[int] = set()
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self._listeners: list[EventListener] = []
        self._bot_appeared = asyncio.Event()
        self._query_ids = itertools.count(1)
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._return_true,
                "close": self._return_true,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "sendChatAction": self._send_chat_action,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageMedia": self._edit_message_media,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "deleteMessages": self._delete_messages,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
                "getFile": self._get_file,
            }.items()
        }

    # lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._host = host
        self._session = aiohttp.ClientSession()
        self._closing = False

    @property
    def api_base(self) -> str:
        if self._port is None:
            raise RuntimeError("the stand-in is not started; await server.start() first")
        return f"http://{self._host}:{self._port}"

    async def stop(self) -> None:
        self._closing = True
        for bot in self._bots.values():
            bot.queue_changed.fire()
            bot.drop_pending("the stand-in stopped")
            if bot.webhook_task is not None:
                bot.webhook_task.cancel()
        tasks = [b.webhook_task for b in self._bots.values() if b.webhook_task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._port = None

    async def __aenter__(self) -> StandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # simulated users, fault injection, introspection

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> SimUser:
        """The simulated Telegram user with this id (created on first use)."""
        user = self._users.get(user_id)
        if user is None:
            profile = UserProfile(user_id, first_name, language_code, username)
            user = SimUser(self, profile)
            self._users[user_id] = user
        return user

    @property
    def users(self) -> list[SimUser]:
        return list(self._users.values())

    def block(self, user_id: int) -> None:
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def fail_next(
        self, method: str, status: int = 500, count: int = 1, description: str | None = None
    ) -> None:
        """Answer the next `count` calls of `method` with this HTTP error."""
        text = description or DEFAULT_DESCRIPTIONS.get(status, "Internal Server Error")
        self._failures.setdefault(method.lower(), []).extend([(status, text)] * count)

    def unanswered_callback_queries(self) -> list[CallbackQueryInfo]:
        return [
            CallbackQueryInfo(q.id, q.user_id, q.message_id, q.data)
            for bot in self._bots.values()
            for q in bot.callback_queries.values()
            if not q.answered
        ]

    def stored_files(self) -> list[StoredFile]:
        return [f for bot in self._bots.values() for f in bot.files.values()]

    def add_listener(self, listener: EventListener) -> None:
        """Call listener(user_id, event) for everything any bot does in any chat."""
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        self._listeners.remove(listener)

    @property
    def bots(self) -> list[BotState]:
        return list(self._bots.values())

    # services for SimUser

    def current_bot(self) -> BotState | None:
        """The first bot that called the stand-in; simulated users talk to it."""
        return next(iter(self._bots.values()), None)

    async def primary_bot(self, seconds: float) -> BotState:
        bot = self.current_bot()
        if bot is not None:
            return bot
        try:
            await asyncio.wait_for(self._bot_appeared.wait(), seconds)
        except TimeoutError:
            raise UpdateNotHandled(
                f"no bot called the stand-in at {self._host}:{self._port} within {seconds} s"
            ) from None
        bot = self.current_bot()
        assert bot is not None
        return bot

    def chat_for(self, bot: BotState, user_id: int) -> ChatState:
        chat = bot.chats.get(user_id)
        if chat is None:
            user = self._users.get(user_id)
            if user is None:
                raise bad_request("chat not found")
            chat = ChatState(user.profile, listener=self._notify)
            bot.chats[user_id] = chat
        return chat

    def enqueue_update(
        self, bot: BotState, kind: UpdateKind, body: dict[str, Any], description: str
    ) -> PendingUpdate:
        update_id = bot.next_update_id
        bot.next_update_id += 1
        pending = PendingUpdate(
            update_id=update_id,
            kind=kind,
            payload={"update_id": update_id, kind: body},
            label=f"update {update_id} ({description})",
            done=asyncio.get_running_loop().create_future(),
        )
        if kind not in bot.allowed_updates:
            pending.fail(bot.not_allowed(pending))
            return pending
        bot.payloads[update_id] = pending.payload
        if bot.reports_handling:
            pending.awaits_handling = True
            bot.handling[update_id] = pending
        bot.updates.append(pending)
        bot.queue_changed.fire()
        return pending

    def redeliver(self, token: str, update_id: int) -> PendingUpdate:
        """Deliver an update again with the same update_id, as Telegram does after a crash
        before the offset was confirmed or a webhook answer it never got. Done when the bot
        acknowledges it: a bot that recognises it handles nothing."""
        bot = self._bot_for(token)
        payload = bot.payloads[update_id]
        kind = next(key for key in payload if key != "update_id")
        pending = PendingUpdate(
            update_id=update_id,
            kind=kind,
            payload=payload,
            label=f"update {update_id} (delivered again)",
            done=asyncio.get_running_loop().create_future(),
        )
        bot.updates.append(pending)
        bot.queue_changed.fire()
        return pending

    def handled_reporter(self, token: str) -> Callable[[int], None]:
        """A callback for the bot to call with each update_id it has handled. From then on a
        user's send/press returns only once the bot reports the update handled (a bot with an
        inbox acknowledges an update before it handles it)."""
        bot = self._bot_for(token)
        bot.reports_handling = True

        def handled(update_id: int) -> None:
            pending = bot.handling.pop(update_id, None)
            if pending is not None:
                pending.resolve()

        return handled

    def register_callback_query(
        self, bot: BotState, user_id: int, message_id: int, data: str
    ) -> str:
        query_id = str(4_000_000_000_000_000 + next(self._query_ids))
        bot.callback_queries[query_id] = CallbackQueryState(
            query_id, user_id, message_id, data, created=self.clock()
        )
        return query_id

    async def store_upload(self, bot: BotState, upload: Upload, kind: str = "photo") -> StoredFile:
        stored = self._build_file(bot, upload, kind)
        await self._register_file(bot, stored)
        return stored

    def message_json(
        self, bot: BotState, chat: ChatState, message: StoredMessage
    ) -> dict[str, Any]:
        sender = bot.sender_json() if message.from_bot else chat.profile.user_json()
        return message.to_json(sender, chat.profile.chat_json())

    def _notify(self, user_id: int, event: Event) -> None:
        for listener in list(self._listeners):
            listener(user_id, event)

    # HTTP

    def _bot_for(self, token: str) -> BotState:
        bot = self._bots.get(token)
        if bot is None:
            limiter = RateLimiter(self.rate_limits, self.clock) if self.rate_limits else None
            bot_id = int(token.split(":", 1)[0])
            bot = BotState(token=token, bot_id=bot_id, username=self.bot_username, limiter=limiter)
            self._bots[token] = bot
            self._bot_appeared.set()
        return bot

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not TOKEN_RE.match(token):
            return ApiError(401, "Unauthorized").response()
        bot = self._bot_for(token)
        try:
            params = await read_params(request)
            result = await self.call(bot, request.match_info["method"], params)
        except ApiError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not TOKEN_RE.match(token):
            return ApiError(401, "Unauthorized").response()
        bot = self._bots.get(token)
        stored = bot.files_by_path.get(request.match_info["path"]) if bot else None
        if stored is None:
            return ApiError(404, "Not Found: file not found").response()
        return web.Response(body=stored.data, content_type=_content_type(stored))

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return ApiError(404, "Not Found").response()

    async def call(self, bot: BotState, method: str, params: Params) -> Any:
        """Run one Bot API method for `bot`, as if it arrived over HTTP."""
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        self.calls.append((name, params.recorded()))
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if entry is None:
            raise ApiError(404, "Not Found: method not found")
        failures = self._failures.get(name.lower())
        if failures:
            status, description = failures.pop(0)
            raise ApiError(status, description)
        return await entry[1](bot, params)

    # methods: identity and updates

    async def _get_me(self, bot: BotState, params: Params) -> dict[str, Any]:
        return bot.me_json()

    async def _return_true(self, bot: BotState, params: Params) -> bool:
        return True

    async def _get_updates(self, bot: BotState, params: Params) -> list[dict[str, Any]]:
        if bot.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.integer("offset")
        limit = min(100, max(1, params.integer("limit") or 100))
        timeout = max(0, params.integer("timeout") or 0)
        bot.set_allowed_updates(params.json("allowed_updates"))
        if offset is not None:
            bot.confirm_below(offset)
        bot.poll_generation += 1
        generation = bot.poll_generation
        bot.queue_changed.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not bot.updates and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await bot.queue_changed.wait(remaining)
            if bot.poll_generation != generation:
                raise ApiError(409, POLLING_CONFLICT)
            if bot.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
        return [pending.payload for pending in bot.updates[:limit]]

    async def _set_webhook(self, bot: BotState, params: Params) -> bool:
        url = params.text("url")
        if not url:
            return await self._delete_webhook(bot, params)
        check_webhook_url(url)
        secret = params.text("secret_token")
        if secret is not None:
            check_secret_token(secret)
        max_connections = params.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        if params.flag("drop_pending_updates"):
            bot.drop_pending("setWebhook with drop_pending_updates")
        bot.set_allowed_updates(params.json("allowed_updates"))
        bot.webhook = WebhookConfig(url, secret, max_connections)
        bot.webhook_last_error = None
        bot.queue_changed.fire()
        if bot.webhook_task is None or bot.webhook_task.done():
            bot.webhook_task = asyncio.create_task(self._webhook_worker(bot))
        return True

    async def _delete_webhook(self, bot: BotState, params: Params) -> bool:
        if params.flag("drop_pending_updates"):
            bot.drop_pending("deleteWebhook with drop_pending_updates")
        bot.webhook = None
        bot.queue_changed.fire()
        return True

    async def _get_webhook_info(self, bot: BotState, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": bot.webhook.url if bot.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if bot.webhook is not None:
            info["max_connections"] = bot.webhook.max_connections
            info["allowed_updates"] = sorted(bot.allowed_updates)
            if bot.webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = bot.webhook_last_error
        return info

    async def _webhook_worker(self, bot: BotState) -> None:
        while not self._closing and bot.webhook is not None:
            if not bot.updates:
                await bot.queue_changed.wait()
                continue
            await self._push(bot, bot.updates[0])

    async def _push(self, bot: BotState, pending: PendingUpdate) -> None:
        last_error = ""
        for attempt in range(self.webhook_attempts):
            config = bot.webhook
            if config is None or self._closing or pending not in bot.updates:
                return
            assert self._session is not None
            result = await post_update(
                self._session,
                config.url,
                config.secret_token,
                pending.payload,
                self.webhook_timeout,
            )
            if result.ok:
                if result.reply is not None:
                    await self._execute_reply(bot, result.reply)
                if pending in bot.updates:
                    bot.updates.remove(pending)
                pending.acknowledge()
                return
            last_error = result.error or "unknown error"
            bot.webhook_last_error = (int(time.time()), last_error)
            if attempt + 1 < self.webhook_attempts:
                await asyncio.sleep(self.webhook_backoff * 2**attempt)
        if pending in bot.updates:
            bot.updates.remove(pending)
        pending.fail(
            UpdateNotHandled(
                f"{pending.label} could not be delivered to the webhook "
                f"after {self.webhook_attempts} attempts: {last_error}"
            )
        )

    async def _execute_reply(self, bot: BotState, reply: dict[str, Any]) -> None:
        fields = dict(reply)
        method = str(fields.pop("method"))
        try:
            await self.call(bot, method, Params(fields))
        except ApiError as error:
            bot.webhook_last_error = (int(time.time()), error.description)

    # methods: sending

    def _target_chat(self, bot: BotState, params: Params, *, sending: bool) -> ChatState:
        chat = self.chat_for(bot, params.chat_id())
        if sending and chat.profile.id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _rate_limit(self, bot: BotState, chat: ChatState) -> None:
        if bot.limiter is not None:
            bot.limiter.acquire(chat.profile.id)

    def _new_bot_message(self, bot: BotState, chat: ChatState, **content: Any) -> dict[str, Any]:
        message = StoredMessage(
            message_id=chat.allocate_message_id(),
            chat_id=chat.profile.id,
            from_bot=True,
            date=int(time.time()),
            **content,
        )
        chat.messages[message.message_id] = message
        chat.record(Event("message", message.message_id, message.view()))
        return self.message_json(bot, chat, message)

    async def _send_message(self, bot: BotState, params: Params) -> dict[str, Any]:
        chat = self._target_chat(bot, params, sending=True)
        text = _message_text(params)
        markup = parse_reply_markup(params.get("reply_markup"))
        self._rate_limit(bot, chat)
        return self._new_bot_message(
            bot,
            chat,
            text=text.text,
            entities=text.entities,
            raw_text=params.text("text"),
            reply_markup=markup,
        )

    async def _send_photo(self, bot: BotState, params: Params) -> dict[str, Any]:
        return await self._send_media(bot, params, "photo")

    async def _send_document(self, bot: BotState, params: Params) -> dict[str, Any]:
        return await self._send_media(bot, params, "document")

    async def _send_media(self, bot: BotState, params: Params, kind: str) -> dict[str, Any]:
        chat = self._target_chat(bot, params, sending=True)
        caption = _caption(
            params.text("caption"), params.text("parse_mode"), params.json("caption_entities")
        )
        markup = parse_reply_markup(params.get("reply_markup"))
        stored = self._resolve_media(bot, params, params.get(kind), kind)
        self._rate_limit(bot, chat)
        await self._register_file(bot, stored)
        return self._new_bot_message(
            bot,
            chat,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            raw_caption=params.text("caption"),
            reply_markup=markup,
            **{kind: stored},
        )

    async def _send_chat_action(self, bot: BotState, params: Params) -> bool:
        chat = self._target_chat(bot, params, sending=True)
        action = params.text("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.record(Event("chat_action", action=action))
        return True

    # methods: editing and deleting

    def _own_message(self, bot: BotState, params: Params) -> tuple[ChatState, StoredMessage]:
        chat = self._target_chat(bot, params, sending=False)
        message = chat.messages.get(params.message_id())
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _apply_edit(
        self, bot: BotState, chat: ChatState, message: StoredMessage, **changes: Any
    ) -> dict[str, Any]:
        before = message.content()
        previous = {key: getattr(message, key) for key in changes}
        for key, value in changes.items():
            setattr(message, key, value)
        if message.content() == before:
            for key, value in previous.items():
                setattr(message, key, value)
            raise bad_request(NOT_MODIFIED)
        try:
            self._rate_limit(bot, chat)  # Telegram counts edits against the chat's limit too
        except ApiError:
            for key, value in previous.items():
                setattr(message, key, value)
            raise
        message.edit_date = int(time.time())
        chat.record(Event("edit", message.message_id, message.view()))
        return self.message_json(bot, chat, message)

    async def _edit_message_text(self, bot: BotState, params: Params) -> dict[str, Any]:
        chat, message = self._own_message(bot, params)
        text = _message_text(params)
        markup = parse_reply_markup(params.get("reply_markup"))
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        return self._apply_edit(
            bot,
            chat,
            message,
            text=text.text,
            entities=text.entities,
            raw_text=params.text("text"),
            reply_markup=markup,
        )

    async def _edit_message_caption(self, bot: BotState, params: Params) -> dict[str, Any]:
        chat, message = self._own_message(bot, params)
        caption = _caption(
            params.text("caption"), params.text("parse_mode"), params.json("caption_entities")
        )
        markup = parse_reply_markup(params.get("reply_markup"))
        if message.photo is None and message.document is None:
            raise bad_request("there is no caption in the message to edit")
        return self._apply_edit(
            bot,
            chat,
            message,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            raw_caption=params.text("caption"),
            reply_markup=markup,
        )

    async def _edit_message_media(self, bot: BotState, params: Params) -> dict[str, Any]:
        chat, message = self._own_message(bot, params)
        media = params.json("media")
        if not isinstance(media, dict):
            raise bad_request("can't parse InputMedia: media must be an Object")
        kind = media.get("type")
        if kind not in ("photo", "document"):
            raise bad_request(f"the stand-in supports photo and document media, not {kind!r}")
        markup = parse_reply_markup(params.get("reply_markup"))
        if message.photo is None and message.document is None:
            raise bad_request("there is no media in the message to edit")
        raw_caption = media.get("caption") if isinstance(media.get("caption"), str) else None
        caption = _caption(raw_caption, media.get("parse_mode"), media.get("caption_entities"))
        stored = self._resolve_media(bot, params, media.get("media"), kind)
        result = self._apply_edit(
            bot,
            chat,
            message,
            photo=stored if kind == "photo" else None,
            document=stored if kind == "document" else None,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            raw_caption=raw_caption,
            reply_markup=markup,
        )
        await self._register_file(bot, stored)
        return result

    async def _edit_message_reply_markup(self, bot: BotState, params: Params) -> dict[str, Any]:
        chat, message = self._own_message(bot, params)
        markup = parse_reply_markup(params.get("reply_markup"))
        return self._apply_edit(bot, chat, message, reply_markup=markup)

    async def _delete_message(self, bot: BotState, params: Params) -> bool:
        chat = self._target_chat(bot, params, sending=False)
        message_id = params.integer("message_id")
        if message_id is None or message_id not in chat.messages:
            raise bad_request("message to delete not found")
        del chat.messages[message_id]
        chat.record(Event("delete", message_id))
        return True

    async def _delete_messages(self, bot: BotState, params: Params) -> bool:
        chat = self._target_chat(bot, params, sending=False)
        message_ids = params.json("message_ids")
        if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
            raise bad_request("message_ids must be a list of 1-100 message identifiers")
        for message_id in message_ids:
            if chat.messages.pop(message_id, None) is not None:
                chat.record(Event("delete", message_id))
        return True

    async def _answer_callback_query(self, bot: BotState, params: Params) -> bool:
        query = bot.callback_queries.get(params.text("callback_query_id") or "")
        expired = query is not None and (
            self.clock() - query.created > self.callback_answer_seconds
        )
        if query is None or query.answered or expired:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.text("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        chat = self.chat_for(bot, query.user_id)
        chat.record(
            Event(
                "callback_answer",
                query.message_id,
                text=text,
                show_alert=params.flag("show_alert"),
            )
        )
        return True

    # methods: commands and menu

    async def _set_my_commands(self, bot: BotState, params: Params) -> bool:
        commands = params.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 BotCommand objects")
        for command in commands:
            if not isinstance(command, dict) or not COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        bot.commands[_commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, bot: BotState, params: Params) -> list[dict[str, Any]]:
        return bot.commands.get(_commands_key(params), [])

    async def _delete_my_commands(self, bot: BotState, params: Params) -> bool:
        bot.commands.pop(_commands_key(params), None)
        return True

    async def _set_chat_menu_button(self, bot: BotState, params: Params) -> bool:
        button = params.json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu button")
        bot.menu_buttons[params.integer("chat_id")] = button
        return True

    async def _get_chat_menu_button(self, bot: BotState, params: Params) -> dict[str, Any]:
        chat_id = params.integer("chat_id")
        return bot.menu_buttons.get(chat_id) or bot.menu_buttons.get(None) or {"type": "commands"}

    # files

    async def _get_file(self, bot: BotState, params: Params) -> dict[str, Any]:
        stored = bot.files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.file_json()

    def _resolve_media(self, bot: BotState, params: Params, value: Any, kind: str) -> StoredFile:
        """The file a send refers to: an upload (new, unregistered) or a known file_id."""
        if isinstance(value, Upload):
            return self._build_file(bot, value, kind)
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        if value.startswith("attach://"):
            upload = params.upload(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"file attachment {value!r} is not in the request")
            return self._build_file(bot, upload, kind)
        if value.startswith(("http://", "https://")):
            raise bad_request(
                "failed to get HTTP URL content: the stand-in has no internet access; "
                "upload the file or send a file_id instead"
            )
        stored = bot.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    def _build_file(self, bot: BotState, upload: Upload, kind: str) -> StoredFile:
        data = upload.data
        if not data:
            raise bad_request("file must be non-empty")
        number = len(bot.files_by_path) + 1
        digest = hashlib.sha256(kind.encode() + data).digest()
        unique_id = "AQAD" + base64.urlsafe_b64encode(digest[:12]).decode()
        if kind == "photo":
            width, height, extension = _photo_dimensions(data)
            return StoredFile(
                file_id="AgAC" + secrets.token_urlsafe(30),
                file_unique_id=unique_id,
                kind="photo",
                data=data,
                file_path=f"photos/file_{number}{extension}",
                width=width,
                height=height,
            )
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        file_name = Path(upload.filename).name if upload.filename else "document"
        mime_type = (
            mimetypes.guess_type(file_name)[0] or upload.content_type or "application/octet-stream"
        )
        return StoredFile(
            file_id="BQAC" + secrets.token_urlsafe(30),
            file_unique_id=unique_id,
            kind="document",
            data=data,
            file_path=f"documents/file_{number}{Path(file_name).suffix}",
            file_name=file_name,
            mime_type=mime_type,
        )

    async def _register_file(self, bot: BotState, stored: StoredFile) -> None:
        if stored.file_id in bot.files:
            return
        bot.files[stored.file_id] = stored
        bot.files_by_path[stored.file_path] = stored
        if self.files_dir is not None:
            path = self.files_dir / str(bot.bot_id) / stored.file_path
            await asyncio.to_thread(_write_file, path, stored.data)
            stored.disk_path = path


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _photo_dimensions(data: bytes) -> tuple[int, int, str]:
    if len(data) > MAX_PHOTO_BYTES:
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    try:
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
            image_format = image.format or ""
    except (UnidentifiedImageError, OSError, ValueError):
        raise bad_request("IMAGE_PROCESS_FAILED") from None
    if (
        width + height > MAX_PHOTO_SIDES
        or min(width, height) == 0
        or max(width, height) / min(width, height) > MAX_PHOTO_RATIO
    ):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return width, height, PHOTO_EXTENSIONS.get(image_format, f".{image_format.lower()}")


def _message_text(params: Params) -> Formatted:
    raw = params.text("text")
    if raw is None:
        raise bad_request("message text is empty")
    text = format_text(raw, params.text("parse_mode"), params.json("entities"))
    if not text.text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text.text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text


def _caption(raw: str | None, parse_mode: Any, entities: Any) -> Formatted | None:
    if raw is None:
        return None
    caption = format_text(raw, parse_mode if isinstance(parse_mode, str) else None, entities)
    if utf16_len(caption.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return caption if caption.text else None


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.json("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), params.text("language_code") or ""


def _content_type(stored: StoredFile) -> str:
    if stored.mime_type:
        return stored.mime_type
    guessed = mimetypes.guess_type(stored.file_path)[0]
    return guessed or "application/octet-stream"

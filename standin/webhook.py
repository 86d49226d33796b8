"""Pushing updates to a webhook and reading the method a bot may answer with."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from standin.errors import bad_request
from standin.params import Upload

SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: an HTTP or HTTPS URL must be provided for webhook")
    if not is_loopback(parts.hostname):
        raise bad_request(
            "bad webhook: the stand-in only delivers webhooks to loopback addresses "
            f"(127.0.0.1, ::1, localhost), not {parts.hostname!r}"
        )


def check_secret_token(secret: str) -> None:
    if not SECRET_TOKEN_RE.match(secret):
        raise bad_request(
            "secret token must be 1-256 characters, only A-Z, a-z, 0-9, _ and - are allowed"
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    error: str | None = None
    reply: dict[str, Any] | None = None


async def post_update(
    session: aiohttp.ClientSession,
    url: str,
    secret_token: str | None,
    update: dict[str, Any],
    seconds: float,
) -> DeliveryResult:
    """POST one update; a 2xx answer is a delivery, and may carry a method to execute."""
    headers = {SECRET_HEADER: secret_token} if secret_token else {}
    try:
        async with session.post(
            url,
            json=update,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            if not 200 <= response.status < 300:
                return DeliveryResult(False, f"Wrong response from the webhook: {response.status}")
            return DeliveryResult(True, reply=await read_reply(response))
    except (aiohttp.ClientError, TimeoutError) as error:
        return DeliveryResult(False, f"Connection error: {type(error).__name__}: {error}")


async def read_reply(response: aiohttp.ClientResponse) -> dict[str, Any] | None:
    """A webhook answer may be a Bot API method call (JSON or multipart with a 'method')."""
    if response.content_type.startswith("multipart/"):
        fields: dict[str, Any] = {}
        reader = aiohttp.MultipartReader.from_response(response)
        while (part := await reader.next()) is not None:
            if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
                continue
            if part.filename:
                fields[part.name] = Upload(
                    part.filename, part.headers.get("Content-Type"), bytes(await part.read())
                )
            else:
                fields[part.name] = await part.text()
        return fields if fields.get("method") else None
    body = await response.read()
    if not body:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, dict) and parsed.get("method"):
        return parsed
    return None

"""An item card: one item (image or text) with its label buttons, in one message.

Practice sets use it. Paid work has its own card (handlers/work.py): leases, tag toggles,
Skip and reports need more than a label row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import ItemAnswer
from handlers.screens import Screen


@dataclass(frozen=True)
class ItemCard:
    kind: str  # "p" practice
    ref: str  # what the items belong to (a course id, later a project id)
    item: str  # the item's id
    question: str
    labels: tuple[tuple[str, str], ...]  # (label id, label text)
    counter: str  # e.g. "3/8"
    image: Path | None = None
    text: str | None = None
    leave: tuple[InlineKeyboardButton, ...] = ()  # the last row: ways out of the set


def label_keyboard(card: ItemCard) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for label_id, label_text in card.labels:
        builder.button(
            text=label_text,
            callback_data=ItemAnswer(kind=card.kind, ref=card.ref, item=card.item, label=label_id),
        )
    builder.adjust(2)
    if card.leave:
        builder.row(*card.leave)
    return builder.as_markup()


def item_screen(card: ItemCard) -> Screen:
    body = f"{card.question}\n{card.counter}"
    if card.text:
        body = f"{card.text}\n\n{body}"
    return Screen(body, label_keyboard(card), card.image)


def feedback_screen(card: ItemCard, verdict: str, next_markup: InlineKeyboardMarkup) -> Screen:
    """The same card after an answer: the item stays, the buttons give way to the verdict."""
    body = f"{card.text}\n\n{verdict}" if card.text else verdict
    return Screen(body, next_markup, card.image)

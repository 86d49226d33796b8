"""Which catalog a user gets."""

from __future__ import annotations

CATALOG_LOCALES = ("ar", "fa_AF", "uk", "en")

LANGUAGE_NAMES = {
    "ar": "العربية",
    "fa_AF": "دری",
    "uk": "Українська",
    "en": "English",
}


def catalog_for(language_code: str | None, default: str = "en") -> str:
    """Map Telegram's language_code (an IETF tag such as fa-AF) to one of our catalogs."""
    if not language_code:
        return default
    tag = language_code.replace("_", "-").lower()
    primary = tag.split("-")[0]
    if primary in {"fa", "prs"}:
        return "fa_AF"
    if primary == "ar":
        return "ar"
    if primary == "uk":
        return "uk"
    if primary == "en":
        return "en"
    return default

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


# The digits each catalog shows when the deployment uses native digits (CLDR numbering systems):
# Arabic-Indic for Arabic, Extended Arabic-Indic (Persian) for Dari; the others use Western.
NATIVE_NUMBERING = {"ar": "arab", "fa_AF": "arabext"}

# The CLDR locale that formats a catalog's numbers and dates. Arabic reads as in Syria, Iraq and
# Lebanon (كانون الثاني، شباط، آذار...), not Egypt (يناير، فبراير، مارس...); Babel's fa_AF
# already names the months as Afghans say them (جنوری، فبروری، مارچ...).
FORMAT_LOCALES = {"ar": "ar_SY"}

"""Text as the printer's code page can print it: typographic characters mapped to the plain ones it has.

A fee name typed in a word processor carries an en dash, curly quotes, an ellipsis or a narrow no-break
space; none of them is in CP858, and a line holding one would otherwise go as a raster image in a
proportional font among printer text (and ten times the bytes). They are printed as "-", "'", "...", a
space; bidi marks and other invisible controls are dropped; a Latin letter the page lacks ("ő", "ș", "œ")
loses its accent. Only text that has no printable equivalent (Arabic, Greek, CJK) is left to the raster.
"""

from __future__ import annotations

import unicodedata
from functools import cache

NO_BREAK = "\u00a0"  # kept through wrapping (it joins "60,00 €"), printed as a space
INVISIBLE = frozenset("\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                      "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff")
PLAIN = {
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe63\uff0d", "-"),  # dashes, minus
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc", "'"),  # single quotes, prime, apostrophe
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),  # double quotes
    **dict.fromkeys("\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u3000", " "),  # spaces that break
    **dict.fromkeys("\u202f\u2007", NO_BREAK),  # narrow no-break space (French "12 %"), figure space
    "\u2026": "...", "\u2039": "<", "\u203a": ">", "\u2022": "*", "\u2027": "-", "\u2044": "/",
    "\u0153": "oe", "\u0152": "OE", "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D",
    "\u0131": "i", "\u20ac": "EUR",  # the euro sign where the code page lacks it (CP437, CP850)
}


def printable(text: str, code_page: str) -> str | None:
    """text in characters the code page has (no-break spaces kept as U+00A0), or None when one character
    has no printable equivalent."""
    shown = []
    for char in text:
        plain = printable_char(char, code_page.lower())
        if plain is None:
            return None
        shown.append(plain)
    return "".join(shown)


@cache
def printable_char(char: str, codec: str) -> str | None:
    if char in INVISIBLE:
        return ""
    for candidate in (char, PLAIN.get(char, ""), _without_accents(char)):
        if _encodes(candidate, codec):
            return candidate
    return None


def _without_accents(char: str) -> str:
    """"ő" -> "o", "ﬁ" -> "fi", "№" -> "No": the compatibility decomposition without combining marks."""
    return "".join(part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part))


def _encodes(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return bool(text)

"""What the waiting room hears for a call: "Ticket A 42, counter 5" in each language, from the site's sentence
templates (`site.announcements`). A ticket and a counter, never a name.

A template has `{ticket}` and `{counter}` once each. The ticket "A-042" is said as its letter, then its number
without the leading zeros; the counter as its number. The sentence is a list of parts (words, letters,
numbers), so that a voice can say it whole (espeak-ng) or join one recording per part: the words before
`{ticket}` are the clip `ticket`, those before `{counter}` the clip `counter`, any after the last placeholder
the clip `end`; a letter is `letter_a`, a number `number_42`. The kiosk's audio guide says its screens'
sentences with the same pieces (`spoken`: a ticket number as a call says it). Pure functions: no Flask, no
devices.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from typing import Any

from core.errors import N_, InvalidInput

PLACEHOLDERS = ("ticket", "counter")
TICKET_NUMBER = re.compile(r"(?P<letters>[A-Z]{1,3})-(?P<digits>[0-9]{1,6})")
COUNTER_NUMBER = re.compile(r"[0-9]{1,6}")
SPELLED_CODE = re.compile(r"[A-Z0-9](-?[A-Z0-9]){0,11}")
CODE_PLACEHOLDER = "{code}"
WORDS, LETTER, NUMBER = "words", "letter", "number"


@dataclass(frozen=True)
class Part:
    kind: str  # words, letter or number
    text: str  # what is said: "guichet", "A", "42"
    clip: str  # the recording that says it: "counter", "letter_a", "number_42"; "" for punctuation only


@dataclass(frozen=True)
class Sentence:
    lang: str
    parts: tuple[Part, ...]  # a voice says them (hardware/voice): whole, or one recording per part


def check_template(lang: str, template: str) -> None:
    """ValueError, saying why, unless `template` has `{ticket}` and `{counter}` once each and nothing else."""
    try:
        fields = [(name, spec, conversion) for _text, name, spec, conversion
                  in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise ValueError(f"site.announcements.{lang}: {error} in {template!r}") from None
    names = sorted(name for name, _spec, _conversion in fields)
    if names != sorted(PLACEHOLDERS) or any(spec or conversion for _name, spec, conversion in fields):
        raise ValueError(f"site.announcements.{lang} = {template!r}: a sentence needs {{ticket}} and "
                         f"{{counter}} once each, and no other placeholder")


def parse_ticket(number: str) -> tuple[str, int]:
    """("A", 42) for "A-042"; InvalidInput for anything else."""
    found = TICKET_NUMBER.fullmatch(number)
    if not found:
        raise InvalidInput(N_("A ticket number is a capital letter, a dash and digits, for example A-042."))
    return found["letters"], int(found["digits"])


def parse_counter(counter: str) -> int:
    if not COUNTER_NUMBER.fullmatch(counter):
        raise InvalidInput(N_("A counter is given by its number, for example 5."))
    return int(counter)


def sentence(template: str, lang: str, number: str, counter: int) -> Sentence:
    """The call of ticket `number` to `counter` in `lang`, from a checked template."""
    said = {"ticket": ticket_parts(number), "counter": [_number(counter)]}
    parts: list[Part] = []
    for text, name, _spec, _conversion in string.Formatter().parse(template):
        if text.strip():
            clip = (name or "end") if any(char.isalnum() for char in text) else ""
            parts.append(Part(WORDS, text, clip))
        elif text:
            parts.append(Part(WORDS, text, ""))
        if name:
            parts.extend(said[name])
    return Sentence(lang, tuple(parts))


def ticket_parts(number: str) -> list[Part]:
    """Ticket "A-042" as said: its letter, then its number without the leading zeros ("A 42")."""
    letters, value = parse_ticket(number)
    return [Part(LETTER, letter, f"letter_{letter.lower()}") for letter in letters] + [_number(value)]


def code_parts(code: str) -> list[Part]:
    """A code on a kiosk screen as said: a ticket number as a call says it ("A 42"); a booking reference or
    the key of a keypad ("RDV-7KQ2", "B") spelled, one character after the other."""
    if TICKET_NUMBER.fullmatch(code):
        return ticket_parts(code)
    if not SPELLED_CODE.fullmatch(code):
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="code")
    return [Part(LETTER, char, "") for char in code if char != "-"]


def spoken(text: str, lang: str, code: str | None = None) -> Sentence:
    """A sentence of the kiosk's audio guide: `text` as words, its `{code}` (once at most, and only with a
    `code`) said by code_parts."""
    before, found, after = text.partition(CODE_PLACEHOLDER)
    if bool(found) != (code is not None) or CODE_PLACEHOLDER in after:
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="code")
    said = code_parts(code) if code is not None else []
    return Sentence(lang, (*_words(before), *said, *_words(after)))


def _words(text: str) -> tuple[Part, ...]:
    return (Part(WORDS, text, ""),) if text.strip() else ()


def _number(value: int) -> Part:
    return Part(NUMBER, str(value), f"number_{value}")


def templates(configured: dict[str, Any]) -> dict[str, str]:
    """The sentence of each language: the site's `site.announcements`, the built-in one for a language it
    leaves out (a site file that sets `[site.announcements] fr = "…"` replaces the whole table)."""
    merged = {**builtin_templates(), **{str(lang): str(text) for lang, text in configured.items()}}
    for lang, template in merged.items():
        check_template(lang, template)
    return merged


@cache
def builtin_templates() -> dict[str, str]:
    from core import config as site_config

    return {str(lang): str(text) for lang, text in site_config.load(env={}).site["announcements"].items()}

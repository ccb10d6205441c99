"""The consular terms of docs/glossary.md are the ones every catalog and every service or fee name uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core import config as site_config
from core.config import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "glossary.md"
CATALOGS = ROOT / "core" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")
OTHER_LANGUAGES = [lang for lang in LANGUAGES if lang != "en"]
# The official wording of Moroccan consular services (docs/glossary.md, notes): (en, language) → the term.
OFFICIAL = {
    ("CNIE", "fr"): "Carte Nationale d'Identité Électronique",
    ("CNIE", "ar"): "البطاقة الوطنية للتعريف الإلكترونية",
    ("biometric passport", "fr"): "passeport biométrique",
    ("biometric passport", "ar"): "جواز السفر البيومتري",
    ("civil status", "fr"): "État civil",
    ("civil status", "ar"): "الحالة المدنية",
    ("consular registration", "fr"): "Immatriculation consulaire",
    ("consular registration", "ar"): "التسجيل القنصلي",
    ("legalisation", "fr"): "Légalisation",
    ("appointment", "fr"): "rendez-vous",
}


@dataclass(frozen=True)
class Term:
    english: tuple[str, ...]
    not_meant: tuple[str, ...]  # English phrases where the word means something else ("terminal's ticket")
    forms: dict[str, tuple[str, ...]]  # language → accepted forms, the term itself first

    def in_english(self, text: str) -> bool:
        words = PLACEHOLDER.sub(" ", text)  # "%(kiosk)s" names a value, it is not the word
        for phrase in self.not_meant:
            words = re.sub(re.escape(phrase), " ", words, flags=re.IGNORECASE)
        return any(re.search(rf"(?<![\w-]){re.escape(word)}s?(?![\w-])", words, re.IGNORECASE)
                   for word in self.english)

    def used(self, lang: str, text: str, official: bool = False) -> bool:
        forms = self.forms[lang][:1] if official else self.forms[lang]
        return any(form.casefold() in text.casefold() for form in forms)


def glossary(text: str) -> list[Term]:
    """The rows of the table under "## Terms": `| en | ar | fr | … |`, each cell forms separated by `;`."""
    table = text.split("## Terms", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in table.splitlines() if line.startswith("|")]
    header, body = rows[0], [row for row in rows[2:] if row]
    assert sorted(header) == sorted(LANGUAGES), "the glossary has one column per language"
    terms = []
    for row in body:
        cells = {lang: tuple(form.strip() for form in cell.split(";") if form.strip())
                 for lang, cell in zip(header, row, strict=True)}
        assert all(cells.values()), f"a glossary row leaves a language empty: {row}"
        english = cells.pop("en")
        terms.append(Term(tuple(word for word in english if not word.startswith("not:")),
                          tuple(word[4:].strip() for word in english if word.startswith("not:")), cells))
    return terms


def catalog(lang: str) -> dict[str, str]:
    """English source → translation (each plural form of the source → each translated form, joined)."""
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        messages = read_po(handle, locale=lang)
    pairs = {}
    for message in messages:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        for source in ids:
            pairs[source] = " ‖ ".join(strings)
    return pairs


def catalog_misses(terms: list[Term], lang: str, pairs: dict[str, str]) -> list[str]:
    """Each translation that leaves out the glossary's term for an English term its source contains."""
    return [f"{lang}: {term.english[0]!r} ≠ {translated!r} (source {source!r}; expected {term.forms[lang]})"
            for source, translated in pairs.items() for term in terms
            if term.in_english(source) and not term.used(lang, translated)]


def configured_names() -> list[tuple[dict[str, str], bool]]:
    """The names per language of every service (official: True) and fee (False) of the built-in site."""
    config = site_config.load(env={})
    return [(dict(names), official) for service in config.services.values()
            for names, official in ((service.names, True), *((item.names, False) for item in service.fees))]


@pytest.fixture(scope="module")
def terms() -> list[Term]:
    return glossary(GLOSSARY.read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_translation_uses_the_glossary_term(terms: list[Term], lang: str) -> None:
    assert catalog_misses(terms, lang, catalog(lang)) == []


def test_service_names_use_the_official_term_and_fee_names_the_glossary_term(terms: list[Term]) -> None:
    misses = [f"{lang}: {names['en']!r} → {names[lang]!r} lacks {term.forms[lang][:1 if official else None]}"
              for names, official in configured_names() for term in terms if term.in_english(names["en"])
              for lang in OTHER_LANGUAGES if not term.used(lang, names[lang], official=official)]
    assert misses == []


def test_every_term_is_checked_against_some_text(terms: list[Term]) -> None:
    english = list(catalog("fr")) + [names["en"] for names, _official in configured_names()]
    unused = [term.english[0] for term in terms if not any(term.in_english(text) for text in english)]
    assert unused == []
    assert len(terms) >= 15


def test_the_official_french_and_arabic_terms_are_kept(terms: list[Term]) -> None:
    by_english = {term.english[0]: term for term in terms}
    for (english, lang), official in OFFICIAL.items():
        assert by_english[english].forms[lang][0] == official


def test_the_check_finds_a_term_left_out() -> None:
    """A translation with another word for a glossary term is reported; one with its plural is not."""
    terms = glossary("## Terms\n| en | ar | fr | es | it | de | nl |\n|---|---|---|---|---|---|---|\n"
                     "| ticket | تذكرة | ticket | ticket | biglietto; biglietti | Ticket | ticket |\n")
    pairs = {"Take your ticket.": "Tome su turno.", "Tickets stopped.": "Tickets detenidos.",
             "Counter": "Ventanilla"}
    assert catalog_misses(terms, "es", pairs) == [
        "es: 'ticket' ≠ 'Tome su turno.' (source 'Take your ticket.'; expected ('ticket',))"]

"""Every string a person sees exists in all seven catalogs, with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.config import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "core" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg", "-k", "N_",
         "-o", str(pot), "core", "kiosk", "counter", "display"],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id if isinstance(message.id, str) else message.id[0]
                for message in read_po(handle) if message.id}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_covers_the_source(lang: str, source_ids: set[str]) -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(lang) if m.id}
    assert len(source_ids) > 100
    assert sorted(source_ids - ids) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_with_matching_placeholders(lang: str) -> None:
    problems = []
    for message in catalog(lang):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        expected = set(PLACEHOLDER.findall(ids[0])) | set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            if not text or "fuzzy" in message.flags:
                problems.append(("untranslated", ids[0]))
            elif set(PLACEHOLDER.findall(text)) != expected:
                problems.append(("placeholders", ids[0]))
    assert problems == []

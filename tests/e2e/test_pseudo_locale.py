"""A pseudo-locale shows that the kiosk holds text longer than any of its languages, in real Chromium.

Every catalog string is rewritten: its letters accented (Ŧĥé šéŕvíçé), its length grown by about 40 % with
extra words (what German or Dutch add to English), and, in the right-to-left run, framed by right-to-left
marks (U+200F). The pseudo catalogs replace English (left to right) and Arabic (right to left) in a temporary
folder; the server under test reads its catalogs from there (a `sitecustomize` on its PYTHONPATH points
Flask-Babel at the folder, nothing else changes). Each kiosk screen is then checked at the kiosk's three
screen sizes with the checks of test_kiosk_layout.py: no scrolling, nothing off screen, no text overflowing
or sticking out of its box, no word broken across lines, touch targets of 44 px at least.

Service and fee names come from the site configuration, not the catalogs: they keep their real (already
long) names, which test_kiosk_layout.py checks in the seven languages."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from hardware.payment import CaisseApSimulator
from tests.e2e.test_kiosk_layout import Fit, open_kiosk, pay_passport

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "core" / "translations"
PSEUDO_LANGUAGES = {"en": "", "ar": "\u200f"}  # the language replaced → the mark framing each string
GROWTH = 0.4
ACCENTED = str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                         "åƀçðéƒĝĥíĵķľɱñőþǫŕšŧűṽŵẋÿžÅƁÇÐÉƑĜĤÍĴĶĽṀÑŐÞǪŔŠŦŰṼŴẊŸŽ")
PADDING = ["ŵőŕð", "ľőñĝéŕ", "ŧéẋŧš", "ĥéŕé"]
# Placeholders, tags and entities keep their exact spelling: the code fills and parses them.
KEPT = re.compile(r"(%\([a-z_]+\)s|\{[a-z_]+\}|<[^>]*>|&[a-z]+;)")
SITECUSTOMIZE = '''"""Test only (tests/e2e/test_pseudo_locale.py): Flask-Babel reads $PSEUDO_CATALOGS."""
import importlib.abc
import importlib.machinery
import os
import sys


class PseudoCatalogs(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "flask_babel":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            init_app = module.Babel.init_app

            def pseudo_init_app(self, app, *args, **kwargs):
                init_app(self, app, *args, **kwargs)
                app.extensions["babel"].translation_directories = [os.environ["PSEUDO_CATALOGS"]]

            module.Babel.init_app = pseudo_init_app

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, PseudoCatalogs())
'''


def pseudo(text: str, mark: str) -> str:
    """`text` accented and about 40 % longer, its placeholders and markup untouched, framed by `mark`."""
    if not text:
        return text
    parts = [part if KEPT.fullmatch(part) else part.translate(ACCENTED) for part in KEPT.split(text)]
    grown, extra = "".join(parts), list[str]()
    while len(" ".join([grown, *extra])) < len(text) * (1 + GROWTH):
        extra.append(PADDING[len(extra) % len(PADDING)])
    return mark + " ".join([grown, *extra]) + mark


def write_pseudo_catalogs(folder: Path) -> None:
    """The real compiled catalogs, with English and Arabic replaced by their pseudo versions."""
    shutil.copytree(CATALOGS, folder, ignore=shutil.ignore_patterns("*.po", "*.pot"))
    for lang, mark in PSEUDO_LANGUAGES.items():
        with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if not message.id:
                continue
            if isinstance(message.id, str):
                message.string = pseudo(message.id, mark)
            else:
                forms = len(message.string) if isinstance(message.string, tuple) else 2
                message.string = tuple(pseudo(message.id[min(i, 1)], mark) for i in range(forms))
        with (folder / lang / "LC_MESSAGES" / "messages.mo").open("wb") as handle:
            write_mo(handle, catalog)


@pytest.fixture
def pseudo_server(tmp_path: Path, dour: Any) -> Iterator[Any]:
    catalogs, hook = tmp_path / "pseudo-catalogs", tmp_path / "pseudo-hook"
    write_pseudo_catalogs(catalogs)
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    with CaisseApSimulator(slow_seconds=0.05) as terminal:
        srv = dour.Server(tmp_path, env={
            "PYTHONPATH": str(hook), "PSEUDO_CATALOGS": str(catalogs), "DOUR_DEVICES_PAYMENT": terminal.uri,
            "DOUR_DEVICES_PRINTER": "sim://", "DOUR_POLICY_KIOSK_IDLE_SECONDS": "600",
            "DOUR_SITE_DEFAULT_LANGUAGE": "en"}).provision()
        srv.start()
        try:
            yield srv
        finally:
            srv.stop()


def test_the_pseudo_text_is_longer_accented_and_keeps_its_placeholders() -> None:
    source = "Ticket %(number)s at <b>counter</b> {counter}"
    text = pseudo(source, "\u200f")
    assert "%(number)s" in text and "<b>" in text and "{counter}" in text and "Ŧíçķéŧ" in text
    assert text.startswith("\u200f") and len(text) >= 1.4 * len(source)


def test_every_kiosk_screen_holds_pseudo_text_at_every_screen_size(
    pseudo_server: Any, browser: Any, output_dir: Path,
) -> None:
    page = browser.new_page(viewport={"width": 1080, "height": 1920})
    fit = Fit(page, output_dir)
    page.goto(f"{pseudo_server.url}/enrol?token={pseudo_server.kiosk_token}&next=/kiosk")
    page.get_by_test_id("start-screen").wait_for()
    assert "Çĥőőšé" in page.locator(".start-title").inner_text()  # the pseudo catalog is the one in use
    fit.check("pseudo-start")
    for lang in PSEUDO_LANGUAGES:
        open_kiosk(page, pseudo_server, lang)
        assert "Çĥőőšé" in page.locator("#services-title").inner_text()
        fit.check(f"pseudo-{lang}-services")
        page.get_by_test_id("appointment-button").click()
        page.get_by_test_id("appointment-screen").wait_for()
        fit.check(f"pseudo-{lang}-appointment")
        page.get_by_test_id("appointment-back").click()
        page.get_by_test_id("service-registration").click()
        page.get_by_test_id("take-ticket").wait_for(timeout=15_000)
        fit.check(f"pseudo-{lang}-ticket")
        open_kiosk(page, pseudo_server, lang)
        page.get_by_test_id("service-passport").click()
        page.get_by_test_id("payment-screen").wait_for()
        fit.check(f"pseudo-{lang}-fees")
        open_kiosk(page, pseudo_server, lang)
        pay_passport(page)
        page.get_by_test_id("take-ticket").wait_for(timeout=15_000)
        fit.check(f"pseudo-{lang}-receipt")
    assert not fit.problems, "\n".join(fit.problems)

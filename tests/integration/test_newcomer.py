"""A newcomer's first minutes: no 404 in every page's log, and the docs say what the server really runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_the_site_has_an_icon(client: Any) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml" and b"<svg" in answer.data


def test_the_cli_docs_name_the_default_worker() -> None:
    serve = next(line for line in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8").splitlines()
                 if line.startswith("| `dour serve"))
    assert "`gevent` by default" in serve


def test_make_venv_fetches_the_browser_client() -> None:
    venv = next(line for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
                if line.startswith("venv:"))
    assert "$(VENDOR_JS)" in venv


def test_an_unknown_ticket_link_shows_a_page_in_the_phones_language(client: Any) -> None:
    answer = client.get("/t/AAAAAAAAAAAAAAAAAAAAAA", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert 'lang="es"' in answer.get_data(as_text=True) and "No encontramos" in answer.get_data(as_text=True)


def test_the_kiosk_start_screen_speaks_the_sites_language_not_the_browsers(client: Any,
                                                                           kiosk_token: str) -> None:
    client.get(f"/enrol?token={kiosk_token}&next=/kiosk")
    page = client.get("/kiosk", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr"' in page and '"lang": "fr"' in page

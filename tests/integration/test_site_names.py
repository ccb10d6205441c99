"""The site's name in the page's language on the staff pages: `site.names` translates `site.name`."""

from __future__ import annotations

import html
import textwrap
from pathlib import Path
from typing import Any

import pytest

from core import config as site_config
from core.app import create_app
from core.site_names import site_name

NAMES = {
    "fr": "Consulat général du Royaume du Maroc à Montréal",
    "en": "Consulate General of the Kingdom of Morocco in Montreal",
    "ar": "القنصلية العامة للمملكة المغربية بمونتريال",
}


@pytest.fixture
def montreal(tmp_path: Path) -> Any:
    path = tmp_path / "site.toml"
    path.write_text(textwrap.dedent(f"""
        [site]
        name = "{NAMES['fr']}"
        timezone = "America/Montreal"
        [site.names]
        en = "{NAMES['en']}"
        ar = "{NAMES['ar']}"
    """), encoding="utf-8")
    return create_app(site_config.load(path, env={}), str(tmp_path / "site.db"), start_devices=False)


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(("lang", "name"), [("en", NAMES["en"]), ("ar", NAMES["ar"]), ("fr", NAMES["fr"]),
                                            ("nl", NAMES["fr"])])  # no Dutch name: the name of record
def test_login_page_names_the_site_in_its_language(montreal: Any, lang: str, name: str) -> None:
    text = page(montreal.test_client(), f"/login?lang={lang}")
    assert f'data-testid="site-name">{name}</p>' in text
    assert f"· {name} · Dour</title>" in text
    others = {other for other in NAMES.values() if other != name}
    assert not any(other in text for other in others)


def test_supervisor_pages_name_the_site_in_their_language(
    montreal: Any, supervisor_client: Any
) -> None:
    client = supervisor_client(montreal)
    for url in ("/supervisor?lang=en", "/supervisor/payments?lang=en", "/devices/control?lang=en"):
        text = page(client, url)
        assert f'data-testid="site-name">{NAMES["en"]}</span>' in text, url
        assert NAMES["fr"] not in text, url
    assert f'data-testid="site-name">{NAMES["ar"]}</span>' in page(client, "/supervisor?lang=ar")


def test_the_helper_falls_back_to_the_name_of_record() -> None:
    site = {"name": "Consulat", "names": {"en": "Consulate", "ar": ""}}
    assert site_name(site, "en") == "Consulate"
    assert site_name(site, "ar") == "Consulat"  # an empty translation is no translation
    assert site_name(site, "de") == "Consulat"
    assert site_name({"name": "Consulat", "names": "Consulate"}, "en") == "Consulat"  # not a table: ignored
    assert site_name(site_config.load(env={}).site, "en") == "Consulat général du Royaume du Maroc à Paris"


def test_the_kiosk_visitor_and_display_pages_show_the_translated_name(app, client, app_site, kiosk_token,
                                                                       display_token) -> None:
    app_site.config.site["names"] = {"en": "Consulate General of Morocco in Paris"}
    headers = {"Authorization": f"Bearer {kiosk_token}"}
    ticket = client.post("/api/kiosk/tickets", json={"service": "passport", "lang": "en"},
                         headers=headers).get_json()["ticket"]
    pages = {
        "kiosk": app.test_client().get("/kiosk?lang=en", headers=headers),
        "visitor": app.test_client().get(f"/t/{ticket['id']}?lang=en"),
        "display": app.test_client().get("/display?languages=en,fr", headers={
            "Authorization": f"Bearer {display_token}"}),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert "Consulate General of Morocco in Paris" in page.get_data(as_text=True), name

"""Errors are sentences in the person's language (?lang=, the body's lang, or Accept-Language)."""

from __future__ import annotations

from pathlib import Path

import core

CATALOGS = Path(core.__file__).resolve().parent / "translations"
ENGLISH = "Unknown service: visa."


def refuse(client, token: str, **kwargs) -> str:
    response = client.post("/api/kiosk/tickets", headers={"Authorization": f"Bearer {token}", **kwargs.pop(
        "headers", {})}, **kwargs)
    assert response.status_code == 400
    return response.get_json()["message"]


def is_arabic(text: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in text)


def test_english_message_by_default_for_english_visitors(client, kiosk_token) -> None:
    assert refuse(client, kiosk_token, json={"service": "visa", "lang": "en"}) == ENGLISH


def test_error_in_french_from_the_body_language(client, kiosk_token) -> None:
    message = refuse(client, kiosk_token, json={"service": "visa", "lang": "fr"})
    assert message != ENGLISH and "visa" in message
    assert "service" in message.lower()


def test_error_in_french_from_accept_language(client, kiosk_token) -> None:
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}
    message = refuse(client, kiosk_token, json={"service": "visa"}, headers=french)
    assert message != ENGLISH and "visa" in message


def test_error_in_arabic(client, kiosk_token) -> None:
    message = refuse(client, kiosk_token, json={"service": "visa", "lang": "ar"})
    assert is_arabic(message) and "visa" in message


def test_agent_error_in_arabic_from_query(client, app_site, add_agent, login) -> None:
    add_agent(app_site, "amina")
    login(client, "amina")
    response = client.post("/api/counter/next?lang=ar")
    assert response.status_code == 400
    assert is_arabic(response.get_json()["message"])


def test_login_error_in_french(client) -> None:
    response = client.post("/api/auth/login?lang=fr", json={"username": "x", "password": "wrong password!"})
    assert response.status_code == 401
    assert response.get_json()["message"] != "Wrong user name or password."

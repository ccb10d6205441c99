"""Response headers, cookie settings and login under attack (issue 12, section 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import config as site_config
from core.app import create_app

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["/", "/login", "/kiosk", "/display", "/t/no-such-ticket", "/api/health"]


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "base-uri 'none'", "form-action 'self'", "connect-src 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_style_or_handler():
    """What the policy would block: inline <script> code, style= attributes, on…= handlers. JSON data blocks
    (<script type="application/json">) are data, never executed, and allowed."""
    found = []
    for template in ROOT.glob("*/templates/*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{template.name}: {tag}")
        found += [f"{template.name}: {m}" for m in re.findall(r"\sstyle=|\son[a-z]+=", text)]
    assert found == []


@pytest.mark.parametrize(("setting", "secure"), [("true", True), ("false", False)])
def test_secure_cookies_from_the_site_file(tmp_path, add_agent, login, setting, secure):
    config = site_config.load(env={"DOUR_SERVER_SECURE_COOKIES": setting})
    app = create_app(config, str(tmp_path / "c.db"), start_devices=False)
    add_agent(app.extensions["dour.site"], "amina")
    cookie = login(app.test_client(), "amina").headers["Set-Cookie"]
    assert ("; Secure" in cookie) is secure and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_one_address_guessing_many_names_is_stopped(client, app_site, add_agent, login):
    """The per-name limit alone lets a client try 4 passwords on every name it can think of; each try costs
    the server a scrypt. After 20 failures from one address, that address waits, whatever the name."""
    add_agent(app_site, "amina")
    for attempt in range(20):
        assert login(client, f"guess{attempt}", "wrong password!").status_code == 401
    refused = login(client, "amina")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "too_many_attempts"
    other_desk = client.application.test_client()
    other_desk.environ_base["REMOTE_ADDR"] = "10.0.0.8"
    assert login(other_desk, "amina").status_code == 200


def test_behind_a_proxy_the_limit_is_per_client_not_per_proxy(tmp_path, add_agent, login):
    app = create_app(site_config.load(env={"DOUR_SERVER_PROXY_HOPS": "1"}), str(tmp_path / "p.db"),
                     start_devices=False)
    add_agent(app.extensions["dour.site"], "amina")
    attacker = app.test_client()
    attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "10.0.0.66"
    for attempt in range(20):
        login(attacker, f"guess{attempt}", "wrong password!")
    assert login(attacker, "amina").status_code == 429
    agent = app.test_client()
    agent.environ_base["HTTP_X_FORWARDED_FOR"] = "10.0.0.7"
    assert login(agent, "amina").status_code == 200

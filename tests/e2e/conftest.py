"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser), and the folder where
each test saves its screenshots: `test-output/<test name>/` (or `$DOUR_TEST_OUTPUT/<test name>/`).

The pages run under a Content-Security-Policy without 'unsafe-eval': give `wait_for_function` a function
(`"() => …"`), never a bare expression, which Playwright would `eval` in the page and the policy refuses."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.app import VENDOR_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    base = Path(os.environ.get("DOUR_TEST_OUTPUT", ROOT / "test-output"))
    folder = base / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    assert (VENDOR_DIR / "socket.io.min.js").exists(), (
        f"the Socket.IO browser client is missing ({VENDOR_DIR.relative_to(ROOT)}): live pages would wait"
        " for a connection that never comes; `make venv` (npm ci) installs it")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def log_in(page: Any, url: str, username: str, password: str) -> None:
    """Sign in on the staff login page at `url` (its language in the query, if any) and land on the desk."""
    page.goto(url)
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/counter**")


@pytest.fixture
def supervisor_page(browser: Any) -> Callable[..., Any]:
    """`supervisor_page(server, lang)`: a new supervisor of `server` logged in, on the supervisor page."""
    def open_page(server: Any, lang: str = "en", username: str = "boss",
                  password: str = "supervisor-password-1") -> Any:
        server.add_user(username, password, "supervisor")
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        log_in(page, f"{server.url}/login?lang={lang}", username, password)
        page.goto(f"{server.url}/supervisor?lang={lang}")
        return page
    return open_page

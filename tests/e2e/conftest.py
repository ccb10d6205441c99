"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser), and the folder where
each test saves its screenshots: `test-output/<test name>/` (or `$DOUR_TEST_OUTPUT/<test name>/`).

The pages run under a Content-Security-Policy without 'unsafe-eval': give `wait_for_function` a function
(`"() => …"`), never a bare expression, which Playwright would `eval` in the page and the policy refuses."""

from __future__ import annotations

import os
from collections.abc import Iterator
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

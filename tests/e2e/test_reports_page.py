"""The reports page in Chromium: the period in Arabic (right to left) with its three charts drawn, a date
error said in French, the CSV file downloaded with its BOM, and the A4 print without the navigation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
CHARTS_DRAWN = ("() => [...document.querySelectorAll('img.chart')]"
                ".filter(i => i.complete && i.naturalWidth > 0).length === 3")


def test_supervisor_reads_prints_and_exports_the_day(server: Any, dour: Any, browser: Any,
                                                      output_dir: Path) -> None:
    server.add_user("boss", "supervisor-password-1", "supervisor")
    kiosk = dour.kiosk_session(server)
    for service in ("cnie", "cnie", "passport"):
        answer = kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": service}, timeout=10)
        answer.raise_for_status()
    page = browser.new_page(viewport={"width": 1366, "height": 1400}, accept_downloads=True)
    page.goto(f"{server.url}/login?lang=ar")
    page.get_by_test_id("username").fill("boss")
    page.get_by_test_id("password").fill("supervisor-password-1")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/counter**")
    page.get_by_test_id("nav-reports").click()
    page.wait_for_url("**/supervisor/reports**")
    page.wait_for_function(CHARTS_DRAWN)
    assert page.evaluate("() => document.documentElement.dir") == "rtl"
    assert page.locator("#table-tickets tbody tr").count() == 3  # cnie, passport, all services
    page.screenshot(path=str(output_dir / "0-report-ar.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_test_id("csv-tickets").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "البطاقة الوطنية".encode() in data

    page.emulate_media(media="print")
    assert page.locator("header.topbar").is_hidden() and page.get_by_test_id("report-filter").is_hidden()
    assert page.get_by_test_id("chart-arrivals").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    (output_dir / "1-report-a4.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and b"/MediaBox [0 0 595" in pdf  # A4: 595 × 842 points

    page.emulate_media(media="screen")
    page.goto(f"{server.url}/supervisor/reports?from=2025-06-10&to=2025-06-01&lang=fr")
    error = page.get_by_test_id("report-error")
    assert "inversez-les" in error.inner_text()
    page.get_by_test_id("report-from").fill("2025-06-01")
    page.get_by_test_id("report-to").fill("2025-06-10")
    page.get_by_test_id("report-show").click()
    page.get_by_test_id("report-title").wait_for()
    assert page.get_by_test_id("report-error").count() == 0

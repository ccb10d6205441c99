"""The staffing advice on the supervisor's page in Chromium: "All services on target" on an empty floor, then,
once a kiosk has issued more CNIE tickets than its counters can call within 30 minutes, a sentence saying so
and what one more counter would change. The server's own refresher computes it and pushes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ADVICE = ("() => [...document.querySelectorAll('#staffing li')].some(li => li.textContent.startsWith("
          "'National ID card (CNIE): walk-ins called within 30 min: ') && li.textContent.includes("
          "'Open one more counter for this service only: '))")


def test_the_supervisor_reads_the_staffing_advice(server: Any, dour: Any, supervisor_page: Any,
                                                  output_dir: Path) -> None:
    page = supervisor_page(server)
    advice = page.get_by_test_id("staffing")
    assert advice.get_attribute("aria-live") == "polite"
    page.wait_for_function("() => document.querySelector('#staffing').textContent"
                           " === 'All services on target.'")
    kiosk = dour.kiosk_session(server)
    for _ in range(20):  # three counters take CNIE, 10 min a visitor: the last would wait about an hour
        kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": "cnie"}, timeout=10).raise_for_status()
    page.wait_for_function(ADVICE, timeout=20000)
    page.get_by_test_id("staffing-panel").screenshot(path=str(output_dir / "staffing-advice.png"))

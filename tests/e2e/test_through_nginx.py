"""The floor in real Chromium, every page over HTTPS through nginx (docs/nginx/dour.conf, run by
tests/system/nginx_proxy.py): a kiosk issues a ticket, an agent logs in and calls it, the display shows the
call live. Chromium trusts the site's throwaway certificate by its key
(--ignore-certificate-errors-spki-list), nothing else; the cookies are Secure, and the display's live
link is a websocket that nginx upgraded (a 101 in its log)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.system.nginx_proxy import Proxied, proxied_site

pytestmark = pytest.mark.browser

SHOWS_NUMBER = "n => document.querySelector('[data-testid=current-number]')?.textContent.trim() === n"


@pytest.fixture
def site(tmp_path: Path, dour: Any) -> Iterator[Proxied]:
    with proxied_site(tmp_path / "site", dour) as proxied:
        yield proxied


@pytest.fixture
def trusting_browser(site: Proxied) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    flags = [*CHROMIUM_FLAGS, f"--ignore-certificate-errors-spki-list={site.tls.spki_sha256}"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            yield chromium
        finally:
            chromium.close()


def test_kiosk_counter_and_display_through_nginx(
    site: Proxied, dour: Any, trusting_browser: Any, output_dir: Path
) -> None:
    context = trusting_browser.new_context()
    display = dour.open_display_page(context.new_page(), site)  # enrols over https://, then goes live

    kiosk_context = trusting_browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    kiosk = kiosk_context.new_page()
    kiosk.goto(f"{site.url}/enrol?token={site.kiosk_token}&next=/kiosk")
    assert kiosk.url.startswith(f"{site.url}/kiosk")
    kiosk.get_by_test_id("lang-fr").tap()
    kiosk.get_by_test_id("service-passport").tap()
    kiosk.get_by_test_id("pay-card").tap()  # the simulated card terminal approves
    number = kiosk.get_by_test_id("ticket-number")
    number.wait_for()
    ticket_number = number.inner_text().strip()
    kiosk.screenshot(path=str(output_dir / "1-kiosk-ticket.png"))

    agent_context = trusting_browser.new_context()
    counter = dour.open_counter_page(agent_context.new_page(), site)
    counter.get_by_test_id("btn-next").click()
    counter.wait_for_function(SHOWS_NUMBER, arg=ticket_number)

    display.wait_for_function(SHOWS_NUMBER, arg=ticket_number)
    assert ticket_number in display.get_by_test_id("recent-calls").inner_text()
    display.screenshot(path=str(output_dir / "2-display-call.png"))

    cookies = agent_context.cookies() + kiosk_context.cookies()  # the agent's session, the kiosk's enrolment
    assert len(cookies) >= 2, cookies
    assert all(cookie["secure"] and cookie["httpOnly"] for cookie in cookies), cookies
    protocol = display.evaluate("() => performance.getEntriesByType('navigation')[0].nextHopProtocol")
    assert protocol in ("http/1.1", "h2")

    for opened in (context, kiosk_context, agent_context):
        opened.close()
    upgraded = site.nginx.wait_for_log("transport=websocket 101")
    assert any('"GET /socket.io/ HTTP/1.1" transport=websocket 101' in line for line in upgraded), (
        "\n".join(site.nginx.log_lines()[-30:]))

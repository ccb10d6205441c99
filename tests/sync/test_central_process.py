"""The reference central as a real process (`python -m core.cli central serve`, gunicorn) over real HTTP.

What only a real server shows: an answer lost after the work was committed (`drop_after`), a connection
closed before any work (`unreachable`), a client giving up on a slow central, and HTTPS with a private CA.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme

pytestmark = pytest.mark.system

HOST = "127.0.0.1"
SITE = "ma-paris"
START_TIMEOUT, STOP_TIMEOUT, REQUEST_TIMEOUT = 20.0, 5.0, 5.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Central:
    """One central on a temporary database; `verify` is the CA file when it serves HTTPS."""

    workdir: Path
    tls: tuple[str, str] | None = None  # (certfile, keyfile)
    verify: str | bool = True
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    site_token: str = ""

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    @property
    def admin_token(self) -> str:
        return (self.workdir / "central-admin.token").read_text(encoding="utf-8").strip()

    def start(self) -> Central:
        command = [sys.executable, "-m", "core.cli", "central", "serve", "--host", HOST,
                   "--port", str(self.port), "--database", str(self.workdir / "central.db")]
        if self.tls:
            command += ["--certfile", self.tls[0], "--keyfile", self.tls[1]]
        env = {key: value for key, value in os.environ.items() if not key.startswith("DOUR_")}
        with (self.workdir / "central.log").open("ab") as log:
            # Own session: the teardown signals gunicorn's master and its worker together.
            self.process = subprocess.Popen(command, env=env, cwd=self.workdir, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log()
            try:
                if requests.get(f"{self.url}/health", timeout=1, verify=self.verify).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise AssertionError(f"the central did not answer within {START_TIMEOUT} s:\n{self.log()}")

    def log(self) -> str:
        return (self.workdir / "central.log").read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)
        except ProcessLookupError:
            pass
        self.process = None

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = requests.request(method, f"{self.url}/admin{path}", timeout=REQUEST_TIMEOUT,
                                  verify=self.verify, headers={"Authorization": f"Bearer {self.admin_token}"},
                                  **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def site(self, method: str, path: str, timeout: float = REQUEST_TIMEOUT,
             **kwargs: Any) -> requests.Response:
        """A site API call with the site's token (no retry: a lost answer must show)."""
        return requests.request(method, f"{self.url}/v1/sites/{SITE}{path}", timeout=timeout,
                                verify=self.verify, headers={"Authorization": f"Bearer {self.site_token}"},
                                **kwargs)

    def fault(self, mode: str, **extra: Any) -> None:
        self.admin("PUT", "/faults", json={"mode": mode, **extra})

    def stats(self) -> dict[str, Any]:
        return dict(self.admin("GET", f"/sites/{SITE}/stats"))


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    running = Central(tmp_path).start()
    try:
        running.site_token = running.admin("POST", "/sites", json={"id": SITE, "name": "Paris"})["token"]
        yield running
    finally:
        running.stop()


def events(*seqs: int) -> dict[str, Any]:
    return {"events": [{"id": f"{SITE}:e1:{seq}", "seq": seq, "type": "ticket.issued",
                        "at": "2026-12-02T09:00:00Z", "actor": "kiosk:hall-1", "ticket_id": None, "data": {}}
                       for seq in seqs]}


def test_the_admin_token_is_created_beside_the_database_owner_only(central: Central) -> None:
    token_file = central.workdir / "central-admin.token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600 and len(central.admin_token) >= 32


def test_drop_after_stores_the_batch_and_loses_the_answer(central: Central) -> None:
    central.fault("drop_after", remaining=1)
    with pytest.raises(requests.ConnectionError):
        central.site("POST", "/events", json=events(1, 2))
    assert central.stats()["events"] == 2  # the work was committed before the connection was cut
    again = central.site("POST", "/events", json=events(1, 2))
    assert again.status_code == 200 and again.json()["acknowledged"] == [f"{SITE}:e1:1", f"{SITE}:e1:2"]
    assert (central.stats()["events"], central.stats()["duplicates"]) == (2, 2)


def test_drop_after_an_etimbre_gives_the_same_number_on_the_retry(central: Central) -> None:
    body = {"site_id": SITE, "payment_reference": "PAY-7", "service": "passport", "items": [["stamp", 6000]],
            "amount_minor": 6000, "currency": "EUR", "paid_at": "2026-12-02T09:10:00Z"}
    central.fault("drop_after", remaining=1)
    with pytest.raises(requests.ConnectionError):
        central.site("PUT", "/etimbres/PAY-7", json=body)
    retry = central.site("PUT", "/etimbres/PAY-7", json=body)
    assert retry.status_code == 200 and retry.json()["number"].startswith("ETB")
    assert central.stats()["etimbres"] == 1


def test_unreachable_closes_the_connection_before_any_work(central: Central) -> None:
    central.fault("unreachable", remaining=1)
    with pytest.raises(requests.ConnectionError):
        central.site("POST", "/events", json=events(1))
    assert central.stats()["events"] == 0
    assert central.site("POST", "/events", json=events(1)).status_code == 200


def test_a_client_gives_up_on_a_slow_central(central: Central) -> None:
    central.fault("slow", delay_seconds=2.0, remaining=1)
    with pytest.raises(requests.Timeout):
        central.site("GET", "/fees", timeout=0.5)
    assert central.site("GET", "/fees").status_code == 200


@pytest.fixture
def tls_central(tmp_path: Path) -> Iterator[Central]:
    """A central serving HTTPS with a certificate for 127.0.0.1 from a private CA (trustme)."""
    authority = trustme.CA()
    issued = authority.issue_cert(HOST)
    ca_file, certfile, keyfile = (str(tmp_path / name) for name in ("ca.pem", "cert.pem", "key.pem"))
    authority.cert_pem.write_to_path(ca_file)
    for index, pem in enumerate(issued.cert_chain_pems):
        pem.write_to_path(certfile, append=index > 0)
    issued.private_key_pem.write_to_path(keyfile)
    running = Central(tmp_path, tls=(certfile, keyfile), verify=ca_file).start()
    try:
        yield running
    finally:
        running.stop()


def test_https_with_a_private_ca(tls_central: Central) -> None:
    assert requests.get(f"{tls_central.url}/health", timeout=REQUEST_TIMEOUT, verify=tls_central.verify).ok
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{tls_central.url}/health", timeout=REQUEST_TIMEOUT)

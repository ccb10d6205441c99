"""The systemd units: each one passes `systemd-analyze verify`, the server's and the sync worker's exposure
(`systemd-analyze security --offline=true`) is "OK" or better, and the server really runs under the seccomp
rules its unit asks for (SystemCallFilter, MemoryDenyWriteExecute): gevent, greenlet and SQLite included.

systemd is not PID 1 in CI; both systemd-analyze commands work on unit files without it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted([*(ROOT / "systemd").glob("*.service"), *(ROOT / "systemd").glob("*.timer")])
INSTALLED_DOUR = "/opt/dour/venv/bin/dour"  # where install/install.sh puts the command
HARDENED = {"dour.service", "dour-sync.service"}
MAX_EXPOSURE = 4.9  # systemd-analyze's "OK" and better
SANDBOX = Path(__file__).with_name("unit_sandbox.py")


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze is missing: `make test` installs Debian's systemd (APT_PACKAGES)")
    return found


@pytest.fixture(scope="module")
def units(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Copies of the units whose `dour` command is this checkout's (verify needs ExecStart to exist)."""
    folder = tmp_path_factory.mktemp("units")
    here = str(Path(sys.executable).with_name("dour"))
    assert Path(here).exists(), f"{here} is missing: the venv's console script (`make venv`)"
    copies = {}
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        if unit.name in HARDENED:
            assert f"ExecStart={INSTALLED_DOUR} " in text, f"{unit.name} does not run {INSTALLED_DOUR}"
        copies[unit.name] = folder / unit.name
        copies[unit.name].write_text(text.replace(INSTALLED_DOUR, here), encoding="utf-8")
    return copies


def test_the_four_units_are_there() -> None:
    assert {u.name for u in UNITS} >= {"dour.service", "dour-sync.service", "dour-kiosk.service",
                                       "dour-display.service"}


@pytest.mark.parametrize("name", [u.name for u in UNITS])
def test_unit_verifies(units: dict[str, Path], name: str) -> None:
    done = subprocess.run([systemd_analyze(), "verify", "--man=no", str(units[name])], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def exposure(unit: Path) -> tuple[float, str]:
    done = subprocess.run([systemd_analyze(), "security", "--offline=true", "--no-pager", str(unit)],
                          capture_output=True, text=True, timeout=60, check=False)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", done.stdout)
    assert found, f"no exposure level in systemd-analyze security's answer:\n{done.stdout}\n{done.stderr}"
    return float(found.group(1)), found.group(2)


def test_exposure_scores(units: dict[str, Path]) -> None:
    scores = {name: exposure(path) for name, path in units.items() if name.endswith(".service")}
    for name, (score, level) in sorted(scores.items()):
        print(f"systemd-analyze security {name}: {score} {level}")
    for name in HARDENED:
        assert scores[name][0] <= MAX_EXPOSURE, f"{name}: {scores[name]}, want {MAX_EXPOSURE} or less"


def test_the_hardened_units_keep_the_state_directory_writable() -> None:
    for name in HARDENED:
        text = (ROOT / "systemd" / name).read_text(encoding="utf-8")
        for line in ("ProtectSystem=strict", "ReadWritePaths=/var/lib/dour", "NoNewPrivileges=true",
                     "PrivateTmp=true", "ProtectHome=true", "CapabilityBoundingSet=\n",
                     "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "SystemCallFilter=@system-service",
                     "MemoryDenyWriteExecute=true", "Environment=DOUR_CONFIG=/etc/dour/site.toml"):
            assert line in text, f"{name} lacks {line!r}"


def test_browser_units_keep_the_screen_awake_and_restart() -> None:
    for name in ("dour-kiosk.service", "dour-display.service"):
        text = (ROOT / "systemd" / name).read_text(encoding="utf-8")
        for line in ("ExecStart=/usr/bin/chromium --kiosk ", "ExecStartPre=-/usr/bin/xset s off",
                     "ExecStartPre=-/usr/bin/xset -dpms", "Restart=always", "${DOUR_URL}",
                     # calls on the displays, the audio guide on a kiosk page that reloaded by itself
                     "--autoplay-policy=no-user-gesture-required"):
            assert line in text, f"{name} lacks {line!r}"


def test_server_runs_under_its_units_seccomp_rules(
    server: Any, dour: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restart the provisioned server under the syscall filter and W^X rules of systemd/dour.service, then
    issue, call and deliver a ticket to a display over a websocket."""
    systemd_analyze()
    server.stop()
    monkeypatch.setattr(dour, "CLI", [sys.executable, str(SANDBOX), str(ROOT / "systemd" / "dour.service"),
                                      "--", sys.executable, "-m", "core.cli"])
    server.start()
    for process in server.processes():  # gunicorn's master and its worker, both filtered
        status = Path(f"/proc/{process.pid}/status").read_text(encoding="utf-8")
        assert re.search(r"^Seccomp:\s+2$", status, re.M), f"pid {process.pid} is not under a seccomp filter"
    display = dour.Display(server).connect(last_seq=0)
    agent = dour.agent_session(server, counter=1)
    kiosk = dour.kiosk_session(server)
    try:
        body = {"service": "passport", "request_id": uuid.uuid4().hex}
        issued = kiosk.post(f"{server.url}/api/kiosk/tickets", json=body, timeout=10)
        assert issued.status_code == 201, issued.text
        called = agent.post(f"{server.url}/api/counter/next", timeout=10)
        assert called.status_code == 200, called.text
        number = issued.json()["ticket"]["number"]
        assert display.wait_until(lambda: any(e.get("number") == number for e in display.events), 10)
        assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
    finally:
        display.close()
        for http in (agent, kiosk, display.sio.eio.http):  # idle keep-alives would hold the stop 5 s
            if http is not None:
                http.close()
    log = server.log_path.read_text(errors="replace")
    assert "Operation not permitted" not in log and "PermissionError" not in log, server.log_tail()

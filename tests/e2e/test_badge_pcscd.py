"""The badge reader through the real PC/SC stack: pcscd with vsmartcard's virtual reader (vpcd), our virtual
card on vpcd's socket, the real pyscard driver, then the real server and the desk's pages in Chromium.

The module starts its own `pcscd --foreground` with a private reader configuration (vpcd on a free port), or
uses the pcscd already running on the machine (then vpcd's configured port). `make test` installs pcscd and
vsmartcard-vpcd; without them these tests fail, they never skip.
"""

from __future__ import annotations

import fcntl
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hardware.card_reader import AgentBadge, CardChange, NotABadge, PaymentCard, PcscCardReader, read_badge
from hardware.card_reader.badge import SELECT_BADGE
from hardware.card_reader.vpcd_card import VpcdCard
from hardware.health import HealthState

pytestmark = [pytest.mark.browser, pytest.mark.system]

MISSING = "{} is missing: run `make test`, which installs pcscd and vsmartcard-vpcd"
READY_TIMEOUT = 5.0
LOCK_FILE = Path(tempfile.gettempdir()) / "dour-pcscd-tests.lock"
BADGE, PIN = "AGENT-0042", "4821"


@dataclass
class PcscStack:
    """Where our virtual card plugs in (vpcd's port) and the name pcscd gives that slot."""

    port: int
    reader: str


def build_settings(pcscd: str) -> dict[str, str]:
    """`ipcdir`, `configdir`, … as this pcscd was built (the last line of `pcscd --version`)."""
    text = subprocess.run([pcscd, "--version"], capture_output=True, text=True, check=False).stdout
    return dict(re.findall(r"(\w+)=(\S+)", text))


def read_conf(path: Path) -> dict[str, str]:
    """A reader.conf file's keys (FRIENDLYNAME, DEVICENAME, LIBPATH, CHANNELID), quotes removed."""
    pairs = re.findall(r"^\s*([A-Z]+)\s+(.+?)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return {key: value.strip('"') for key, value in pairs}


def answers(path: Path) -> bool:
    """True when a pcscd accepts connections on its socket."""
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A port such that it and the next one are free on all interfaces (vpcd binds slot 0 and slot 1)."""
    for _ in range(50):
        with socket.socket() as first, socket.socket() as second:
            first.bind(("", 0))
            port = first.getsockname()[1]
            try:
                second.bind(("", port + 1))
            except OSError:
                continue
            return int(port)
    raise RuntimeError("no two consecutive free ports")


def start_private_pcscd(
    pcscd: str, vpcd: dict[str, str], workdir: Path, comm: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """pcscd in the foreground with only vpcd, on a free port; returned once its socket answers."""
    port = free_port_pair()
    confdir = workdir / "reader.conf.d"
    confdir.mkdir()
    (confdir / "vpcd").write_text(f'FRIENDLYNAME "{vpcd["FRIENDLYNAME"]}"\nDEVICENAME /dev/null:0x{port:X}\n'
                                  f'LIBPATH {vpcd["LIBPATH"]}\nCHANNELID 0x{port:X}\n', encoding="utf-8")
    log = (workdir / "pcscd.log").open("wb")
    # --auto-exit: should this test run die without stopping it, pcscd quits after 60 s without clients.
    command = [pcscd, "--foreground", "--auto-exit", "--config", str(confdir)]
    process = subprocess.Popen(command, stdout=log, stderr=log)
    deadline = time.monotonic() + READY_TIMEOUT
    while not answers(comm):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log_text = (workdir / "pcscd.log").read_text(errors="replace")
            pytest.fail(f"pcscd did not start (exit {process.poll()}):\n{log_text}")
        time.sleep(0.02)
    return process, port


def running_vpcd_conf(ipcdir: Path, installed: Path) -> Path:
    """The vpcd configuration of the pcscd already running: that of its `--config` directory, if any."""
    try:
        pid = re.findall(r"\d+", (ipcdir / "pcscd.pid").read_text(encoding="ascii", errors="replace"))[0]
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return installed
    flags = [i for i, arg in enumerate(args[:-1]) if arg in (b"--config", b"-c")]
    return Path(args[flags[0] + 1].decode()) / "vpcd" if flags else installed


@contextmanager
def machine_lock(timeout: float = 60.0) -> Iterator[None]:
    """One pcscd test module at a time on this machine: pcscd's socket path is fixed, so two test runs (two
    checkouts, two engineers) would otherwise share, or stop, each other's daemon."""
    with LOCK_FILE.open("w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test run has held {LOCK_FILE} (pcscd) for {timeout:.0f} s")
                time.sleep(0.1)
        yield


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def pcsc_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscStack]:
    pcscd = shutil.which("pcscd")
    if pcscd is None:
        pytest.fail(MISSING.format("pcscd"))
    settings = build_settings(pcscd)
    vpcd_conf = Path(settings.get("configdir", "")) / "vpcd"
    if not vpcd_conf.is_file():
        pytest.fail(MISSING.format(f"vpcd ({vpcd_conf})"))
    vpcd = read_conf(vpcd_conf)
    ipcdir = Path(settings.get("ipcdir", ""))
    comm = ipcdir / "pcscd.comm"
    with machine_lock():
        if answers(comm):  # a pcscd (and its vpcd) is running: use it, start nothing
            running = read_conf(running_vpcd_conf(ipcdir, vpcd_conf))
            yield PcscStack(int(running["CHANNELID"], 0), f"{running['FRIENDLYNAME']} 00 00")
            return
        process, port = start_private_pcscd(pcscd, vpcd, tmp_path_factory.mktemp("pcscd"), comm)
        try:
            yield PcscStack(port, f"{vpcd['FRIENDLYNAME']} 00 00")
        finally:
            stop(process)


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# --- the pyscard driver on the real stack ------------------------------------------------------------------
def test_pyscard_driver_reads_our_virtual_badge_and_follows_the_card(pcsc_stack: PcscStack) -> None:
    events: list[tuple[CardChange, str | None]] = []
    reader = PcscCardReader(pcsc_stack.reader)

    def on_card(event: Any) -> None:
        badge = None
        if event.change is CardChange.INSERTED:
            try:
                badge = read_badge(reader)
            except NotABadge:
                badge = "not a badge"
        events.append((event.change, badge))

    reader.start(on_card)
    with reader:
        card = VpcdCard(AgentBadge(BADGE), pcsc_stack.port).insert()
        wait_for(lambda: len(events) == 1)
        assert reader.health().state is HealthState.OK and reader.health().detail == pcsc_stack.reader
        card.remove()
        wait_for(lambda: len(events) == 2)
        bank = PaymentCard()
        card = VpcdCard(bank, pcsc_stack.port).insert()
        wait_for(lambda: len(events) == 3)
        card.remove()
        wait_for(lambda: len(events) == 4)
    assert events == [(CardChange.INSERTED, BADGE), (CardChange.REMOVED, None),
                      (CardChange.INSERTED, "not a badge"), (CardChange.REMOVED, None)]
    assert bank.received == [SELECT_BADGE]  # through pcscd too: nothing but our own SELECT reached the card


def test_pyscard_driver_reports_a_missing_reader(pcsc_stack: PcscStack) -> None:
    seen: list[Any] = []
    with PcscCardReader("No Such Reader") as reader:
        reader.start(print, seen.append)
        wait_for(lambda: bool(seen))
    assert (seen[0].state, seen[0].reason) == (HealthState.OFFLINE, "reader_missing")
    assert pcsc_stack.reader in seen[0].detail  # it says which readers there are


# --- the whole desk: server, pyscard, Chromium -------------------------------------------------------------
@pytest.fixture
def badge_server(pcsc_stack: PcscStack, tmp_path: Path, dour: Any) -> Iterator[Any]:
    """The real server with counter 1's reader on the virtual PC/SC slot, and agent1's badge enrolled."""
    site_file = tmp_path / "site.toml"
    site_file.write_text(f'[devices]\ncard_reader = ""\n[devices.counters."1"]\n'
                         f'card_reader = "pcsc://?reader={pcsc_stack.reader}"\n', encoding="utf-8")
    server = dour.Server(tmp_path, env={"DOUR_CONFIG": str(site_file)}).provision()
    server.cli("badge", "add", dour.AGENT, BADGE, "--pin-stdin", stdin=PIN + "\n")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def enter_pin(page: Any) -> None:
    page.get_by_test_id("pin-form").wait_for()
    for digit in PIN:
        page.locator(f"[data-digit='{digit}']").click()
    page.get_by_test_id("pin-submit").click()


def test_badge_logs_in_at_the_desk_and_its_removal_locks_the_counter(
    pcsc_stack: PcscStack, badge_server: Any, browser: Any, output_dir: Path
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{badge_server.url}/login?counter=1&lang=en")
    hint = page.get_by_test_id("badge-hint")
    hint.wait_for()
    assert "Insert your badge" in hint.inner_text()
    card = VpcdCard(AgentBadge(BADGE), pcsc_stack.port).insert()
    enter_pin(page)  # the PIN pad appeared: the live `badge` event (inserted, known) reached the page
    page.screenshot(path=str(output_dir / "1-login-pin.png"))
    page.wait_for_url("**/counter?*")
    page.wait_for_function("() => document.querySelector('[data-testid=counter-label]')"
                           ".textContent.includes('1')")
    assert page.request.get(f"{badge_server.url}/api/counter/state").status == 200

    card.remove()
    page.get_by_test_id("badge-panel").wait_for()
    assert page.get_by_test_id("badge-title").inner_text() == "Counter locked"
    page.screenshot(path=str(output_dir / "2-locked.png"))
    assert page.request.get(f"{badge_server.url}/api/counter/state").status == 423

    card = VpcdCard(AgentBadge(BADGE), pcsc_stack.port).insert()
    enter_pin(page)
    page.get_by_test_id("badge-panel").wait_for(state="hidden")
    assert page.request.get(f"{badge_server.url}/api/counter/state").status == 200
    card.remove()

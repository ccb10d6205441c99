"""Scanner URIs: what each opens, and a clear ValueError for anything else."""

from __future__ import annotations

import pytest

from hardware.scanner import SerialScanner, SimulatedSerialScanner, open_scanner


@pytest.mark.parametrize("uri", ["", "  ", "web://"])
def test_no_server_side_scanner(uri: str) -> None:
    assert open_scanner(uri) is None


@pytest.mark.parametrize(("uri", "url", "baud"), [
    ("serial:///dev/ttyACM0", "/dev/ttyACM0", 9600),
    ("serial:///dev/scanner?baud=115200", "/dev/scanner", 115200),
    ("rfc2217://10.0.0.40:4001", "rfc2217://10.0.0.40:4001", 9600),
])
def test_serial_uris(uri: str, url: str, baud: int) -> None:
    scanner = open_scanner(uri)
    assert isinstance(scanner, SerialScanner) and (scanner.url, scanner.baudrate) == (url, baud)


def test_sim_opens_the_serial_driver_on_its_own_pty() -> None:
    scanner = open_scanner("sim://")
    assert isinstance(scanner, SimulatedSerialScanner)
    try:
        assert scanner.url == scanner.simulator.port and scanner.simulator.plugged
    finally:
        scanner.stop()
    assert not scanner.simulator.plugged


@pytest.mark.parametrize(("uri", "says"), [
    ("serial://dev/ttyACM0", "absolute device path"),
    ("serial://", "absolute device path"),
    ("serial:///dev/ttyACM0?baud=fast", "baud must be a positive whole number"),
    ("serial:///dev/ttyACM0?baud=0", "baud must be a positive whole number"),
    ("serial:///dev/ttyACM0?parity=N", "unknown option"),
    ("rfc2217://10.0.0.40", "needs a host and a port"),
    ("rfc2217://10.0.0.40:99999", "needs a host and a port"),
    ("tcp://10.0.0.40:9100", "unsupported scanner URI"),
    ("/dev/ttyACM0", "unsupported scanner URI"),
])
def test_bad_uris_say_what_is_expected(uri: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        open_scanner(uri)

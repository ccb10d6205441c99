"""install/install.sh (what `make install` runs) into a temporary root (DESTDIR), never the machine's own
/etc: the dour user, the site file, the state directory, the code with its own venv, the units enabled; run
again, it changes nothing it should keep. A dry run changes nothing at all; a browser PC gets its unit and
its (secret) enrolment URL."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "install" / "install.sh"
BROWSER_UNITS = ("dour-kiosk.service", "dour-display.service")
MACHINE_PATHS = ("/etc/dour", "/opt/dour", "/var/lib/dour", "/etc/sysusers.d/dour.conf",
                 "/etc/systemd/system/dour.service", "/usr/local/bin/dour")


def install(destdir: Path, *args: str, dry_run: bool = False) -> str:
    env = {**os.environ, "DESTDIR": str(destdir), "DRY_RUN": "1" if dry_run else "0"}
    env.pop("DOUR_CONFIG", None)
    done = subprocess.run(["sh", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, f"install.sh failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def machine_state() -> dict[str, bool]:
    return {path: os.path.lexists(path) for path in MACHINE_PATHS}


def passwd_entry(root: Path, name: str) -> list[str]:
    for line in (root / "etc" / "passwd").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":")
    raise AssertionError(f"no {name} in {root}/etc/passwd")


def test_server_install_into_a_temporary_root_then_again(tmp_path: Path) -> None:
    before = machine_state()
    root = tmp_path / "root"
    root.mkdir()
    install(root)

    user = passwd_entry(root, "dour")
    assert user[5:] == ["/var/lib/dour", "/usr/sbin/nologin"]
    site = root / "etc/dour/site.toml"
    assert site.read_text(encoding="utf-8") == (ROOT / "docs/site.example.toml").read_text(encoding="utf-8")
    state = (root / "var/lib/dour").stat()
    if os.geteuid() == 0:
        assert (state.st_uid, state.st_gid) == (int(user[2]), int(user[3]))
    assert stat.S_IMODE(state.st_mode) == 0o750 and stat.S_IMODE(site.stat().st_mode) == 0o640
    units = [u for u in sorted((ROOT / "systemd").iterdir()) if u.name not in BROWSER_UNITS]
    assert {"dour.service", "dour-sync.service"} <= {u.name for u in units}
    for unit in units:
        installed = root / "etc/systemd/system" / unit.name
        assert installed.read_bytes() == unit.read_bytes()
        for target in re.findall(r"^WantedBy=(\S+)$", unit.read_text(encoding="utf-8"), re.M):
            assert (root / f"etc/systemd/system/{target}.wants" / unit.name).is_symlink(), unit.name
    assert not any((root / "etc/systemd/system" / name).exists() for name in BROWSER_UNITS)
    app = root / "opt/dour/app"
    assert (app / "node_modules/socket.io-client/dist/socket.io.min.js").exists()
    assert (app / "core/translations/fr/LC_MESSAGES/messages.mo").exists()
    assert not (app / "tests").exists() and not (app / ".git").exists()
    dour = root / "opt/dour/venv/bin/dour"
    assert "serve" in subprocess.run([str(dour), "--help"], capture_output=True, text=True, check=True).stdout
    assert os.access(root / "usr/local/bin/dour", os.X_OK)

    site.write_text("# edited by the IT lead\n", encoding="utf-8")
    (app / "stale.py").write_text("", encoding="utf-8")  # a module an upgrade removed
    began = time.monotonic()
    again = install(root)
    print(f"\nsecond run (nothing to do but copy the code): {time.monotonic() - began:.1f} s")
    assert "(venv up to date" in again and "(kept" in again
    assert site.read_text(encoding="utf-8") == "# edited by the IT lead\n"
    assert not (app / "stale.py").exists()
    assert [line for line in (root / "etc/passwd").read_text().splitlines() if line.startswith("dour:")] == [
        ":".join(user)]
    assert machine_state() == before, "the install touched the machine itself"


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    before = machine_state()
    output = install(tmp_path, dry_run=True)
    assert list(tmp_path.iterdir()) == []
    assert machine_state() == before
    for step in ("systemd-sysusers", "pip", "install -m 0644", "systemctl", "site.toml"):
        assert step in output, f"the dry run does not show {step!r}:\n{output}"


def test_browser_pc_install(tmp_path: Path) -> None:
    url = "https://dour.consulat.example/enrol?token=secret-token&next=/display"
    (tmp_path / "etc/lightdm").mkdir(parents=True)
    install(tmp_path, "--browser", "display", url)
    env = tmp_path / "etc/dour/display.env"
    assert env.read_text(encoding="utf-8") == f"DOUR_URL={url}\n"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert (tmp_path / "etc/systemd/system/graphical.target.wants/dour-display.service").is_symlink()
    autologin = (tmp_path / "etc/lightdm/lightdm.conf.d/50-dour-display.conf").read_text(encoding="utf-8")
    assert "autologin-user=display" in autologin and "-dpms" in autologin

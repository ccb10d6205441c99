"""The reference nginx configuration (docs/nginx/dour.conf) run for real in front of a real server: Debian's
nginx as a child process of the test (its own prefix, configuration, pid and logs in a temporary folder,
free loopback ports, `daemon off`), a throwaway certificate authority from trustme, and `dour serve` with
`server.proxy_hops = 1`, `server.secure_cookies = true` and `server.public_url` = the HTTPS address.

Used by tests/system/test_nginx.py and tests/e2e/test_through_nginx.py; the packaged nginx service (port 80)
is never touched."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "nginx" / "dour.conf"
HOST = "127.0.0.1"
START_TIMEOUT = 10.0


def bench_harness() -> Any:
    """bench/_server.py, as tests/conftest.py loaded it (module-scoped fixtures cannot take `dour`)."""
    name = "dour_bench_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "_server.py")
        assert spec and spec.loader
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise AssertionError("nginx is missing: `make test` installs Debian's nginx (APT_PACKAGES)")
    return found


@dataclass
class Tls:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    spki_sha256: str  # base64, for Chromium's --ignore-certificate-errors-spki-list

    @classmethod
    def make(cls, folder: Path) -> Tls:
        import trustme
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        authority = trustme.CA()
        issued = authority.issue_cert(HOST)
        paths = folder / "ca.pem", folder / "dour.crt", folder / "dour.key"
        authority.cert_pem.write_to_path(str(paths[0]))
        issued.private_key_pem.write_to_path(str(paths[2]))
        paths[1].write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        leaf = x509.load_pem_x509_certificate(issued.cert_chain_pems[0].bytes())
        spki = leaf.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
        return cls(*paths, base64.b64encode(hashlib.sha256(spki).digest()).decode())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def site_config(upstream_port: int, https_port: int, http_port: int, tls: Tls, logs: Path) -> str:
    """docs/nginx/dour.conf with the test's ports, certificate and log paths; every swap must apply."""
    text = REFERENCE.read_text(encoding="utf-8")
    swaps = [
        ("server 127.0.0.1:8080;", f"server {HOST}:{upstream_port};"),
        ("listen 443 ssl;", f"listen {HOST}:{https_port} ssl;"),
        ("listen [::]:443 ssl;", ""),
        ("listen 80;", f"listen {HOST}:{http_port};"),
        ("listen [::]:80;", ""),
        ("/etc/dour/tls/dour.crt", str(tls.cert_file)),
        ("/etc/dour/tls/dour.key", str(tls.key_file)),
        ("/var/log/nginx/dour.access.log", str(logs / "access.log")),
        ("/var/log/nginx/dour.error.log", str(logs / "error.log")),
    ]
    for old, new in swaps:
        assert text.count(old) == 1, f"docs/nginx/dour.conf changed: {old!r} appears {text.count(old)} times"
        text = text.replace(old, new)
    return text


def main_config(folder: Path, site: Path) -> str:
    """nginx.conf around the site file: everything nginx writes stays in `folder`."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers as root can use the private temp folder
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                           "uwsgi", "scgi"))
    return (f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} info;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n    access_log off;\n{temp}\n    include {site};\n}}\n")


@dataclass
class Nginx:
    folder: Path
    upstream_port: int
    tls: Tls
    https_port: int = 0
    http_port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    def start(self) -> Nginx:
        self.https_port, self.http_port = self.https_port or free_port(), self.http_port or free_port()
        site = self.folder / "dour.conf"
        site.write_text(site_config(self.upstream_port, self.https_port, self.http_port, self.tls,
                                    self.folder))
        conf = self.folder / "nginx.conf"
        conf.write_text(main_config(self.folder, site))
        command = [nginx_binary(), "-p", str(self.folder), "-c", str(conf),
                   "-e", str(self.folder / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, f"nginx -t refuses the configuration:\n{checked.stderr}"
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited with {self.process.returncode}:\n{self.error_log()}")
            try:
                socket.create_connection((HOST, self.https_port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"nginx does not listen after {START_TIMEOUT} s:\n{self.error_log()}")

    def stop(self) -> None:
        """SIGQUIT: nginx's graceful stop, which also writes the log lines of connections still open."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(3)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no error log)"

    def log_lines(self) -> list[str]:
        return self.access_log.read_text(errors="replace").splitlines() if self.access_log.exists() else []

    def wait_for_log(self, needle: str, timeout: float = 5.0) -> list[str]:
        """Lines of the access log holding `needle` (a websocket's line is written when it closes)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.log_lines() if needle in line]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@dataclass
class Proxied:
    """The site as people reach it, at nginx's HTTPS `url` (the harness helpers take it as a server)."""

    server: Any  # bench/_server.py's Server
    nginx: Nginx

    @property
    def url(self) -> str:
        return self.nginx.url

    @property
    def kiosk_token(self) -> str:
        return str(self.server.kiosk_token)

    @property
    def display_token(self) -> str:
        return str(self.server.display_token)

    @property
    def tls(self) -> Tls:
        return self.nginx.tls


@contextmanager
def proxied_site(folder: Path, harness: Any) -> Iterator[Proxied]:
    """A provisioned server behind nginx, configured as docs/install.md tells a site to be."""
    folder.mkdir(parents=True, exist_ok=True)
    nginx = Nginx(folder / "nginx", 0, Tls.make(folder))
    nginx.folder.mkdir()
    nginx.https_port = free_port()
    server = harness.Server(folder / "server", env={
        "DOUR_SERVER_PROXY_HOPS": "1", "DOUR_SERVER_SECURE_COOKIES": "true",
        "DOUR_SERVER_PUBLIC_URL": f"https://{HOST}:{nginx.https_port}"})
    server.workdir.mkdir()
    server.provision()
    server.start()
    nginx.upstream_port = server.port
    try:
        nginx.start()
        yield Proxied(server, nginx)
    finally:
        nginx.stop()
        server.stop()

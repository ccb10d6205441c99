"""Several server processes on one database and one Redis (`server.message_queue`): a display connected to one
process hears, in seq order and once each, what was done through another; kiosks issuing through both get no
duplicate number; the death of the process that emits the journal loses no call (core/publisher.py)."""

from __future__ import annotations

import http.client
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import requests

from core.serve import check_workers

pytestmark = pytest.mark.system

ISSUES_PER_KIOSK = 15
CALLS = 6
DISPLAY_TYPES = ("ticket.", "counter.")  # what a display hears of the journal (core/realtime.py)
HOST = "127.0.0.1"
PROBES = 5  # requests per keep-alive connection
EVENT_LINE = re.compile(r"logger=dour\.events event=\S+ seq=(\d+)")


@pytest.fixture
def redis_server(dour: Any) -> Iterator[Any]:
    """redis-server on a free port (bench/_server.py), for the test's processes only."""
    server = dour.RedisServer()
    try:
        yield server
    finally:
        server.stop()


def start_processes(dour: Any, tmp_path: Path, queue: str, count: int = 2, workers: int = 1,
                    extra: dict[str, str] | None = None) -> list[Any]:
    """`count` `dour serve` on as many ports, one database and one message queue, provisioned by the first."""
    env = {"DOUR_SERVER_MESSAGE_QUEUE": queue, "DOUR_SERVER_WORKERS": str(workers), **(extra or {})}
    servers = [dour.Server(tmp_path, env=env) for _ in range(count)]
    servers[0].provision()
    for server in servers:
        server.tokens = servers[0].tokens
        server.start()
    return servers


@pytest.fixture
def two_processes(dour: Any, tmp_path: Path, redis_server: Any) -> Iterator[list[Any]]:
    servers = start_processes(dour, tmp_path, redis_server.url)
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def issue(kiosk: requests.Session, url: str) -> dict[str, Any]:
    body = {"service": "passport", "request_id": uuid.uuid4().hex}
    answer = kiosk.post(f"{url}/api/kiosk/tickets", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["ticket"])


def issue_through(dour: Any, servers: list[Any]) -> list[dict[str, Any]]:
    """One kiosk per process, issuing at the same time."""
    issued: list[dict[str, Any]] = []

    def kiosk(server: Any) -> None:
        http = dour.kiosk_session(server)
        issued.extend(issue(http, server.url) for _ in range(ISSUES_PER_KIOSK))

    threads = [threading.Thread(target=kiosk, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return issued


def call(agent: requests.Session, url: str) -> dict[str, Any]:
    answer = agent.post(f"{url}/api/counter/next", timeout=10)
    assert answer.status_code == 200, answer.text
    ticket = answer.json()["ticket"]
    for action in ("start", "finish"):
        agent.post(f"{url}/api/counter/tickets/{ticket['id']}/{action}", timeout=10).raise_for_status()
    return dict(ticket)


def display_seqs(database: str, after: int) -> list[int]:
    """Every journal seq a display should hear after `after`, from the database itself."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT seq, type FROM journal WHERE seq > ? ORDER BY seq", [after]).fetchall()
    return [seq for seq, kind in rows if kind.startswith(DISPLAY_TYPES)]


def heard(display: Any) -> list[int]:
    return [int(event["seq"]) for event in display.events if not event.get("replay")]


def test_a_display_hears_what_another_process_did_in_order_and_once(dour: Any,
                                                                    two_processes: list[Any]) -> None:
    a, b = two_processes
    start = dour.health_seq(a)
    on_a, on_b = dour.Display(a).connect(start), dour.Display(b).connect(start)
    try:
        issued = issue_through(dour, [a, b])
        agent = dour.agent_session(b, counter=1)
        called = [call(agent, b.url) for _ in range(CALLS)]
        last = dour.health_seq(b)
        assert on_a.wait_seq(last) and on_b.wait_seq(last)
        time.sleep(0.5)  # a duplicate would arrive by now

        expected = display_seqs(a.database, start)
        assert heard(on_a) == expected, "display on A: every event, in seq order, once"
        assert heard(on_b) == expected
        numbers = [ticket["number"] for ticket in issued]
        assert len(numbers) == 2 * ISSUES_PER_KIOSK and len(set(numbers)) == len(numbers)
        calls = [event["number"] for event in on_a.events if event["type"] == "ticket.called"]
        assert calls == [ticket["number"] for ticket in called]
    finally:
        on_a.close()
        on_b.close()


def lease_holder(redis_server: Any, servers: list[Any]) -> Any:
    """The server whose worker holds the publisher lease (its value is `host:pid:token`)."""
    import redis

    client = redis.Redis(port=redis_server.port)
    deadline = time.monotonic() + 10
    while (holder := client.get("dour:ma-paris:publisher")) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert holder is not None, "no process took the publisher lease"
    pid = int(cast(bytes, holder).decode().split(":")[1])
    running = [server for server in servers if server.process is not None]
    return next(server for server in running if pid in {process.pid for process in server.processes()})


def test_the_death_of_the_emitting_process_loses_no_call(dour: Any, two_processes: list[Any],
                                                         redis_server: Any) -> None:
    emitting = lease_holder(redis_server, two_processes)
    survivor = next(server for server in two_processes if server is not emitting)
    start = dour.health_seq(survivor)
    display = dour.Display(survivor).connect(start)
    kiosk, agent = dour.kiosk_session(survivor), dour.agent_session(survivor, counter=1)
    try:
        for _ in range(CALLS):
            issue(kiosk, survivor.url)
        call(agent, survivor.url)
        assert display.wait_seq(dour.health_seq(survivor))
        emitting.kill()  # kill -9: no hand-over, the lease expires (5 s) and the survivor takes it
        for _ in range(CALLS - 1):
            call(agent, survivor.url)
        assert display.wait_seq(dour.health_seq(survivor), timeout=20)
        assert lease_holder(redis_server, two_processes) is survivor
        time.sleep(0.5)
        got = heard(display)
        assert sorted(set(got)) == display_seqs(survivor.database, start), "no call lost"
        assert got == sorted(got), "in seq order"
    finally:
        display.close()


def test_several_workers_of_one_server_share_the_broadcasts(dour: Any, tmp_path: Path,
                                                           redis_server: Any) -> None:
    """`server.workers = 2` on one port: websocket clients land on either worker and all hear everything."""
    (server,) = start_processes(dour, tmp_path, redis_server.url, count=1, workers=2)
    screens: list[Any] = []
    try:
        start = dour.health_seq(server)
        screens = [dour.Display(server).connect(start) for _ in range(4)]
        issue_through(dour, [server, server])
        agent = dour.agent_session(server, counter=1)
        for _ in range(CALLS):
            call(agent, server.url)
        last = dour.health_seq(server)
        assert all(screen.wait_seq(last) for screen in screens)
        time.sleep(0.5)
        expected = display_seqs(server.database, start)
        assert all(heard(screen) == expected for screen in screens)
    finally:
        for screen in screens:
            screen.close()
        server.stop()


def worker_holding(server: Any, client_port: int) -> int:
    """The pid of the worker holding the server's end of the connection from our `client_port`."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for process in server.processes()[1:]:  # gunicorn's master accepts nothing
            for connection in process.net_connections(kind="tcp"):
                if connection.raddr and connection.raddr.port == client_port \
                        and connection.laddr.port == server.port:
                    return int(process.pid)
        time.sleep(0.02)
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def on_both_workers(server: Any, open_one: Callable[[], Any], port_of: Callable[[Any], int]) -> list[Any]:
    """Open connections (`open_one`) until both workers hold at least one; the kernel picks the worker."""
    opened: list[Any] = []
    pids: set[int] = set()
    while len(pids) < 2 and len(opened) < 24:
        opened.append(open_one())
        pids.add(worker_holding(server, port_of(opened[-1])))
    assert len(pids) == 2, "the kernel sent every connection to one worker"
    return opened


def scrape(server: Any) -> tuple[http.client.HTTPConnection, dict[tuple[str, tuple[Any, ...]], float]]:
    """/metrics on a new keep-alive connection (kept open, to find the worker that answered)."""
    from prometheus_client.parser import text_string_to_metric_families

    connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
    connection.request("GET", "/metrics")
    answer = connection.getresponse()
    assert answer.status == 200
    text = answer.read().decode()
    assert "process_resident_memory_bytes" not in text, "one worker's memory is not the server's"
    samples = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
               for family in text_string_to_metric_families(text) for sample in family.samples}
    return connection, samples


def event_log_seqs(server: Any) -> list[int]:
    return [int(found) for found in EVENT_LINE.findall(server.log_path.read_text(errors="replace"))]


def test_two_workers_are_monitored_and_logged_as_one_server(dour: Any, tmp_path: Path,
                                                            redis_server: Any) -> None:
    """`/metrics` answered by either worker reports both workers' requests and screens; each journal event is
    one line of the server's log, not one per worker."""
    (server,) = start_processes(dour, tmp_path, redis_server.url, count=1, workers=2)
    screens: list[Any] = []
    connections: list[http.client.HTTPConnection] = []
    try:
        start = dour.health_seq(server)

        def probe() -> http.client.HTTPConnection:
            connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
            for _ in range(PROBES):
                connection.request("GET", "/healthz")
                connection.getresponse().read()
            return connection

        connections = on_both_workers(server, probe, lambda connection: connection.sock.getsockname()[1])
        screens = on_both_workers(server, lambda: dour.Display(server).connect(start),
                                  lambda screen: screen.sio.eio.ws.sock.getsockname()[1])
        kiosk, agent = dour.kiosk_session(server), dour.agent_session(server, counter=1)
        for _ in range(3):
            issue(kiosk, server.url)
        call(agent, server.url)

        healthz = ("dour_http_request_duration_seconds_count",
                   (("endpoint", "ops.healthz"), ("method", "GET"), ("status", "2xx")))
        displays = ("dour_screens_connected", (("namespace", "/display"),))
        scrapes = on_both_workers(server, lambda: scrape(server), lambda pair: pair[0].sock.getsockname()[1])
        connections += [connection for connection, _ in scrapes]
        for _, samples in scrapes:
            assert samples[healthz] == PROBES * (len(connections) - len(scrapes)), "every worker's requests"
            assert samples[displays] == len(screens), "every worker's screens"

        last = dour.health_seq(server)
        deadline = time.monotonic() + 10
        while last not in event_log_seqs(server) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the other worker's follower would have written its own line by now
        logged = [seq for seq in event_log_seqs(server) if seq > start]
        with sqlite3.connect(server.database) as db:
            journal = [seq for (seq,) in db.execute("SELECT seq FROM journal WHERE seq > ? ORDER BY seq",
                                                    [start])]
        assert sorted(logged) == journal, "each event logged once, none missing"
    finally:
        for screen in screens:
            screen.close()
        for connection in connections:
            connection.close()
        server.stop()


def test_several_workers_need_a_message_queue() -> None:
    check_workers(1, "")
    check_workers(4, "redis://127.0.0.1:6379/0")
    with pytest.raises(ValueError, match="message_queue"):
        check_workers(2, "")
    with pytest.raises(ValueError, match="1 or more"):
        check_workers(0, "")


STICKY = ("# hash $remote_addr consistent;", "# server 127.0.0.1:8081;")
LAN_ADDRESSES = [f"127.0.0.{host}" for host in range(2, 14)]  # loopback: a dozen "PCs" of the LAN


def sticky_config(second_port: int) -> Any:
    """docs/nginx/dour.conf with its several-process lines uncommented, the second server on `second_port`."""
    from tests.system import nginx_proxy

    reference = nginx_proxy.site_config

    def config(*args: Any) -> str:
        text = reference(*args)
        for line in STICKY:
            assert text.count(line) == 1, f"docs/nginx/dour.conf changed: {line!r}"
        return text.replace(STICKY[0], STICKY[0][2:]).replace(STICKY[1], f"server 127.0.0.1:{second_port};")

    return config


def polling_display(url: str, token: str, ca_file: Path, source: str) -> tuple[Any, list[dict[str, Any]]]:
    """A display on another PC (`source` address) that only long-polls: every request must reach the process
    that holds its Socket.IO session."""
    import socketio
    from requests.adapters import HTTPAdapter

    class FromAddress(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs, source_address=(source, 0))

    http = browser(url, ca_file)
    http.mount("https://", FromAddress())
    heard: list[dict[str, Any]] = []
    client = socketio.Client(reconnection=False, http_session=http)
    client.on("event", heard.append, namespace="/display")
    client.connect(url, namespaces=["/display"], transports=["polling"], wait_timeout=10,
                   auth={"token": token, "last_seq": None})
    return client, heard


def test_sticky_sessions_through_nginx(dour: Any, tmp_path: Path, redis_server: Any,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes behind the reference nginx with `hash $remote_addr`: long-polling displays from a dozen
    addresses land on both, each stays with its own, and all hear the call once."""
    from tests.system import nginx_proxy

    tls = nginx_proxy.Tls.make(tmp_path)
    https_port = nginx_proxy.free_port()
    public = f"https://{nginx_proxy.HOST}:{https_port}"
    env = {"DOUR_SERVER_PROXY_HOPS": "1", "DOUR_SERVER_SECURE_COOKIES": "true",
           "DOUR_SERVER_PUBLIC_URL": public}
    servers = start_processes(dour, tmp_path, redis_server.url, extra=env)
    monkeypatch.setattr(nginx_proxy, "site_config", sticky_config(servers[1].port))
    (tmp_path / "nginx").mkdir()
    nginx = nginx_proxy.Nginx(tmp_path / "nginx", servers[0].port, tls, https_port=https_port)
    clients: list[Any] = []
    try:
        nginx.start()
        screens = [polling_display(public, servers[0].display_token, tls.ca_file, source)
                   for source in LAN_ADDRESSES]
        clients = [client for client, _ in screens]
        kiosk, agent = browser(public, tls.ca_file), browser(public, tls.ca_file)
        kiosk.headers["Authorization"] = f"Bearer {servers[0].kiosk_token}"
        number = issue(kiosk, public)["number"]
        login = {"username": dour.AGENT, "password": dour.AGENT_PASSWORD}
        agent.post(f"{public}/api/auth/login", json=login, timeout=10).raise_for_status()
        agent.post(f"{public}/api/counter/open", json={"counter": 1}, timeout=10).raise_for_status()
        call(agent, public)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(called(heard) for _, heard in screens):
            time.sleep(0.05)
        assert all(called(heard) == [number] for _, heard in screens)
        upstreams = {line.rsplit("upstream=", 1)[1] for line in nginx.log_lines() if "/socket.io/" in line}
        assert upstreams == {f"127.0.0.1:{server.port}" for server in servers}, upstreams
        refused = [line for line in nginx.log_lines() if "/socket.io/" in line and " 400 " in line]
        assert not refused, refused
    finally:
        for client in clients:
            client.disconnect()
        nginx.stop()
        for server in servers:
            server.stop()


def browser(url: str, ca_file: Path) -> requests.Session:
    """A page of the site over HTTPS: trusts the test's authority, says which origin it comes from."""
    http = requests.Session()
    http.trust_env, http.verify, http.headers["Origin"] = False, str(ca_file), url
    return http


def called(heard: list[dict[str, Any]]) -> list[str]:
    return [event["number"] for event in heard if event["type"] == "ticket.called"]

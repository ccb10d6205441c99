"""The central's API over HTTPS (docs/central-api.yaml), as the sync worker calls it.

Everything the central answers is checked before the worker acts on it, because a wrong answer acted upon
loses data: a cursor taken from a broken page skips appointments, an acknowledgement misread drops events.
So every answer is read with a size cap (a runaway body stops at `max_body` bytes, it never fills memory),
parsed strictly (no NaN, no duplicate guessing) and type-checked field by field. The outcome is one of three
errors, which decide what the worker does next:

| error | when | worker |
|---|---|---|
| CentralUnavailable | no connection, timeout, 5xx, 429 | retry later with backoff, position kept |
| CentralMalformed (is a CentralUnavailable) | an answer that breaks the contract | same, error shown |
| CentralRefused | any other 4xx (bad token, another site's path) | same; a person must look |

TLS is always verified: `ca_file` for a private CA, else the system's authorities; never `verify=False`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests

from sync.client import CentralClient, CentralRefused, CentralUnavailable, EtimbreIssued, EtimbreRequest
from sync.tokens import SigningKey, key_from_jwk

MAX_BODY_BYTES = 16 * 2**20
MAX_ERROR_BYTES = 4096
CHUNK_BYTES = 64 * 1024
MAX_CURSOR_CHARS = 40  # the spec's maxLength of the cursor parameter: a longer one could not be sent back
MAX_KEYS = 100
ETIMBRE_NUMBER = re.compile(r"ETB[0-9]{12}")  # ETB, the year of issue, an 8-digit sequence
CURRENCY = re.compile(r"[A-Z]{3}")
SHA256 = re.compile(r"[0-9a-f]{64}")


class CentralMalformed(CentralUnavailable):
    """The central answered, but not what the contract says (not JSON, wrong types, too large, no progress).

    A CentralUnavailable: nothing is applied, the position is kept, and the call is tried again later; the
    error stays in the sync status for a person to read."""


@dataclass(frozen=True)
class ReportHeld:
    """The central's answer to a daily report: the revision it holds for the day, and its SHA-256."""

    revision: int
    sha256: str
    new_revision: bool  # false: the same content was already its latest revision


class SiteCentral(CentralClient, Protocol):
    """Everything the sync worker asks of the central."""

    def appointments(self, site: str, cursor: str | None, limit: int) -> tuple[list[Any], str, bool]: ...

    def fees(self, site: str) -> dict[str, Any]: ...

    def keys(self) -> list[SigningKey]: ...

    def push_events(self, site: str, events: list[dict[str, Any]]) -> set[str]: ...

    def put_daily_report(self, site: str, day: str, report: dict[str, Any]) -> ReportHeld: ...


class _Bearer(requests.auth.AuthBase):
    """The site token on every request; set as `auth` so requests never swaps in a ~/.netrc login."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class HttpCentral:
    """The central at `base_url` (without `/v1`), speaking for the site whose bearer `token` it holds."""

    def __init__(self, base_url: str, token: str, ca_file: str | None = None, timeout: float = 10.0,
                 max_body: int = MAX_BODY_BYTES) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the central's URL must be http(s)://host[:port][/path], not {base_url!r}")
        if not token or any(char.isspace() for char in token):
            raise ValueError("the site token must be one word without blanks")
        self.base = base_url.rstrip("/") + "/v1"
        self.timeout = float(timeout)
        self.max_body = max_body
        self.verify: str | bool = ca_file or True
        self._token = token
        self.session = requests.Session()
        self.session.auth = _Bearer(token)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "dour-sync/1"})

    def close(self) -> None:
        self.session.close()

    # --- the calls ---------------------------------------------------------------------------------------
    def appointments(self, site: str, cursor: str | None, limit: int) -> tuple[list[Any], str, bool]:
        """One page of changes after `cursor`: (appointments, next cursor, more). The appointments
        themselves are checked by core.appointments.validated() where they are stored."""
        params: dict[str, Any] = {"limit": limit} if cursor is None else {"cursor": cursor, "limit": limit}
        page = _object(self._call("GET", f"/sites/{_part(site)}/appointments", params=params), "the page")
        items, next_cursor, more = page.get("appointments"), page.get("cursor"), page.get("more")
        if not isinstance(items, list) or len(items) > limit:
            raise CentralMalformed(f"appointments must be a list of at most {limit} items")
        if not isinstance(next_cursor, str) or not 0 < len(next_cursor) <= MAX_CURSOR_CHARS:
            raise CentralMalformed(f"cursor must be a text of 1 to {MAX_CURSOR_CHARS} characters")
        if not isinstance(more, bool):
            raise CentralMalformed("more must be true or false")
        return items, next_cursor, more

    def fees(self, site: str) -> dict[str, Any]:
        """The site's fee schedule, every field checked: {currency, version, services: [{code, items}]}."""
        schedule = _object(self._call("GET", f"/sites/{_part(site)}/fees"), "the fee schedule")
        currency, version, services = (schedule.get(key) for key in ("currency", "version", "services"))
        if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
            raise CentralMalformed("currency must be an ISO 4217 code")
        if not _whole(version) or not isinstance(services, list):
            raise CentralMalformed("version must be a whole number and services a list")
        return {"currency": currency, "version": version, "services": [_service(item) for item in services]}

    def keys(self) -> list[SigningKey]:
        answer = _object(self._call("GET", "/keys"), "the keys")
        published = answer.get("keys")
        if not isinstance(published, list) or len(published) > MAX_KEYS:
            raise CentralMalformed(f"keys must be a list of at most {MAX_KEYS} keys")
        try:
            keys = [key_from_jwk(item) for item in published]
        except ValueError as error:
            raise CentralMalformed(f"a published key is malformed: {error}") from None
        if any(key.valid_until <= key.valid_from for key in keys):
            raise CentralMalformed("a key's validity ends before it starts")
        return keys

    def push_events(self, site: str, events: list[dict[str, Any]]) -> set[str]:
        """Send a batch; the ids the central acknowledged (stored now or before)."""
        answer = _object(self._call("POST", f"/sites/{_part(site)}/events", body={"events": events}),
                         "the acknowledgement")
        acknowledged = answer.get("acknowledged")
        if not isinstance(acknowledged, list) or not all(isinstance(item, str) for item in acknowledged):
            raise CentralMalformed("acknowledged must be a list of event ids")
        return set(acknowledged)

    def put_daily_report(self, site: str, day: str, report: dict[str, Any]) -> ReportHeld:
        """Send a closed day's report; the revision the central holds for that day (the same content sent
        again is the same revision)."""
        path = f"/sites/{_part(site)}/daily-reports/{_part(day)}"
        answer = _object(self._call("PUT", path, body=report, ok=(200, 201)), "the daily report's answer")
        revision, digest, new = answer.get("revision"), answer.get("sha256"), answer.get("new_revision")
        if answer.get("day") != day:
            raise CentralMalformed(f"the daily report's answer names another day than {day}")
        if not isinstance(revision, int) or not _whole(revision) or revision == 0:
            raise CentralMalformed("revision must be a whole number above 0")
        if not isinstance(new, bool):
            raise CentralMalformed("new_revision must be true or false")
        if not isinstance(digest, str) or not SHA256.fullmatch(digest):
            raise CentralMalformed("sha256 must be 64 hexadecimal digits")
        return ReportHeld(revision, digest, new)

    def request_etimbre(self, request: EtimbreRequest) -> EtimbreIssued:
        reference = request.payment_reference
        path = f"/sites/{_part(request.site_id)}/etimbres/{_part(reference)}"
        answer = _object(self._call("PUT", path, body=_etimbre_body(request), ok=(200, 201)), "the eTimbre")
        number = answer.get("number")
        if answer.get("payment_reference") != reference:
            raise CentralMalformed(f"the eTimbre answer names another payment than {reference}")
        if not isinstance(number, str) or not ETIMBRE_NUMBER.fullmatch(number):
            raise CentralMalformed("number must be ETB and 12 digits")
        return EtimbreIssued(reference, number)

    # --- one request, read with a cap ---------------------------------------------------------------------
    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None, ok: tuple[int, ...] = (200,)) -> Any:
        """The JSON answer of one request. The whole exchange is bounded: `timeout` for the connection and
        between bytes (requests), and three times `timeout` in all, so a central dripping bytes cannot hold
        the worker."""
        deadline = time.monotonic() + 3 * self.timeout
        try:
            response = self.session.request(method, self.base + path, params=params, json=body,
                                            timeout=self.timeout, verify=self.verify, stream=True,
                                            allow_redirects=False)
            with response:
                _check_status(response, f"{method} {path}", ok)
                raw = self._read(response, deadline)
        except (requests.RequestException, OSError) as error:
            text = f"{method} {path}: {type(error).__name__}: {error}"
            raise CentralUnavailable(self._redacted(text)) from None
        return _parse(raw)

    def _read(self, response: requests.Response, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise CentralMalformed(f"an answer of {declared} bytes is over the {self.max_body}-byte cap")
        if not response.headers.get("Content-Type", "").startswith("application/json"):
            raise CentralMalformed("the answer is not application/json")
        return _bounded(response, self.max_body, deadline)

    def _redacted(self, text: str) -> str:
        """Error texts end up in logs and the status page: never with the token, never endless."""
        return text.replace(self._token, "***")[:500]


def _bounded(response: requests.Response, cap: int, deadline: float, what: str = "an answer") -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > cap:
            raise CentralMalformed(f"{what} over the {cap}-byte cap: not read further")
        if time.monotonic() > deadline:
            raise CentralUnavailable(f"{what} still arriving after the time allowed")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_status(response: requests.Response, call: str, ok: tuple[int, ...]) -> None:
    status = response.status_code
    if status in ok:
        return
    detail = _error_detail(response)
    if status == 429 or status >= 500:
        raise CentralUnavailable(f"{call}: the central answered {status}{detail}")
    if 400 <= status < 500:
        raise CentralRefused(f"{call}: the central refused it ({status}){detail}")
    raise CentralMalformed(f"{call}: unexpected status {status}")


def _error_detail(response: requests.Response) -> str:
    """`: code: message` from the central's error body `{"error", "message"}`, if it has one (short)."""
    try:
        data = json.loads(_bounded(response, MAX_ERROR_BYTES, time.monotonic() + 5, "an error body"))
    except (ValueError, RecursionError, CentralUnavailable, requests.RequestException):
        return ""
    if not isinstance(data, dict):
        return ""
    words = [str(data[key])[:200] for key in ("error", "message") if isinstance(data.get(key), str)]
    return "".join(f": {word}" for word in words if word.isprintable())


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise CentralMalformed(f"the answer is not JSON: {str(error)[:120]}") from None


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CentralMalformed(f"{what} must be a JSON object")
    return data


def _whole(value: object) -> bool:
    """A JSON whole number, 0 or more (JSON true is not 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise CentralMalformed(f"{what} must be a non-empty text")
    return value


def _service(raw: object) -> dict[str, Any]:
    service = _object(raw, "a fee service")
    items = service.get("items")
    if not isinstance(items, list):
        raise CentralMalformed("a fee service's items must be a list")
    code = _text(service.get("code"), "a fee service's code")
    return {"code": code, "items": [_fee_item(item) for item in items]}


def _fee_item(raw: object) -> dict[str, Any]:
    item = _object(raw, "a fee item")
    amount, names = item.get("amount_minor"), item.get("names")
    if not _whole(amount) or amount == 0:
        raise CentralMalformed("a fee item's amount_minor must be a whole number above 0")
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in names.items()):
        raise CentralMalformed("a fee item's names must map languages to texts")
    return {"code": _text(item.get("code"), "a fee item's code"), "amount_minor": amount, "names": names}


def _etimbre_body(request: EtimbreRequest) -> dict[str, Any]:
    return {"site_id": request.site_id, "payment_reference": request.payment_reference,
            "service": request.service, "items": [[code, amount] for code, amount in request.items],
            "amount_minor": request.amount_minor, "currency": request.currency, "paid_at": request.paid_at,
            "authorisation": request.authorisation, "ticket_number": request.ticket_number}


def _part(text: str) -> str:
    """A path segment: whatever a site id or reference holds cannot change the path."""
    return quote(text, safe="")

"""Web glue of the central: its store, who is asking (a site or the admin), JSON bodies and JSON errors.

Every refusal is `{"error": code, "message": sentence}` with its status, 404s and 413s included, so the site's
sync worker reads one error shape whatever went wrong, and nothing a caller sends can produce a 500 page.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any, cast

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from core.web import bearer_token
from sync.central import sites
from sync.central.db import CentralStore
from sync.central.validate import Refused, json_object, malformed

EXTENSION = "dour.central"
ADMIN_TOKEN = "CENTRAL_ADMIN_TOKEN"
log = logging.getLogger(__name__)


def store() -> CentralStore:
    return cast(CentralStore, current_app.extensions[EXTENSION])


def body() -> dict[str, Any]:
    """The request's JSON object (whatever its Content-Type); 400 with a sentence otherwise."""
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:  # json refuses deep nesting with RecursionError, not ValueError
        data = None
    return json_object(data)


def calling_site() -> str:
    """The site whose bearer token came with the request; 401 without a known token."""
    site = sites.site_for_token(store().read(), bearer_token())
    if site is None:
        raise Refused(401, "unauthorized", "a site bearer token is required (Authorization: Bearer <token>)")
    return site


def authorised_site(site: str) -> str:
    """The path's site, if it is the caller's own; 403 for another site's path."""
    if calling_site() != site:
        raise Refused(403, "forbidden", "this token belongs to another site")
    return site


def require_admin() -> None:
    expected = str(current_app.config[ADMIN_TOKEN])
    given = bearer_token() or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Refused(401, "unauthorized", "the admin bearer token is required")


def query_limit(default: int, maximum: int) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise malformed(f"limit must be a whole number from 1 to {maximum}")
    return int(raw)


def _refused(error: Refused) -> Any:
    return jsonify({"error": error.code, "message": str(error)}), error.status


def _http_error(error: HTTPException) -> Any:
    code = {413: "too_large", 404: "not_found", 405: "method_not_allowed"}.get(error.code or 500, "malformed")
    return jsonify({"error": code, "message": error.description}), error.code


def _crash(error: Exception) -> Any:
    log.exception("central: unexpected error")
    return jsonify({"error": "internal", "message": "the central failed; try again later"}), 500


def register_errors(app: Flask) -> None:
    app.register_error_handler(Refused, _refused)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)

"""Web glue shared by the surfaces: who is asking (device or agent), role checks, JSON errors, language.

Not a domain module: it is part of the composition root with core/app.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar, cast

from babel import Locale
from flask import Flask, current_app, g, jsonify, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale, gettext
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException

from core import devices, sessions
from core.errors import N_, DourError, Forbidden, InvalidInput, NotAuthenticated
from core.revocation import EXTENSION as LIVE_CONNECTIONS
from core.revocation import LiveConnections
from core.site import Site

F = TypeVar("F", bound=Callable[..., Any])


def site() -> Site:
    return cast(Site, current_app.extensions["dour.site"])


def live_connections() -> LiveConnections:
    """The app's registry of live connections and what admitted each (core/revocation.py)."""
    return cast(LiveConnections, current_app.extensions[LIVE_CONNECTIONS])


def socket_sid() -> str:
    """The sid of the live connection whose event is being handled (Flask-SocketIO sets it)."""
    return str(request.sid)  # type: ignore[attr-defined]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def current_device() -> dict[str, Any] | None:
    """The enrolled device behind this request: bearer token, else the enrolment cookie."""
    if "device" in g:
        return cast(dict[str, Any] | None, g.device)
    token = bearer_token()
    g.device = devices.device_for_token(site().store.read(), token) if token else cookie_device()
    return cast(dict[str, Any] | None, g.device)


def cookie_device() -> dict[str, Any] | None:
    """The device of the enrolment cookie, which holds the token's SHA-256, never the token. A cookie from
    before that change (`device_token`) is accepted once and rewritten, so enrolled kiosks stay enrolled."""
    if "device_token" in session:
        session["device"] = devices.digest(str(session.pop("device_token")))
    token_hash = session.get("device")
    return devices.device_for_hash(site().store.read(), token_hash) if isinstance(token_hash, str) else None


def current_user() -> dict[str, Any] | None:
    """The agent of this request's live session (ended at logout, when disabled, on a password change)."""
    if "user" not in g:
        session_id = session.get("sid")
        live = isinstance(session_id, str)
        g.user = (sessions.session_user(site().store.read(), str(session_id), site().config.session_lifetime)
                  if live else None)
    return cast(dict[str, Any] | None, g.user)


def log_in(user: dict[str, Any], via: str, **kept: Any) -> None:
    """Open a server-side session for `user` and put its id in a fresh cookie, with `kept` values. A session
    the browser held before (another login at this desk, a badge put back) ends: one browser, one session."""
    previous = session.get("sid")
    with site().store.write() as db:
        if isinstance(previous, str):
            sessions.end_session(db, previous, "replaced")
        session_id = sessions.open_session(db, int(user["id"]), via)
    session.clear()
    session.update(sid=session_id, **kept)
    g.user = sessions.session_user(site().store.read(), session_id, site().config.session_lifetime)


def log_out() -> None:
    """End this request's session on the server (a copied cookie stops working) and its live connections."""
    session_id = session.get("sid")
    if isinstance(session_id, str):
        with site().store.write() as db:
            sessions.end_session(db, session_id)
        live_connections().end_session(sessions.digest(session_id))
    session.clear()
    g.user = None


def require_device(*kinds: str) -> Callable[[F], F]:
    """Only an enrolled device of one of `kinds` may call the view."""
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            device = current_device()
            if device is None:
                raise NotAuthenticated(N_("This device is not enrolled. Ask staff to enrol it."))
            if device["kind"] not in kinds:
                raise Forbidden(N_("This device may not do that."))
            return view(*args, **kwargs)
        return cast(F, wrapper)
    return decorator


def require_user(*roles: str) -> Callable[[F], F]:
    """Only a logged-in agent (of one of `roles`, if given) may call the view."""
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                raise NotAuthenticated(N_("Please log in."))
            if roles and user["role"] not in roles:
                raise Forbidden(N_("Your role may not do that."))
            return view(*args, **kwargs)
        return cast(F, wrapper)
    return decorator


def json_body() -> dict[str, Any]:
    """The request's JSON object, or InvalidInput with a sentence (never a bare 400 page, never a 500)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(N_("The request body must be a JSON object."))
    check_json_values(data)
    return data


MAX_JSON_DEPTH = 16  # our bodies are two levels deep; a deep one is an attack on the handlers' recursion
MAX_JSON_INT = 2**53 - 1  # no page can send a larger integer exactly (JavaScript), and SQLite stores it


def check_json_values(data: Any) -> None:
    """Refuse what would crash deeper down: integers SQLite cannot store (≥ 2⁶³), text that is not valid
    Unicode (a lone surrogate cannot be encoded), non-finite numbers, and deep nesting."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(N_("The request body is nested too deeply."))
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif not _storable(value):
            raise InvalidInput(N_("The request contains a number too large or text that is not valid "
                                  "Unicode."))


def _storable(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -MAX_JSON_INT <= value <= MAX_JSON_INT
    if isinstance(value, float):
        return math.isfinite(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def field(data: dict[str, Any], name: str, kind: type, required: bool = True) -> Any:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name=name)
    return value


def error_message(error: DourError) -> str:
    """The error's sentence in the current locale (a request's, or one forced with force_locale)."""
    params = {key: gettext(value) if key in error.translated_params else value
              for key, value in error.params.items()}
    return str(gettext(error.message, **params) if params else gettext(error.message))


def error_json(error: DourError) -> dict[str, Any]:
    """An error as pages get it: its code, its sentence in the current locale, and any `details`."""
    data: dict[str, Any] = {"error": error.code, "message": error_message(error)}
    if error.details:
        data["details"] = error.details
    return data


def error_response(error: DourError) -> Any:
    return jsonify(error_json(error)), error.status


LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français", "en": "English", "es": "Español", "it": "Italiano",
                  "de": "Deutsch", "nl": "Nederlands"}
RTL_LANGUAGES = frozenset({"ar"})


def page_language() -> str:
    """The language Flask-Babel renders this request in."""
    return str(get_locale() or site().config.site["default_language"])


def language_context(lang: str | None = None) -> dict[str, Any]:
    """`lang` and `rtl` for a page's `<html lang dir>`."""
    lang = lang or page_language()
    return {"lang": lang, "rtl": lang in RTL_LANGUAGES}


def select_locale() -> Locale:
    """Flask-Babel's locale selector: `pick_language`'s choice as a babel Locale, parsed once per language
    (given a code, Flask-Babel would parse it again on every request)."""
    return _locale(pick_language())


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def pick_language() -> str:
    """?lang=, then the JSON body's lang, then the session, then the browser, then the site default."""
    config = site().config
    languages = config.site["languages"]
    candidates = [request.args.get("lang"), session.get("lang")]
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except HTTPException:  # a body over the limit: the 413 answer is in the next candidate's language
            body = None
        if isinstance(body, dict) and isinstance(body.get("lang"), str):
            candidates.insert(0, body["lang"])
    for candidate in candidates:
        if candidate in languages:
            return str(candidate)
    if "Accept-Language" not in request.headers:  # a kiosk's scripted request: nothing to parse
        return str(config.site["default_language"])
    return request.accept_languages.best_match(languages) or config.site["default_language"]


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its signing serializer built once per secret key instead of on
    every request (a kiosk's request, which has no cookie, built one too): docs/serving.md, "Cost per ticket".
    A changed key (or key fallbacks) builds a new one."""

    def __init__(self) -> None:
        self._built: tuple[Any, URLSafeTimedSerializer | None] = (None, None)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        built_for, serializer = self._built
        if built_for != keys:
            serializer = super().get_signing_serializer(app)
            self._built = (keys, serializer)
        return serializer

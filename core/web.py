"""Web glue shared by the surfaces: who is asking (device or agent), role checks, JSON errors, language.

Not a domain module: it is part of the composition root with core/app.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, jsonify, request, session
from flask_babel import get_locale, gettext

from core import devices, users
from core.errors import N_, DourError, Forbidden, InvalidInput, NotAuthenticated
from core.site import Site

F = TypeVar("F", bound=Callable[..., Any])


def site() -> Site:
    return cast(Site, current_app.extensions["dour.site"])


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def current_device() -> dict[str, Any] | None:
    """The enrolled device behind this request: bearer token, else the enrolment cookie."""
    if "device" in g:
        return cast(dict[str, Any] | None, g.device)
    token = bearer_token()
    db = site().store.read()
    if token:
        device = devices.device_for_token(db, token)
    elif "device_token" in session:
        device = devices.device_for_token(db, session["device_token"])
    else:
        device = None
    g.device = device
    return device


def current_user() -> dict[str, Any] | None:
    if "user" not in g:
        user_id = session.get("user_id")
        g.user = users.get_user(site().store.read(), user_id) if user_id else None
    return cast(dict[str, Any] | None, g.user)


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
    """The request's JSON object, or InvalidInput with a sentence (never a bare 400 page)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(N_("The request body must be a JSON object."))
    return data


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


def pick_language() -> str:
    """?lang=, then the JSON body's lang, then the session, then the browser, then the site default."""
    config = site().config
    languages = config.site["languages"]
    candidates = [request.args.get("lang"), session.get("lang")]
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("lang"), str):
            candidates.insert(0, body["lang"])
    for candidate in candidates:
        if candidate in languages:
            return str(candidate)
    return request.accept_languages.best_match(languages) or config.site["default_language"]

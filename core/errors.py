"""Typed domain errors. Each carries a message id that the web layer translates."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (core imports no Flask)."""
    return message


class DourError(Exception):
    """Base of every error a person may see. `status` is the HTTP status the web layer answers."""

    status = 400
    code = "bad_request"
    translated_params: tuple[str, ...] = ()  # params that are themselves message ids (labels), not data

    def __init__(self, message: str, translate: tuple[str, ...] = (), **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.translated_params = translate or type(self).translated_params
        self.details: dict[str, object] = {}  # what the page may offer next (e.g. a walk-in service)


class InvalidInput(DourError):
    status = 400
    code = "invalid_input"


class NotFound(DourError):
    status = 404
    code = "not_found"


class Conflict(DourError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    """A ticket was asked to move to a state its current state does not allow."""

    code = "illegal_transition"


class NotAuthenticated(DourError):
    status = 401
    code = "not_authenticated"


class Forbidden(DourError):
    status = 403
    code = "forbidden"

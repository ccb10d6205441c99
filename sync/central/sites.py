"""Sites known to the central, their bearer tokens and their fee schedules.

A site token is shown once, when it is created; the central keeps only its SHA-256, so a copy of the central's
database does not let anyone speak for a site. A token is 32 random bytes: a plain hash is enough (no
password stretching is needed for a secret nobody chose).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import sqlite_utils

from core.clock import utc_iso
from core.fees import FeeItem
from sync.central.validate import Refused, identifier


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def exists(db: sqlite_utils.Database, site: str) -> bool:
    return db.execute("SELECT 1 FROM sites WHERE id = ?", [site]).fetchone() is not None


def add_site(db: sqlite_utils.Database, site: str, name: str) -> str:
    """Register a site; its token, which is not stored and cannot be shown again."""
    identifier(site, "site")
    if exists(db, site):
        raise Refused(409, "conflict", f"site {site} already exists")
    token = secrets.token_urlsafe(32)
    db.execute("INSERT INTO sites (id, name, token_sha256, created_at) VALUES (?, ?, ?, ?)",
               [site, name, token_hash(token), utc_iso()])
    return token


def reissue_token(db: sqlite_utils.Database, site: str) -> str:
    """A new token for an existing site (the old one stops working): for a lost token."""
    token = secrets.token_urlsafe(32)
    db.execute("UPDATE sites SET token_sha256 = ? WHERE id = ?", [token_hash(token), site])
    return token


def site_for_token(db: sqlite_utils.Database, token: str | None) -> str | None:
    if not token:
        return None
    row = db.execute("SELECT id FROM sites WHERE token_sha256 = ?", [token_hash(token)]).fetchone()
    return str(row[0]) if row else None


def set_fees(db: sqlite_utils.Database, site: str, currency: str,
             services: dict[str, tuple[FeeItem, ...]]) -> int:
    """Replace a site's whole fee schedule; its new version (sites see a version change and refetch)."""
    db.execute("DELETE FROM fees WHERE site = ?", [site])
    for service, items in services.items():
        rows = [{"code": item.code, "amount_minor": item.amount_minor, "names": item.names} for item in items]
        db.execute("INSERT INTO fees (site, service, items) VALUES (?, ?, ?)",
                   [site, service, json.dumps(rows, ensure_ascii=False, sort_keys=True)])
    row = db.execute("UPDATE sites SET currency = ?, fees_version = fees_version + 1 WHERE id = ? "
                     "RETURNING fees_version", [currency, site]).fetchone()
    return int(row[0])


def fee_schedule(db: sqlite_utils.Database, site: str) -> dict[str, Any]:
    """GET /v1/sites/{site}/fees: `{"currency", "version", "services": [{"code", "items"}]}`."""
    currency, version = db.execute("SELECT currency, fees_version FROM sites WHERE id = ?", [site]).fetchone()
    rows = db.execute("SELECT service, items FROM fees WHERE site = ? ORDER BY service", [site]).fetchall()
    return {"currency": currency, "version": version,
            "services": [{"code": service, "items": json.loads(items)} for service, items in rows]}

"""The QR signing public keys the central published, cached in the site database for offline verification.

The sync worker stores what `GET /v1/keys` answered; the kiosk reads them at each scan. A key the central no
longer lists is kept until its `valid_until` (a token signed with it may still be in a visitor's pocket), and
dropped after.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlite_utils

from core.clock import utc_iso
from sync.tokens import SigningKey


def keys(db: sqlite_utils.Database) -> dict[str, SigningKey]:
    rows = db.execute("SELECT kid, public_key, valid_from, valid_until FROM signing_keys").fetchall()
    return {kid: SigningKey(kid, bytes(public), _when(start), _when(until))
            for kid, public, start, until in rows}


def store(db: sqlite_utils.Database, published: Iterable[SigningKey], moment: datetime) -> int:
    """Keep the published keys (inside the caller's transaction) and drop expired ones; how many are kept."""
    for key in published:
        db.execute(
            "INSERT INTO signing_keys (kid, public_key, valid_from, valid_until, fetched_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kid) DO UPDATE SET public_key = excluded.public_key, "
            "valid_from = excluded.valid_from, valid_until = excluded.valid_until, "
            "fetched_at = excluded.fetched_at",
            [key.kid, key.public, utc_iso(key.valid_from), utc_iso(key.valid_until), utc_iso(moment)])
    db.execute("DELETE FROM signing_keys WHERE valid_until < ?", [utc_iso(moment)])
    return int(db.execute("SELECT COUNT(*) FROM signing_keys").fetchone()[0])


def validity(db: sqlite_utils.Database) -> list[dict[str, str]]:
    """Each cached key's id and validity, for the supervisor's sync panel."""
    rows = db.execute("SELECT kid, valid_from, valid_until FROM signing_keys ORDER BY valid_from").fetchall()
    return [{"kid": kid, "valid_from": start, "valid_until": until} for kid, start, until in rows]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

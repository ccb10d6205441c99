"""Opening a badge reader from its configuration URI: `pcsc://?reader=<part of its name>` or `sim://`."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .base import CardReader
from .fake import FakeCardReader
from .pcsc import PcscCardReader

SUPPORTED = "pcsc://?reader=<part of the reader name>, sim://"


def open_card_reader(uri: str) -> CardReader:
    """The reader a URI names (not started yet); ValueError for a malformed or unsupported URI.

    `pcsc://` without `reader` takes the first reader pcscd lists; `sim://` is an in-memory reader whose
    cards are inserted by the demo page or a test (FakeCardReader).
    """
    parts = urlsplit(uri)
    if parts.scheme == "sim" and not parts.netloc and not parts.query:
        return FakeCardReader()
    if parts.scheme == "pcsc" and not parts.netloc and parts.path in ("", "/"):
        return PcscCardReader(_reader_name(uri, parts.query))
    raise ValueError(f"unsupported card reader URI {uri!r}: expected one of {SUPPORTED}")


def _reader_name(uri: str, query: str) -> str:
    params = parse_qs(query, keep_blank_values=True)
    if set(params) - {"reader"} or len(params.get("reader", [])) > 1:
        raise ValueError(f"card reader URI {uri!r}: the only parameter is one reader=<part of its name>")
    return params.get("reader", [""])[0].strip()

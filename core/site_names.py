"""The site's name in a language: `site.names` (a table keyed by language) may translate `site.name`.

`site.name` stays the name of record (the central, logs, a language without a translation). Pages show
`site_name(config.site, lang)`; the printed ticket keeps the name of record (an Arabic name would print as
an image: more bytes, slower paper).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def site_name(site: Mapping[str, Any], lang: str | None) -> str:
    """`site.names[lang]` when the site file gives one, else `site.name`."""
    names = site.get("names")
    translated = names.get(lang) if isinstance(names, Mapping) and lang else None
    return str(translated or site["name"])

"""CSV files of the reports' tables, for the spreadsheet on the site's PCs (docs/reports.md).

UTF-8 with a byte-order mark: without it, Excel on Windows reads a CSV in the PC's legacy code page and shows
French accents and Arabic as mojibake; with it, Excel, LibreOffice and Numbers all read UTF-8. The separator
and the decimal mark follow the site's default language, as the PCs' regional settings do: a French site
gets `;` and `,` (French Excel splits on `;` and reads `12,5` as a number), an English one `,` and `.`.
No `sep=` line: Excel ignores the BOM when one is there. Text that a spreadsheet would run as a formula
(`=`, `+`, `-`, `@` first) is quoted with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision, get_decimal_symbol

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def conventions(site_language: str) -> tuple[str, str]:
    """(separator, decimal mark) for the PCs of a site whose default language is `site_language`."""
    return (";", ",") if get_decimal_symbol(site_language) == "," else (",", ".")


def cell(value: Any, kind: str, decimal: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        minor, currency = value
        return str(Decimal(minor).scaleb(-get_currency_precision(currency))).replace(".", decimal)
    if kind == "minutes":
        return f"{float(value):.1f}".replace(".", decimal)
    if kind == "share":
        return f"{float(value) * 100:.1f}".replace(".", decimal)
    if kind == "int":
        return str(int(value))
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(columns: list[tuple[str, str]], rows: list[list[Any]], site_language: str) -> str:
    """The table as CSV text, BOM first; a share column's header gets ` (%)`, a money column's currency."""
    separator, decimal = conventions(site_language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(
        [
            cell(header + _unit(kind, index, rows), "text", decimal)
            for index, (header, kind) in enumerate(columns)
        ]
    )
    for row in rows:
        writer.writerow(
            [cell(value, kind, decimal) for value, (_header, kind) in zip(row, columns, strict=True)]
        )
    return BOM + out.getvalue()


def _unit(kind: str, index: int, rows: list[list[Any]]) -> str:
    if kind == "share":
        return " (%)"
    currencies = sorted({row[index][1] for row in rows if row[index] is not None}) if kind == "money" else []
    return f" ({', '.join(currencies)})" if currencies else ""

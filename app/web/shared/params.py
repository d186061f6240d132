"""Numbers typed in a form, a query string or a URL: parsed once, the same way everywhere."""
from __future__ import annotations

MAX_ID = 2 ** 31 - 1  # the largest id an integer column holds (PostgreSQL `integer`)


def parse_id(text: str | None) -> int | None:
    """An id typed in a form or a query string: ASCII digits within what the database holds
    (« ² » is a digit for `str.isdigit` but not for `int`; 10**30 overflows the column)."""
    text = str(text or "").strip()
    if text.isascii() and text.isdigit() and int(text) <= MAX_ID:
        return int(text)
    return None

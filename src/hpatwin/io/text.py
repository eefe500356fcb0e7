"""Text shown to a user: control and format characters removed, length bounded.

Example
-------
>>> clean_text("subject\\x1b[2J\\x1b[8m42\\u202e")
'subject[2J[8m42'
>>> one_line("a\\n  - b\\n  - c", limit=8)
'a - b -…'
"""

from __future__ import annotations

import unicodedata

__all__ = ["clean_text", "one_line"]

_DROP = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_text(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` without control/format characters (terminal escapes, bidi overrides).

    Tabs (and newlines unless ``keep_newlines`` is false) are kept.

    Example
    -------
    >>> clean_text("a\\tb\\x07c")
    'a\\tbc'
    """
    keep = "\t\n" if keep_newlines else "\t"
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) not in _DROP)


def one_line(text: str, *, limit: int = 2000) -> str:
    """``text`` cleaned, on one line (whitespace runs collapsed), at most ``limit`` characters.

    Example
    -------
    >>> one_line("invalid assessment:\\n  - sex: required")
    'invalid assessment: - sex: required'
    """
    flat = " ".join(clean_text(text, keep_newlines=False).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

"""Parsing form fields: every problem is an InputError naming the form field.

Example
-------
>>> number({"x": "2.5"}, "x")
2.5
>>> try:
...     number({"x": "abc"}, "x")
... except InputError as exc:
...     print(exc)
x: not a number (allowed: a number such as 2.5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from hpatwin.errors import InputError

__all__ = ["checkbox", "date_field", "datetime_field", "integer", "number", "text", "text_list"]

Form = Mapping[str, Any]
EARLIEST_YEAR = 1900
"""Assumption: clinic records start no earlier than the records' earliest birth year (1900);
earlier dates are typing errors (and beyond what the charts can draw)."""


def text(form: Form, name: str, *, required: bool = True) -> str:
    """A trimmed text field."""
    value = form.get(name)
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise InputError("is required", field=name)
    return value


def number(form: Form, name: str, *, required: bool = True) -> float | None:
    """A finite number."""
    raw = text(form, name, required=required)
    if not raw:
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise InputError("not a number", field=name, allowed="a number such as 2.5") from None
    if not math.isfinite(value):
        raise InputError("not a finite number", field=name)
    return value


def integer(form: Form, name: str, *, required: bool = True) -> int | None:
    """A whole number."""
    raw = text(form, name, required=required)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InputError("not a whole number", field=name) from None


def datetime_field(form: Form, name: str) -> datetime:
    """``YYYY-MM-DDTHH:MM`` (an HTML datetime-local input), taken as UTC."""
    raw = text(form, name)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError("not a date and time", field=name, allowed="YYYY-MM-DDTHH:MM") from None
    if value.year < EARLIEST_YEAR:
        raise InputError("implausibly early", field=name, allowed=f"from {EARLIEST_YEAR}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def date_field(form: Form, name: str, *, required: bool = False) -> date | None:
    """``YYYY-MM-DD`` or empty."""
    raw = text(form, name, required=required)
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise InputError("not a date", field=name, allowed="YYYY-MM-DD") from None
    if value.year < EARLIEST_YEAR:
        raise InputError("implausibly early", field=name, allowed=f"from {EARLIEST_YEAR}")
    return value


def checkbox(form: Form, name: str) -> bool:
    """A checkbox: present means true."""
    return form.get(name) in ("on", "true", "1", "yes")


def text_list(form: Form, name: str) -> tuple[str, ...]:
    """Comma- or newline-separated values."""
    raw = text(form, name, required=False)
    parts = [p.strip() for chunk in raw.splitlines() for p in chunk.split(",")]
    return tuple(p for p in parts if p)

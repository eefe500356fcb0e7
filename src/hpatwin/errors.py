"""One error tree for hpatwin: every error a user can meet derives from :class:`HpatwinError`.

Areas subclass the branch that fits them, so a caller can catch everything with
``except HpatwinError`` or one kind with its class. :class:`InputError` is also a
:class:`ValueError` because long-standing callers catch bad input that way.

Messages name the place (file or form), the field path and the allowed range, and
never echo patient data or file contents.

Example
-------
>>> from hpatwin.errors import HpatwinError, InputError
>>> err = InputError("days must be positive", source="run.yaml", field="days", allowed="> 0")
>>> str(err)
'run.yaml: days: days must be positive (allowed: > 0)'
>>> isinstance(err, HpatwinError) and isinstance(err, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "HpatwinError",
    "InputError",
    "NotFoundError",
    "PermissionDeniedError",
    "ResourceError",
]


class HpatwinError(Exception):
    """Base of every error hpatwin raises on purpose."""


class InputError(HpatwinError, ValueError):
    """Bad input: a file, field or argument outside what is allowed.

    ``source`` is the file or form, ``field`` the dotted field path, ``allowed`` the
    allowed range or values; each is optional and, when given, shown in the message.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        field: str | None = None,
        allowed: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.field = field
        self.allowed = allowed
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [part for part in (self.source, self.field) if part]
        text = ": ".join([*parts, self.problem])
        return f"{text} (allowed: {self.allowed})" if self.allowed else text


class NotFoundError(HpatwinError, LookupError):
    """Something asked for by name or id does not exist."""

    def __str__(self) -> str:  # LookupError would quote a lone argument like KeyError
        return str(self.args[0]) if self.args else ""


class ConflictError(HpatwinError):
    """A write based on a stale version of a record (optimistic locking) or a duplicate."""


class PermissionDeniedError(HpatwinError):
    """The user is not allowed to do this (authorisation)."""


class ResourceError(HpatwinError, OSError):
    """The machine cannot do the work: an unwritable folder, too little space or memory."""

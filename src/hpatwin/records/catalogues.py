"""The one place where records look up catalogues: acupoints by WHO code, drugs by name.

Every catalogue lookup the records package needs goes through this module, so the
source of the catalogues (today the planner knowledge base in
:mod:`hpatwin.clinic.planner`; later the domain-core package ``hpatwin.data``) can be
rewired in one place.

Example
-------
>>> known_point(" li4 "), known_point("XX99")
('LI4', None)
>>> known_drug("Cymbalta"), known_drug("no such drug")
('duloxetine', None)
"""

from __future__ import annotations

import re
from functools import cache

from hpatwin.clinic.planner import load_knowledge_base

__all__ = ["catalogue_version", "known_drug", "known_point"]

_POINT_SPACING = re.compile(r"[\s.]+")


def _normalise_point(code: str) -> str:
    return _POINT_SPACING.sub("", code).upper()


def _normalise_drug(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).casefold()


@cache
def _points() -> dict[str, str]:
    return {_normalise_point(code): code for code in load_knowledge_base().points}


@cache
def _drugs() -> dict[str, str]:
    table: dict[str, str] = {}
    for drug in load_knowledge_base().drugs.values():
        for name in drug.all_names():
            table[_normalise_drug(name)] = drug.id
    return table


def known_point(code: str) -> str | None:
    """The canonical catalogue code of an acupoint (case and spaces ignored), else ``None``.

    Example
    -------
    >>> known_point("gv 20")
    'GV20'
    """
    return _points().get(_normalise_point(code))


def known_drug(name: str) -> str | None:
    """The generic name (catalogue id) of a drug given by generic or brand name, else ``None``.

    Example
    -------
    >>> known_drug("DULOXETINE")
    'duloxetine'
    """
    return _drugs().get(_normalise_drug(name))


def catalogue_version() -> tuple[str, str]:
    """Version and SHA-256 of the catalogue source (stored with each plan).

    Example
    -------
    >>> len(catalogue_version()[1])
    64
    """
    kb = load_knowledge_base()
    return kb.version, kb.sha256

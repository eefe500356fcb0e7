"""The one place where records look up catalogues: acupoints by WHO code, drugs by name.

Every catalogue lookup the records package needs goes through this module; the catalogues
themselves are the domain core's (:mod:`hpatwin.data`): the one acupoint catalogue (WHO
codes and their aliases, e.g. GV29 for Yintang, EX-HN3) and the one drug catalogue.

Example
-------
>>> known_point(" li4 "), known_point("gv29"), known_point("XX99")
('LI4', 'EX-HN3', None)
>>> known_drug("Cymbalta"), known_drug("no such drug")
('duloxetine', None)
"""

from __future__ import annotations

import re
from functools import cache

from hpatwin.clinic.planner import load_knowledge_base
from hpatwin.data.drugs import drug_catalogue_sections
from hpatwin.data.points import UnknownPointError, load_point_catalogue

__all__ = ["catalogue_version", "known_drug", "known_point"]

_POINT_SPACING = re.compile(r"[\s.]+")


def _normalise_point(code: str) -> str:
    return _POINT_SPACING.sub("", code).upper()


def _normalise_drug(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).casefold()


@cache
def _drugs() -> dict[str, str]:
    table: dict[str, str] = {}
    for drug in drug_catalogue_sections()[1]:
        for name in (drug["id"], *drug.get("names", [])):
            table[_normalise_drug(str(name))] = str(drug["id"])
    return table


def known_point(code: str) -> str | None:
    """The canonical catalogue code of an acupoint (case and spaces ignored), else ``None``.

    Example
    -------
    >>> known_point("gv 20")
    'GV20'
    """
    catalogue = load_point_catalogue()
    try:
        point = catalogue.get(_normalise_point(code))
    except UnknownPointError:
        return None
    return point.code


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

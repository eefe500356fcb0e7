"""The one bibliography: every source cited by a parameter, rule or catalogue entry.

Catalogues and the planner's knowledge base cite sources by id; the ids resolve here, in
``catalogues/sources.yaml``, to a full citation with a confirmation status.

Example
-------
>>> bibliography = load_bibliography()
>>> bibliography["kroenke2001"].citation.startswith("Kroenke K")
True
>>> bibliography.cite(["kroenke2001", "lowe2004"]).startswith("Kroenke K")
True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from hpatwin.io.documents import read_packaged_document, validation_messages

__all__ = ["Bibliography", "BibliographyError", "Confirmation", "Source", "load_bibliography"]


class BibliographyError(ValueError):
    """A malformed bibliography or an id it does not hold."""


class Confirmation(StrEnum):
    """How far a source's statement was confirmed when it was entered.

    ``confirmed`` = confirmed in the named source; ``secondary`` = only via a secondary page;
    ``unconfirmed`` = not confirmed in any source read (shown flagged, never as fact);
    ``not in reference`` = added by the KB author without a source check.

    Example
    -------
    >>> Confirmation("secondary").is_flagged
    True
    """

    CONFIRMED = "confirmed"
    SECONDARY = "secondary"
    UNCONFIRMED = "unconfirmed"
    NOT_IN_REFERENCE = "not in reference"

    @property
    def rank(self) -> int:
        """0 for confirmed up to 3 for unconfirmed (worse = higher).

        Example
        -------
        >>> Confirmation.UNCONFIRMED.rank > Confirmation.SECONDARY.rank
        True
        """
        order = (
            Confirmation.CONFIRMED,
            Confirmation.SECONDARY,
            Confirmation.NOT_IN_REFERENCE,
            Confirmation.UNCONFIRMED,
        )
        return order.index(self)

    @property
    def is_flagged(self) -> bool:
        """True when a reader should see the status next to the statement.

        Example
        -------
        >>> Confirmation.CONFIRMED.is_flagged
        False
        """
        return self is not Confirmation.CONFIRMED



SourceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", min_length=2)]


class Source(BaseModel):
    """A citable source with its confirmation status.

    Example
    -------
    >>> Source(id="kroenke2001", citation="Kroenke 2001", confirmation="confirmed").id
    'kroenke2001'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: SourceId
    citation: str = Field(min_length=3)
    confirmation: Confirmation
    note: str = ""


class Bibliography(Mapping[str, Source]):
    """Sources by id, with a version (see the module example)."""

    def __init__(self, sources: Iterable[Source], version: str) -> None:
        self._sources: dict[str, Source] = {}
        for source in sources:
            if source.id in self._sources:
                raise BibliographyError(f"sources.yaml: duplicate source id {source.id!r}")
            self._sources[source.id] = source
        self.version = version

    def __getitem__(self, source_id: str) -> Source:
        try:
            return self._sources[source_id]
        except KeyError:
            raise BibliographyError(f"unknown source {source_id!r}") from None

    def __contains__(self, source_id: object) -> bool:
        return source_id in self._sources

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def cite(self, source_ids: Iterable[str]) -> str:
        """The citations of ``source_ids`` joined by ``; `` (unknown ids raise)."""
        return "; ".join(self[source_id].citation for source_id in source_ids)


def _parse(data: Any) -> Bibliography:
    if not isinstance(data, Mapping) or not isinstance(data.get("sources"), list):
        raise BibliographyError("sources.yaml: expected a list under 'sources'")
    sources = []
    for index, raw in enumerate(data["sources"]):
        try:
            sources.append(Source.model_validate(raw))
        except ValidationError as exc:
            details = "; ".join(validation_messages(exc))
            raise BibliographyError(f"sources.yaml: sources[{index}]: {details}") from None
    return Bibliography(sources, str(data.get("version", "unversioned")))


@cache
def load_bibliography() -> Bibliography:
    """The built-in bibliography (read once)."""
    return _parse(read_packaged_document("hpatwin.data", "catalogues", "sources.yaml"))

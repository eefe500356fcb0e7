"""Acupoint catalogue: WHO codes, regions, roles, pregnancy cautions, each with its source.

This is the one acupoint catalogue (``data/catalogues/points.yaml``): the twin's treatment
plans and the clinic's planner both read it. :func:`load_point_catalogue` validates it with
pydantic (source ids unknown to the bibliography, a cautioned range containing an uncautioned
point, duplicate codes and aliases are load errors) and returns a :class:`PointCatalogue` that
looks points up by WHO code or alias, case- and space-insensitively. Yintang is keyed by its
WHO 2008 code EX-HN3; the newer GV29 is an alias.

Example
-------
>>> from hpatwin.data.points import load_point_catalogue
>>> catalogue = load_point_catalogue()
>>> catalogue.get("gv29").code, catalogue.get("DU20").name
('EX-HN3', 'Baihui')
>>> catalogue.get("BL27").pregnancy_caution
True
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hpatwin.data.evidence import Evidence
from hpatwin.data.sources import load_bibliography
from hpatwin.io.documents import read_document, read_packaged_document, validation_messages

_STANDARD_CODE = re.compile(r"^([A-Z]+)(\d+)$")
# Older or alternative meridian prefixes that trial reports still use.
_PREFIX_ALIASES = {"DU": "GV", "REN": "CV", "LIV": "LR", "P": "PC", "HE": "HT", "SJ": "TE"}


class PointRole(StrEnum):
    """The source article's three groups of points.

    Example
    -------
    >>> PointRole("limbic") is PointRole.LIMBIC
    True
    """

    HPA_SYSTEMIC = "hpa_systemic"
    SEGMENTAL_ANALGESIC = "segmental_analgesic"
    LIMBIC = "limbic"


class BodyRegion(StrEnum):
    """Body regions: where a point lies and which pain sites a segmental point serves.

    The same ids are the planner's region vocabulary (``clinic/planner/knowledge/vocabulary.yaml``
    maps pain-site words such as "lumbar" or "trapezius" onto them).

    Example
    -------
    >>> BodyRegion("low_back").value
    'low_back'
    """

    HEAD = "head"
    NECK = "neck"
    SHOULDER = "shoulder"
    UPPER_BACK = "upper_back"
    CHEST = "chest"
    ABDOMEN = "abdomen"
    LOW_BACK = "low_back"
    SACRAL = "sacral"
    HIP = "hip"
    KNEE = "knee"
    ARM = "arm"
    WRIST_HAND = "wrist_hand"
    LEG = "leg"
    FOOT_ANKLE = "foot_ankle"


#: Anatomical hazard tags the safety screen reads: over the thorax (pneumothorax risk), in the
#: lumbosacral or lower-abdominal regions (EA avoided there in pregnancy).
PointTag = Literal["thorax", "lumbosacral", "lower_abdominal"]


class UnknownPointError(ValueError):
    """A point code that is not in the catalogue.

    Example
    -------
    >>> str(UnknownPointError("XX99", ["GV20"]))
    "unknown point code 'XX99'"
    """

    def __init__(self, code: str, known: list[str]) -> None:
        close = difflib.get_close_matches(code.upper(), known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        super().__init__(f"unknown point code {code!r}{hint}")
        self.code = code


class RoleAssignment(BaseModel):
    """One role of a point, with the evidence for assigning it.

    Example
    -------
    >>> RoleAssignment(role="segmental_analgesic", serves=["low_back"], evidence="assumption",
    ...                rationale="paravertebral at L2").serves
    (<BodyRegion.LOW_BACK: 'low_back'>,)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: PointRole
    serves: tuple[BodyRegion, ...] = ()
    evidence: Evidence
    source: str = ""
    rationale: str = ""

    @model_validator(mode="before")
    @classmethod
    def _parse_evidence(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("evidence"), str):
            data = {**data, "evidence": Evidence.parse(data["evidence"])}
        return data

    @model_validator(mode="after")
    def _check(self) -> RoleAssignment:
        if self.role is PointRole.SEGMENTAL_ANALGESIC and not self.serves:
            raise ValueError("a segmental_analgesic role must name the regions it serves")
        if self.role is not PointRole.SEGMENTAL_ANALGESIC and self.serves:
            raise ValueError(f"only segmental_analgesic roles serve regions, not {self.role}")
        if self.evidence is Evidence.ASSUMPTION and not self.rationale.strip():
            raise ValueError("an assumed role must state its rationale")
        if self.evidence is not Evidence.ASSUMPTION and not self.source.strip():
            raise ValueError("a role that is not an assumption needs a source")
        return self


class Caution(BaseModel):
    """A caution other than pregnancy (e.g. pneumothorax risk), with its source.

    Example
    -------
    >>> Caution(text="over the lung apex", source="SA Health dry-needling guideline").text
    'over the lung apex'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    source: str = Field(min_length=1)


LocationStatus = Literal["confirmed", "secondary", "unconfirmed", "not_recorded"]


class Point(BaseModel):
    """One acupoint of the catalogue.

    ``name`` is ``None`` for a point known only through a cautioned range (e.g. BL27).

    Example
    -------
    >>> from hpatwin.data.points import load_point_catalogue
    >>> point = load_point_catalogue().get("GB21")
    >>> point.pregnancy_caution, [r.role.value for r in point.roles]
    (True, ['segmental_analgesic'])
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name: str | None
    aliases: tuple[str, ...] = ()
    region: BodyRegion
    area: str | None = None
    location: str | None = None
    location_status: LocationStatus
    code_status: str = ""
    source: str
    source_id: str = ""
    used_in: tuple[str, ...] = ()
    roles: tuple[RoleAssignment, ...] = ()
    pregnancy_caution: bool
    pregnancy_caution_source: str | None = None
    tags: tuple[PointTag, ...] = ()
    cautions: tuple[Caution, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Point:
        if self.pregnancy_caution and not self.pregnancy_caution_source:
            raise ValueError(f"point {self.code}: a pregnancy caution needs its source")
        if self.location is None and self.location_status != "not_recorded":
            raise ValueError(f"point {self.code}: location_status without a location")
        if self.location is not None and self.location_status == "not_recorded":
            raise ValueError(f"point {self.code}: a location given must say how it is confirmed")
        return self

    def has_role(self, role: PointRole | str) -> bool:
        """Whether the point carries ``role``.

        Example
        -------
        >>> load_point_catalogue().get("HT7").has_role("limbic")
        True
        """
        return any(r.role == PointRole(role) for r in self.roles)

    def serves(self) -> tuple[BodyRegion, ...]:
        """Regions this point serves as a segmental analgesic point.

        Example
        -------
        >>> [r.value for r in load_point_catalogue().get("GB21").serves()]
        ['neck', 'upper_back']
        """
        return tuple(region for r in self.roles for region in r.serves)


class PointRange(BaseModel):
    """A run of points on one meridian sharing a pregnancy caution (e.g. BL22-BL35).

    Example
    -------
    >>> rng = PointRange(meridian="CV", first=3, last=7, region="abdomen", tag="lower_abdominal",
    ...                  pregnancy_caution=True, pregnancy_caution_source="Betts & Budd 2011")
    >>> rng.label, rng.contains("CV4"), rng.contains("CV8")
    ('CV3-CV7', True, False)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    meridian: str = Field(pattern=r"^[A-Z]+$")
    first: int = Field(ge=1)
    last: int = Field(ge=1)
    region: BodyRegion
    tag: PointTag | None = None
    pregnancy_caution: bool
    pregnancy_caution_source: str | None = None

    @model_validator(mode="after")
    def _check(self) -> PointRange:
        if self.last < self.first:
            raise ValueError(f"range {self.label}: last is before first")
        if self.pregnancy_caution and not self.pregnancy_caution_source:
            raise ValueError(f"range {self.label}: a pregnancy caution needs its source")
        return self

    @property
    def label(self) -> str:
        """``BL22-BL35`` (see the class example)."""
        return f"{self.meridian}{self.first}-{self.meridian}{self.last}"

    def contains(self, code: str) -> bool:
        """Whether a canonical standard code lies in this range (see the class example)."""
        match = _STANDARD_CODE.match(code)
        return bool(
            match
            and match.group(1) == self.meridian
            and self.first <= int(match.group(2)) <= self.last
        )


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: list[dict[str, Any]]
    ranges: list[dict[str, Any]] = []


def normalise_code(code: str) -> str:
    """Upper-case, strip spaces and map old meridian prefixes (``Du20`` → ``GV20``).

    Example
    -------
    >>> normalise_code(" du 20 "), normalise_code("Liv3"), normalise_code("ex-hn3")
    ('GV20', 'LR3', 'EX-HN3')
    """
    cleaned = re.sub(r"\s+", "", code).upper()
    match = _STANDARD_CODE.match(cleaned)
    if match and match.group(1) in _PREFIX_ALIASES:
        return f"{_PREFIX_ALIASES[match.group(1)]}{match.group(2)}"
    return cleaned


class PointCatalogue:
    """Points by WHO code, with alias lookup and cautioned ranges.

    Example
    -------
    >>> catalogue = load_point_catalogue()
    >>> "GV20" in catalogue, "XX99" in catalogue
    (True, False)
    >>> catalogue.get("XX99")
    Traceback (most recent call last):
    ...
    hpatwin.data.points.UnknownPointError: unknown point code 'XX99'
    """

    def __init__(self, points: list[Point], ranges: list[PointRange]) -> None:
        self._points: dict[str, Point] = {}
        self._aliases: dict[str, str] = {}
        for point in points:
            if point.code in self._points or point.code in self._aliases:
                raise ValueError(f"point {point.code}: listed twice")
            self._points[point.code] = point
        for point in points:
            for alias in point.aliases:
                key = normalise_code(alias)
                if key == point.code:
                    continue
                if key in self._points or key in self._aliases:
                    raise ValueError(f"point {point.code}: alias {alias} is already used")
                self._aliases[key] = point.code
        self._ranges = list(ranges)
        for rng in self._ranges:
            for point in self._points.values():
                if (
                    rng.contains(point.code)
                    and rng.pregnancy_caution
                    and not point.pregnancy_caution
                ):
                    raise ValueError(
                        f"point {point.code} lies in the pregnancy-cautioned range {rng.label} "
                        "but has no pregnancy caution"
                    )

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        try:
            self.get(code)
        except UnknownPointError:
            return False
        return True

    def __iter__(self) -> Iterator[Point]:
        return iter(self._points.values())

    def __len__(self) -> int:
        return len(self._points)

    @property
    def ranges(self) -> tuple[PointRange, ...]:
        """The cautioned ranges.

        Example
        -------
        >>> [r.label for r in load_point_catalogue().ranges][:2]
        ['BL22-BL35', 'GV3-GV5']
        """
        return tuple(self._ranges)

    def codes(self) -> list[str]:
        """Codes of the explicitly listed points.

        Example
        -------
        >>> load_point_catalogue().codes()[:3]
        ['GV20', 'EX-HN3', 'GV24']
        """
        return list(self._points)

    def get(self, code: str) -> Point:
        """The point for a code or alias; a code inside a range yields an unnamed point.

        Example
        -------
        >>> load_point_catalogue().get("ex-hn3").name
        'Yintang'
        """
        key = normalise_code(code)
        key = self._aliases.get(key, key)
        if key in self._points:
            return self._points[key]
        for rng in self._ranges:
            if rng.contains(key):
                return Point(
                    code=key,
                    name=None,
                    region=rng.region,
                    location_status="not_recorded",
                    source=f"range {rng.label} of the catalogue",
                    pregnancy_caution=rng.pregnancy_caution,
                    pregnancy_caution_source=rng.pregnancy_caution_source,
                    tags=(rng.tag,) if rng.tag else (),
                )
        raise UnknownPointError(code, self.codes() + list(self._aliases))

    def tags_of(self, code: str) -> tuple[str, ...]:
        """Every tag of a point: ``pregnancy_caution``, its own tags and its ranges' tags.

        Example
        -------
        >>> load_point_catalogue().tags_of("BL23")
        ('pregnancy_caution', 'lumbosacral')
        """
        point = self.get(code)
        tags = ["pregnancy_caution"] if point.pregnancy_caution else []
        tags += [tag for tag in point.tags if tag not in tags]
        for rng in self._ranges:
            if rng.contains(point.code) and rng.tag and rng.tag not in tags:
                tags.append(rng.tag)
        return tuple(tags)

    def by_role(self, role: PointRole | str) -> list[Point]:
        """Listed points that carry ``role``.

        Example
        -------
        >>> "HT7" in [p.code for p in load_point_catalogue().by_role("limbic")]
        True
        """
        return [p for p in self._points.values() if p.has_role(role)]

    def serving(self, region: BodyRegion | str) -> list[Point]:
        """Listed segmental points that serve ``region``.

        Example
        -------
        >>> [p.code for p in load_point_catalogue().serving("knee")]
        ['BL40', 'ST35', 'SP9']
        """
        wanted = BodyRegion(region)
        return [p for p in self._points.values() if wanted in p.serves()]

    def pregnancy_cautioned(self) -> list[Point]:
        """Listed points flagged for caution in pregnancy (ranges are in :attr:`ranges`).

        Example
        -------
        >>> [p.code for p in load_point_catalogue().pregnancy_cautioned()][:3]
        ['LI4', 'SP6', 'GB21']
        """
        return [p for p in self._points.values() if p.pregnancy_caution]


def _resolve_sources(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Turn bibliography ids into citations (the id of the main source is kept as well)."""
    bibliography = load_bibliography()

    def cite(ids: Any, field: str) -> str:
        wanted = [ids] if isinstance(ids, str) else list(ids)
        unknown = [i for i in wanted if i not in bibliography]
        if unknown:
            raise ValueError(f"{where}.{field}: unknown source id {unknown[0]!r}")
        return bibliography.cite(wanted)

    resolved = dict(raw)
    if isinstance(resolved.get("source"), str):
        resolved["source_id"] = resolved["source"]
    for field in ("source", "pregnancy_caution_source"):
        if isinstance(resolved.get(field), str):
            resolved[field] = cite(resolved[field], field)
    if "used_in" in resolved:
        resolved["used_in"] = [cite(k, "used_in") for k in resolved["used_in"]]
    if isinstance(resolved.get("cautions"), list):
        resolved["cautions"] = [
            {"text": c.get("text"), "source": cite(c.get("sources", []), f"cautions[{i}].sources")}
            if isinstance(c, dict) and "sources" in c
            else c
            for i, c in enumerate(resolved["cautions"])
        ]
    return resolved


def _read_catalogue(path: Path | None, default_name: str) -> tuple[Any, str]:
    """The catalogue file's data and its label (the built-in one when ``path`` is None)."""
    if path is None:
        return read_packaged_document("hpatwin.data", "catalogues", default_name), (
            f"built-in {default_name}"
        )
    return read_document(path), str(path)


def _validation_text(exc: ValidationError) -> str:
    return "; ".join(validation_messages(exc))


def load_point_catalogue(path: Path | str | None = None) -> PointCatalogue:
    """Load and validate a point catalogue (the built-in one when ``path`` is ``None``).

    Example
    -------
    >>> len(load_point_catalogue()) >= 11
    True
    """
    return _load_point_catalogue(None if path is None else Path(path))


@cache
def _load_point_catalogue(path: Path | None) -> PointCatalogue:
    data, label = _read_catalogue(path, "points.yaml")
    try:
        parsed = _CatalogueFile.model_validate(data)
        points = [
            Point.model_validate(
                _resolve_sources(raw, f"points[{i}]")
                | {"code": normalise_code(str(raw.get("code", "")))}
            )
            for i, raw in enumerate(parsed.points)
        ]
        ranges = [
            PointRange.model_validate(_resolve_sources(raw, f"ranges[{i}]"))
            for i, raw in enumerate(parsed.ranges)
        ]
        return PointCatalogue(points, ranges)
    except ValidationError as exc:
        raise ValueError(f"catalogue file {label!r}: {_validation_text(exc)}") from None
    except ValueError as exc:
        raise ValueError(f"catalogue file {label!r}: {exc}") from None

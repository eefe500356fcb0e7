"""The planner's knowledge base: sourced rules in YAML files, loaded and validated with pydantic.

Every rule, point selection, schedule item, pharmacotherapy note and safety alert in the knowledge
base (KB) names its sources (ids into ``sources.yaml``) and an evidence level; an assumption must
state its rationale. A malformed KB file fails loudly: :class:`KnowledgeBaseError` names the file,
the rule id and the offending field.

Example
-------
>>> kb = load_knowledge_base()
>>> kb.safety_rule("phq9-item9-positive").level.value
'urgent'
>>> kb.rule_count() > 50
True
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hpatwin.clinic.instruments import get_spec
from hpatwin.data.drugs import drug_catalogue_sections
from hpatwin.data.evidence import Evidence
from hpatwin.data.points import load_point_catalogue
from hpatwin.data.sources import Confirmation, Source, load_bibliography
from hpatwin.io.atomic import atomic_path
from hpatwin.io.documents import DocumentError, read_document, validation_messages

__all__ = [
    "DEFAULT_KB_DIR",
    "RULES_BEGIN",
    "RULES_END",
    "ClassCount",
    "ConditionCategory",
    "ConditionMatch",
    "Confirmation",
    "DominanceCategory",
    "DrugClass",
    "DrugEntry",
    "EAPair",
    "Effects",
    "FrequencyRule",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Level",
    "LiverStatus",
    "Note",
    "Point",
    "PointTag",
    "Predicate",
    "Region",
    "RegionSelection",
    "ReviewItem",
    "RoleRule",
    "RoleSelection",
    "Schedule",
    "ScheduleItem",
    "ScoreBand",
    "SeverityScale",
    "Source",
    "SourcedRule",
    "Threshold",
    "format_validation_error",
    "load_knowledge_base",
    "rules_markdown",
    "sync_rules_doc",
    "write_rules_doc",
]

DEFAULT_KB_DIR: Path = Path(__file__).with_name("knowledge")
"""Directory of the KB files shipped with the package."""

KB_FILES: tuple[str, ...] = (
    "vocabulary.yaml",
    "points.yaml",
    "indications.yaml",
    "schedule.yaml",
    "pharmacotherapy.yaml",
    "safety.yaml",
)


class KnowledgeBaseError(ValueError):
    """A KB file is missing, unreadable or breaks a rule of the KB format.

    Example
    -------
    >>> str(KnowledgeBaseError("safety.yaml: rule 'x': level: bad"))
    "safety.yaml: rule 'x': level: bad"
    """


class Level(StrEnum):
    """Grade of a safety alert, most severe first.

    Example
    -------
    >>> Level.CONTRAINDICATION.rank < Level.CAUTION.rank
    True
    """

    URGENT = "urgent"
    CONTRAINDICATION = "contraindication"
    CAUTION = "caution"
    INFORMATION = "information"

    @property
    def rank(self) -> int:
        """0 for urgent up to 3 for information.

        Example
        -------
        >>> Level.URGENT.rank, Level.INFORMATION.rank
        (0, 3)
        """
        return list(Level).index(self)


class LiverStatus(StrEnum):
    """Liver status recorded in an assessment.

    Example
    -------
    >>> LiverStatus("cirrhosis").is_impaired
    True
    """

    NORMAL = "normal"
    CHRONIC_LIVER_DISEASE = "chronic liver disease"
    MILD = "mild impairment"
    MODERATE = "moderate impairment"
    SEVERE = "severe impairment"
    CIRRHOSIS = "cirrhosis"

    @property
    def is_impaired(self) -> bool:
        """True for anything other than ``normal``.

        Example
        -------
        >>> LiverStatus.NORMAL.is_impaired
        False
        """
        return self is not LiverStatus.NORMAL


class DominanceCategory(StrEnum):
    """Pain-versus-depression picture that selects the EA frequency row.

    Example
    -------
    >>> DominanceCategory.DEPRESSIVE.value
    'depressive predominance'
    """

    DEPRESSIVE = "depressive predominance"
    ACUTE_PAIN = "acute pain predominance"
    CHRONIC_PAIN_WITH_DEPRESSION = "chronic pain + depression"
    CHRONIC_PAIN_WITHOUT_DEPRESSION = "chronic pain without depression"
    MIXED_ACUTE = "acute pain with equal depression"
    NONE = "no pain or depression"


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, expected a number")
    return value


StrictNumber = Annotated[float, BeforeValidator(_no_bool)]
StrictInt = Annotated[int, BeforeValidator(_no_bool)]

_Id = Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourcedRule(_Frozen):
    """Base of every KB entry that makes a claim: id, sources, evidence level, rationale.

    Example
    -------
    >>> SourcedRule(id="x", sources=["article"], evidence="source article").evidence.value
    'source article'
    """

    id: _Id
    sources: list[str] = Field(min_length=1)
    evidence: Evidence
    rationale: str = ""

    @field_validator("evidence", mode="before")
    @classmethod
    def _parse_evidence(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return Evidence.parse(value)
            except ValueError as exc:
                raise ValueError(str(exc).removeprefix("evidence: ")) from None
        return value

    @model_validator(mode="after")
    def _assumption_needs_rationale(self) -> SourcedRule:
        if self.evidence is Evidence.ASSUMPTION and not self.rationale.strip():
            raise ValueError("an assumption must state its rationale")
        return self


class DrugClass(_Frozen):
    """A drug class the rules refer to (e.g. ``snri``, ``cyp1a2_potent_inhibitor``).

    Example
    -------
    >>> DrugClass(id="snri", description="serotonin-noradrenaline reuptake inhibitor").id
    'snri'
    """

    id: _Id
    description: str
    sources: list[str] = Field(default_factory=list)
    includes: list[str] = Field(default_factory=list)
    """Classes whose drugs belong to this one as well (e.g. ``serotonergic`` includes ``ssri``)."""
    members: list[str] = Field(default_factory=list)
    """Drug ids that belong to this class besides those listing it (and those included)."""


class LowDose(_Frozen):
    """Classes that apply instead when a drug's dose is at or below ``max_mg``.

    Example
    -------
    >>> LowDose(max_mg=81, classes=["antiplatelet"], sources=["x"]).max_mg
    81.0
    """

    max_mg: StrictNumber = Field(gt=0)
    classes: list[str]
    sources: list[str] = Field(min_length=1)


class DrugEntry(_Frozen):
    """A recognised drug: generic id, brand names and synonyms, and its classes.

    Example
    -------
    >>> DrugEntry(id="duloxetine", names=["Cymbalta"], classes=["snri"]).all_names()
    ('duloxetine', 'Cymbalta')
    """

    id: _Id
    names: list[str] = Field(default_factory=list)
    classes: list[str] = Field(min_length=1)
    low_dose: LowDose | None = None

    def all_names(self) -> tuple[str, ...]:
        """Generic name (with underscores as spaces) followed by brand names and synonyms.

        Example
        -------
        >>> DrugEntry(id="st_johns_wort", classes=["x"]).all_names()
        ('st johns wort',)
        """
        return (self.id.replace("_", " "), *self.names)


class Region(_Frozen):
    """A body region used for pain regions, point locations and condition sites.

    Example
    -------
    >>> Region(id="low_back", names=["lumbar"], description="lumbar region").id
    'low_back'
    """

    id: _Id
    names: list[str] = Field(default_factory=list)
    description: str

    def all_names(self) -> tuple[str, ...]:
        """The id (underscores as spaces) followed by its synonyms.

        Example
        -------
        >>> Region(id="low_back", names=["lumbar"], description="x").all_names()
        ('low back', 'lumbar')
        """
        return (self.id.replace("_", " "), *self.names)


class ConditionCategory(_Frozen):
    """A recognised condition category with its names (e.g. pacemaker → implanted device).

    Example
    -------
    >>> ConditionCategory(id="epilepsy", names=["seizure disorder"], description="x").id
    'epilepsy'
    """

    id: _Id
    names: list[str] = Field(default_factory=list)
    description: str
    has_control_status: bool = False
    has_region: bool = False

    def all_names(self) -> tuple[str, ...]:
        """The id (underscores as spaces) followed by its synonyms.

        Example
        -------
        >>> ConditionCategory(id="skin_lesion", names=["wound"], description="x").all_names()
        ('skin lesion', 'wound')
        """
        return (self.id.replace("_", " "), *self.names)


class PointTag(_Frozen):
    """A tag on acupoints that safety rules refer to (e.g. ``pregnancy_caution``, ``thorax``).

    Example
    -------
    >>> PointTag(id="thorax", description="over the thorax", sources=["x"]).id
    'thorax'
    """

    id: _Id
    description: str
    sources: list[str] = Field(min_length=1)


class Point(_Frozen):
    """An acupoint in the catalogue: code, name, region, location wording and tags.

    Example
    -------
    >>> Point(code="LI4", name="Hegu", region="hand", location="dorsum of hand",
    ...       location_sources=["who"], tags=["pregnancy_caution"]).code
    'LI4'
    """

    code: str = Field(min_length=2, pattern=r"^[A-Z]{2}(-[A-Z]{1,2})?\d+$")
    name: str
    region: str
    location: str
    location_sources: list[str] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    note: str = ""


class RoleSelection(SourcedRule):
    """Points for a systemic role (``hpa_systemic`` or ``limbic``).

    Example
    -------
    >>> RoleSelection(id="r", role="limbic", points=["GV20"], sources=["s"],
    ...               evidence="trial").role
    'limbic'
    """

    role: Literal["hpa_systemic", "limbic"]
    points: list[str] = Field(min_length=1)
    description: str = ""


class RegionSelection(SourcedRule):
    """Segmental points for one pain region (may be empty, with a note saying why).

    Example
    -------
    >>> RegionSelection(id="s", region="neck", points=["GB20"], sources=["s"],
    ...                 evidence="assumption", rationale="local points").region
    'neck'
    """

    region: str
    points: list[str] = Field(default_factory=list)
    note: str = ""


class EAPair(SourcedRule):
    """An electrode pair used in a cited protocol.

    Example
    -------
    >>> EAPair(id="p", points=["GV20", "EX-HN3"], sources=["s"], evidence="trial",
    ...        description="x").points
    ['GV20', 'EX-HN3']
    """

    points: list[str] = Field(min_length=2, max_length=2)
    description: str


class ScoreBand(_Frozen):
    """One band of a score scale: ``minimum`` to ``maximum`` inclusive → label and rank.

    Example
    -------
    >>> ScoreBand(label="mild", minimum=5, maximum=9, rank=1).rank
    1
    """

    label: str
    minimum: StrictNumber
    maximum: StrictNumber
    rank: StrictInt = Field(ge=0, le=3)


#: the instrument whose bands each planner severity scale ranks
INSTRUMENT_OF_SCALE: dict[str, str] = {"phq9": "phq9", "pain_nrs": "nrs"}


class SeverityScale(SourcedRule):
    """Ranks (0-3: none/mild/moderate/severe) for an instrument's own severity bands.

    The band limits and labels are the instrument's (:mod:`hpatwin.clinic.instruments`, the
    one definition); the knowledge base only ranks them so depression and pain compare.

    Example
    -------
    >>> s = SeverityScale(id="x", scale="pain_nrs", sources=["s"], evidence="assumption",
    ...     rationale="r", ranks={"no pain": 0, "mild": 1, "moderate": 2, "severe": 3})
    >>> s.band_for(4).label, s.band_for(4).rank
    ('mild', 1)
    """

    scale: Literal["phq9", "pain_nrs"]
    ranks: dict[str, StrictInt]
    bands: list[ScoreBand] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bands_from_the_instrument(self) -> SeverityScale:
        instrument_bands = get_spec(INSTRUMENT_OF_SCALE[self.scale]).bands
        labels = [band.label for band in instrument_bands]
        unranked = [label for label in labels if label not in self.ranks]
        unknown = [label for label in self.ranks if label not in labels]
        if unranked or unknown:
            raise ValueError(
                f"ranks: must rank exactly the {self.scale} bands {labels}"
                f" (unranked {unranked}, unknown {unknown})"
            )
        if any(not 0 <= rank <= 3 for rank in self.ranks.values()):
            raise ValueError("ranks: each rank must be 0-3")
        bands = [
            ScoreBand(label=b.label, minimum=b.low, maximum=b.high, rank=self.ranks[b.label])
            for b in instrument_bands
        ]
        object.__setattr__(self, "bands", bands)
        return self

    def band_for(self, score: float) -> ScoreBand:
        """The band containing ``score`` (scores between bands go to the lower band).

        Example
        -------
        >>> load_knowledge_base().scales["phq9"].band_for(14.5).label
        'moderate'
        """
        chosen = self.bands[0]
        for band in self.bands:
            if score >= band.minimum:
                chosen = band
        return chosen


class Threshold(SourcedRule):
    """A named numeric threshold with unit (e.g. chronic pain from 3 months).

    Example
    -------
    >>> Threshold(id="t", name="x", value=3, unit="months", sources=["s"],
    ...           evidence="assumption", rationale="convention").value
    3.0
    """

    name: str
    value: StrictNumber
    unit: str
    description: str = ""


class FrequencyRule(SourcedRule):
    """Maps a dominance category to an EA frequency, with the article table's columns.

    Example
    -------
    >>> FrequencyRule(id="f", dominance="depressive predominance", frequency="2 Hz",
    ...               sources=["article"], evidence="source article").frequency
    '2 Hz'
    """

    dominance: DominanceCategory
    frequency: Literal["2 Hz", "100 Hz", "2/100 Hz"] | None
    table_row: str = ""
    profile: dict[str, str] = Field(default_factory=dict)
    explanation: str = ""


class RoleRule(SourcedRule):
    """Acupuncture's role for the PHQ-9 severities it covers.

    Example
    -------
    >>> RoleRule(id="r", severities=["mild"], role="monotherapy", statement="s",
    ...          sources=["article"], evidence="source article").role
    'monotherapy'
    """

    severities: list[str] = Field(min_length=1)
    role: Literal["monotherapy", "adjunct", "not determined"]
    statement: str


class ScheduleItem(SourcedRule):
    """One sourced element of the schedule or of the EA delivery parameters.

    Example
    -------
    >>> ScheduleItem(id="s", topic="course", text="8-12 weeks", sources=["article"],
    ...              evidence="source article").topic
    'course'
    """

    topic: str
    text: str
    weeks: tuple[int, int] | None = None
    sessions_per_week: StrictInt | None = Field(default=None, ge=1, le=7)
    minutes: tuple[int, int] | None = None
    modality: Literal["any", "needling", "ea"] = "any"
    """``ea``/``needling``: left out of a plan in which that modality is withheld or unused."""


class ReviewItem(SourcedRule):
    """What to look for at the review session.

    Example
    -------
    >>> ReviewItem(id="r", check="PHQ-9 change", text="...", sources=["x"],
    ...            evidence="measured").check
    'PHQ-9 change'
    """

    check: str
    text: str


class Schedule(_Frozen):
    """Course, phases, session parameters and the review checklist.

    Example
    -------
    >>> load_knowledge_base().schedule.review_session
    6
    """

    review_session: StrictInt = Field(ge=1, le=50)
    review_rule: SourcedRule
    course: ScheduleItem
    phases: list[ScheduleItem] = Field(min_length=1)
    delivery: list[ScheduleItem] = Field(default_factory=list)
    review_items: list[ReviewItem] = Field(min_length=1)


class ConditionMatch(_Frozen):
    """Match a condition category, optionally by its control status.

    Example
    -------
    >>> ConditionMatch(category="epilepsy", controlled="no").controlled
    'no'
    """

    category: str
    controlled: Literal["yes", "no", "unknown"] | None = None


class ClassCount(_Frozen):
    """At least ``count`` distinct recognised drugs in ``drug_class``.

    Example
    -------
    >>> ClassCount(drug_class="cns_active", count=3).count
    3
    """

    drug_class: str
    count: StrictInt = Field(ge=1)


_PREDICATE_KEYS: tuple[str, ...] = (
    "always",
    "all_of",
    "any_of",
    "not_",
    "drug",
    "drug_class",
    "drug_class_count_at_least",
    "medication_count_at_least",
    "age_at_least",
    "age_below",
    "pregnant",
    "lactating",
    "gestational_week_at_least",
    "gestational_week_below",
    "condition",
    "condition_at_point_region",
    "condition_region_unknown",
    "condition_at_pain_region_or_unknown",
    "crcl_below",
    "crcl_at_least",
    "crcl_unknown",
    "liver_status_in",
    "liver_status_unknown",
    "phq9_item9_at_least",
    "phq9_item9_below",
    "phq9_item9_unknown",
    "phq9_severity_in",
    "point_tag",
    "pain_region_in",
    "unrecognised",
    "dose_above_label_max",
    "daily_dose_unknown",
)


class Predicate(BaseModel):
    """A condition in a rule's ``when:`` — exactly one key, combinable with all/any/not.

    Point predicates (``point_tag``, ``condition_at_point_region``) see the candidate points for
    rules that have plan effects and the final points for all other rules.

    Example
    -------
    >>> p = Predicate.model_validate({"all": [{"drug": "duloxetine"}, {"crcl_below": 30}]})
    >>> p.key()
    'all_of'
    >>> sorted(p.references())
    [('drug', 'duloxetine')]
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    always: Literal[True] | None = None
    all_of: list[Predicate] | None = Field(default=None, alias="all", min_length=1)
    any_of: list[Predicate] | None = Field(default=None, alias="any", min_length=1)
    not_: Predicate | None = Field(default=None, alias="not")
    drug: str | None = None
    drug_class: str | None = None
    drug_class_count_at_least: ClassCount | None = None
    medication_count_at_least: StrictInt | None = Field(default=None, ge=1)
    age_at_least: StrictNumber | None = None
    age_below: StrictNumber | None = None
    pregnant: bool | None = None
    lactating: bool | None = None
    gestational_week_at_least: StrictNumber | None = None
    gestational_week_below: StrictNumber | None = None
    condition: ConditionMatch | None = None
    condition_at_point_region: str | None = None
    condition_region_unknown: str | None = None
    condition_at_pain_region_or_unknown: str | None = None
    crcl_below: StrictNumber | None = None
    crcl_at_least: StrictNumber | None = None
    crcl_unknown: Literal[True] | None = None
    liver_status_in: list[LiverStatus] | None = None
    liver_status_unknown: Literal[True] | None = None
    phq9_item9_at_least: StrictInt | None = None
    phq9_item9_below: StrictInt | None = None
    phq9_item9_unknown: Literal[True] | None = None
    phq9_severity_in: list[str] | None = None
    point_tag: str | None = None
    pain_region_in: list[str] | None = None
    unrecognised: Literal["medication", "condition", "pain_region"] | None = None
    dose_above_label_max: Literal[True] | None = None
    daily_dose_unknown: Literal[True] | None = None

    @field_validator("condition", mode="before")
    @classmethod
    def _condition_shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"category": value}
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Predicate:
        chosen = [key for key in _PREDICATE_KEYS if getattr(self, key) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"a predicate needs exactly one key, got {len(chosen)}: "
                f"{', '.join(chosen) or 'none'}"
            )
        return self

    def key(self) -> str:
        """The one key that is set.

        Example
        -------
        >>> Predicate.model_validate({"not": {"pregnant": True}}).key()
        'not_'
        """
        return next(key for key in _PREDICATE_KEYS if getattr(self, key) is not None)

    def children(self) -> tuple[Predicate, ...]:
        """Nested predicates of ``all``/``any``/``not`` (empty for leaves).

        Example
        -------
        >>> len(Predicate.model_validate({"any": [{"lactating": True}, {"pregnant": True}]})
        ...     .children())
        2
        """
        if self.all_of is not None:
            return tuple(self.all_of)
        if self.any_of is not None:
            return tuple(self.any_of)
        if self.not_ is not None:
            return (self.not_,)
        return ()

    def references(self) -> Iterator[tuple[str, str]]:
        """``(kind, id)`` pairs this predicate names, for the KB's cross-reference check.

        Example
        -------
        >>> list(Predicate.model_validate({"drug_class": "snri"}).references())
        [('drug_class', 'snri')]
        """
        for child in self.children():
            yield from child.references()
        if self.drug is not None:
            yield ("drug", self.drug)
        if self.drug_class is not None:
            yield ("drug_class", self.drug_class)
        if self.drug_class_count_at_least is not None:
            yield ("drug_class", self.drug_class_count_at_least.drug_class)
        if self.condition is not None:
            yield ("condition", self.condition.category)
        for name in (
            self.condition_at_point_region,
            self.condition_region_unknown,
            self.condition_at_pain_region_or_unknown,
        ):
            if name is not None:
                yield ("condition", name)
        if self.point_tag is not None:
            yield ("point_tag", self.point_tag)
        for region in self.pain_region_in or ():
            yield ("region", region)
        for severity in self.phq9_severity_in or ():
            yield ("phq9_severity", severity)

    def describe(self) -> str:
        """A compact human-readable form.

        Example
        -------
        >>> Predicate.model_validate({"all": [{"drug": "duloxetine"}, {"crcl_below": 30}]}
        ...     ).describe()
        'all(drug=duloxetine, crcl_below=30)'
        """
        key = self.key()
        if key in ("all_of", "any_of", "not_"):
            name = key.rstrip("_").removesuffix("_of")
            return f"{name}({', '.join(child.describe() for child in self.children())})"
        value = getattr(self, key)
        if isinstance(value, BaseModel):
            shown = ", ".join(f"{k}={v}" for k, v in value.model_dump().items() if v is not None)
            return f"{key}({shown})"
        if isinstance(value, list):
            return f"{key}=[{', '.join(str(getattr(v, 'value', v)) for v in value)}]"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{key}={value}"


class Effects(_Frozen):
    """What a fired safety rule changes in the plan.

    Example
    -------
    >>> Effects(withhold_ea=True).any()
    True
    """

    withhold_ea: bool = False
    withhold_needling: bool = False
    withhold_ea_regions: list[str] = Field(default_factory=list)
    avoid_point_tags: list[str] = Field(default_factory=list)
    avoid_points_at_condition_region: str | None = None

    def any(self) -> bool:
        """True if the rule changes the plan at all.

        Example
        -------
        >>> Effects().any()
        False
        """
        return bool(
            self.withhold_ea
            or self.withhold_needling
            or self.withhold_ea_regions
            or self.avoid_point_tags
            or self.avoid_points_at_condition_region
        )


class SafetyRule(SourcedRule):
    """A graded safety rule: when it fires, the plan shows an alert and applies its effects.

    Example
    -------
    >>> r = SafetyRule(id="x", level="caution", title="Title", message="Message",
    ...                when={"drug": "duloxetine"}, sources=["s"], evidence="measured")
    >>> r.when.key()
    'drug'
    """

    level: Level
    title: str = Field(min_length=3)
    message: str = Field(min_length=3)
    when: Predicate
    effects: Effects = Field(default_factory=Effects)


class Note(SourcedRule):
    """A pharmacotherapy note shown when its ``when:`` holds; it never changes a prescription.

    Example
    -------
    >>> Note(id="n", title="Title", message="Message", when={"always": True}, sources=["article"],
    ...      evidence="source article").when.key()
    'always'
    """

    title: str = Field(min_length=3)
    message: str = Field(min_length=3)
    when: Predicate


class KnowledgeBase(_Frozen):
    """All KB content, cross-checked: every referenced source, point, class and region exists.

    Use :func:`load_knowledge_base` to build one from the YAML files.

    Example
    -------
    >>> kb = load_knowledge_base()
    >>> kb.point("LI4").name
    'Hegu'
    """

    version: str
    sha256: str
    sources: dict[str, Source]
    drug_classes: dict[str, DrugClass]
    drugs: dict[str, DrugEntry]
    regions: dict[str, Region]
    conditions: dict[str, ConditionCategory]
    point_tags: dict[str, PointTag]
    points: dict[str, Point]
    role_selections: list[RoleSelection]
    region_selections: dict[str, RegionSelection]
    ea_pairs: list[EAPair]
    scales: dict[str, SeverityScale]
    thresholds: dict[str, Threshold]
    frequency_rules: dict[DominanceCategory, FrequencyRule]
    role_rules: list[RoleRule]
    schedule: Schedule
    notes: list[Note]
    safety_rules: list[SafetyRule]

    def point(self, code: str) -> Point:
        """The catalogue point with this code (``KeyError`` if unknown).

        Example
        -------
        >>> load_knowledge_base().point("GB21").tags
        ['pregnancy_caution', 'thorax']
        """
        return self.points[code]

    def safety_rule(self, rule_id: str) -> SafetyRule:
        """The safety rule with this id (``KeyError`` if unknown).

        Example
        -------
        >>> load_knowledge_base().safety_rule("snri-maoi").level.value
        'contraindication'
        """
        for rule in self.safety_rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def threshold(self, name: str) -> Threshold:
        """The threshold with this name (``KeyError`` if unknown).

        Example
        -------
        >>> load_knowledge_base().threshold("chronic_pain_min_months").value
        3.0
        """
        for threshold in self.thresholds.values():
            if threshold.name == name:
                return threshold
        raise KeyError(name)

    def all_rules(self) -> list[SourcedRule]:
        """Every sourced KB entry (rules, selections, schedule items, notes, safety rules).

        Example
        -------
        >>> kb = load_knowledge_base()
        >>> len(kb.all_rules()) == kb.rule_count()
        True
        """
        rules: list[SourcedRule] = [*self.scales.values(), *self.thresholds.values()]
        rules += list(self.frequency_rules.values())
        rules += self.role_rules
        rules += self.role_selections
        rules += list(self.region_selections.values())
        rules += self.ea_pairs
        rules += [self.schedule.review_rule, self.schedule.course, *self.schedule.phases]
        rules += self.schedule.delivery
        rules += self.schedule.review_items
        rules += self.notes
        rules += self.safety_rules
        return rules

    def rule_count(self) -> int:
        """Number of sourced KB entries.

        Example
        -------
        >>> load_knowledge_base().rule_count() > 0
        True
        """
        return len(self.all_rules())

    def evidence_counts(self) -> dict[str, int]:
        """Rule counts by evidence level (all six levels, zeros included).

        Example
        -------
        >>> len(load_knowledge_base().evidence_counts())
        6
        """
        counts = Counter(rule.evidence.value for rule in self.all_rules())
        return {level.value: counts.get(level.value, 0) for level in Evidence}

    def confirmation_of(self, rule: SourcedRule) -> Confirmation:
        """The least-confirmed status among the rule's sources.

        Example
        -------
        >>> kb = load_knowledge_base()
        >>> kb.confirmation_of(kb.schedule.review_rule).value
        'unconfirmed'
        """
        return max((self.sources[s].confirmation for s in rule.sources), key=lambda c: c.rank)

    def citation(self, rule: SourcedRule) -> str:
        """The rule's sources as one string, flagged where not confirmed.

        Example
        -------
        >>> kb = load_knowledge_base()
        >>> kb.citation(kb.safety_rule("renal-venlafaxine-severe")).endswith("[secondary]")
        True
        """
        parts = []
        for source_id in rule.sources:
            source = self.sources[source_id]
            flag = f" [{source.confirmation.value}]" if source.confirmation.is_flagged else ""
            parts.append(f"{source.citation}{flag}")
        return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# Loading


format_validation_error = validation_messages
"""The one pydantic-error formatter (:func:`hpatwin.io.documents.validation_messages`)."""


_T = TypeVar("_T", bound=BaseModel)


def _entry_name(raw: Any, index: int, key: str) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get(key), str):
        return str(raw[key])
    return f"#{index + 1}"


def _validate_list(
    model: type[_T], raw_items: Any, file_name: str, section: str, key: str = "id"
) -> list[_T]:
    if not isinstance(raw_items, list):
        raise KnowledgeBaseError(f"{file_name}: {section}: expected a list")
    parsed: list[_T] = []
    for index, raw in enumerate(raw_items):
        name = _entry_name(raw, index, key)
        try:
            parsed.append(model.model_validate(raw))
        except ValidationError as exc:
            details = "; ".join(format_validation_error(exc))
            raise KnowledgeBaseError(f"{file_name}: {section}: rule {name!r}: {details}") from None
    return parsed


def _validate_one(model: type[_T], raw: Any, file_name: str, section: str) -> _T:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(format_validation_error(exc))
        name = _entry_name(raw, 0, "id") if isinstance(raw, Mapping) else section
        raise KnowledgeBaseError(f"{file_name}: {section}: rule {name!r}: {details}") from None


def _read_yaml(directory: Path, file_name: str) -> dict[str, Any]:
    try:
        packaged = directory == DEFAULT_KB_DIR
        data: dict[str, Any] = read_document(directory / file_name, packaged=packaged)
    except DocumentError as exc:
        raise KnowledgeBaseError(f"{file_name}: {exc.detail}") from None
    return data


def _section(data: Mapping[str, Any], file_name: str, key: str) -> Any:
    if key not in data:
        raise KnowledgeBaseError(f"{file_name}: missing section {key!r}")
    return data[key]


def _unique(items: Iterable[_T], attribute: str, file_name: str) -> dict[str, _T]:
    result: dict[str, _T] = {}
    for item in items:
        name = str(getattr(item, attribute))
        if name in result:
            raise KnowledgeBaseError(f"{file_name}: duplicate {attribute} {name!r}")
        result[name] = item
    return result


def load_knowledge_base(directory: str | Path | None = None) -> KnowledgeBase:
    """Load and cross-check the KB from ``directory`` (default: the shipped files).

    The shipped KB is cached; a custom directory is read afresh each call.

    Example
    -------
    >>> kb = load_knowledge_base()
    >>> sorted(kb.frequency_rules)[0].value
    'acute pain predominance'
    """
    if directory is None:
        return _load_default()
    return _load(Path(directory))


@cache
def _load_default() -> KnowledgeBase:
    return _load(DEFAULT_KB_DIR)


def _catalogue_points() -> dict[str, Point]:
    """The planner's view of the one acupoint catalogue (:mod:`hpatwin.data.points`)."""
    catalogue = load_point_catalogue()
    return {
        point.code: Point(
            code=point.code,
            name=point.name or point.code,
            region=point.region.value,
            location=point.location or "",
            location_sources=[point.source_id],
            tags=list(catalogue.tags_of(point.code)),
            note=point.code_status,
        )
        for point in catalogue
    }


def _load(directory: Path) -> KnowledgeBase:
    raw = {name: _read_yaml(directory, name) for name in KB_FILES}
    digest = hashlib.sha256()
    for name in KB_FILES:
        digest.update(name.encode())
        digest.update((directory / name).read_bytes())

    bibliography = load_bibliography()  # the one bibliography of the domain core
    sources = dict(bibliography.items())
    version = bibliography.version
    digest.update(repr(sorted((s.id, s.citation) for s in sources.values())).encode())

    f = "vocabulary.yaml"
    regions = _unique(_validate_list(Region, _section(raw[f], f, "regions"), f, "regions"), "id", f)
    conditions = _unique(
        _validate_list(ConditionCategory, _section(raw[f], f, "conditions"), f, "conditions"),
        "id",
        f,
    )

    f = "drugs.yaml"  # the one drug catalogue of the domain core (hpatwin.data.drugs)
    class_list, drug_list = drug_catalogue_sections()
    classes = _unique(_validate_list(DrugClass, class_list, f, "classes"), "id", f)
    drugs = _unique(_validate_list(DrugEntry, drug_list, f, "drugs"), "id", f)

    f = "points.yaml"
    tags = _unique(_validate_list(PointTag, _section(raw[f], f, "tags"), f, "tags"), "id", f)
    points = _catalogue_points()
    role_selections = _validate_list(
        RoleSelection, _section(raw[f], f, "role_selections"), f, "role_selections"
    )
    region_selections = _unique(
        _validate_list(
            RegionSelection, _section(raw[f], f, "region_selections"), f, "region_selections"
        ),
        "region",
        f,
    )
    ea_pairs = _validate_list(EAPair, _section(raw[f], f, "ea_pairs"), f, "ea_pairs")

    f = "indications.yaml"
    scales = _unique(
        _validate_list(SeverityScale, _section(raw[f], f, "scales"), f, "scales"), "scale", f
    )
    thresholds = _unique(
        _validate_list(Threshold, _section(raw[f], f, "thresholds"), f, "thresholds"), "id", f
    )
    frequency_list = _validate_list(
        FrequencyRule, _section(raw[f], f, "frequency_rules"), f, "frequency_rules"
    )
    frequency_rules: dict[DominanceCategory, FrequencyRule] = {}
    for rule in frequency_list:
        if rule.dominance in frequency_rules:
            raise KnowledgeBaseError(
                f"{f}: frequency_rules: rule {rule.id!r}: duplicate dominance {rule.dominance!r}"
            )
        frequency_rules[rule.dominance] = rule
    role_rules = _validate_list(RoleRule, _section(raw[f], f, "role_rules"), f, "role_rules")

    f = "schedule.yaml"
    schedule = _validate_one(Schedule, _section(raw[f], f, "schedule"), f, "schedule")

    f = "pharmacotherapy.yaml"
    notes = _validate_list(Note, _section(raw[f], f, "notes"), f, "notes")

    f = "safety.yaml"
    safety_rules = _validate_list(SafetyRule, _section(raw[f], f, "rules"), f, "rules")

    kb = KnowledgeBase(
        version=version,
        sha256=digest.hexdigest(),
        sources=sources,
        drug_classes=classes,
        drugs=drugs,
        regions=regions,
        conditions=conditions,
        point_tags=tags,
        points=points,
        role_selections=role_selections,
        region_selections=region_selections,
        ea_pairs=ea_pairs,
        scales=scales,
        thresholds=thresholds,
        frequency_rules=frequency_rules,
        role_rules=role_rules,
        schedule=schedule,
        notes=notes,
        safety_rules=safety_rules,
    )
    _cross_check(kb)
    return kb


def _rule_file(kb: KnowledgeBase, rule: SourcedRule) -> str:
    if rule in kb.safety_rules:
        return "safety.yaml"
    if rule in kb.notes:
        return "pharmacotherapy.yaml"
    if isinstance(rule, RoleSelection | RegionSelection | EAPair):
        return "points.yaml"
    if isinstance(rule, ScheduleItem | ReviewItem) or rule is kb.schedule.review_rule:
        return "schedule.yaml"
    return "indications.yaml"


def _cross_check(kb: KnowledgeBase) -> None:
    """Raise :class:`KnowledgeBaseError` for any dangling reference or duplicate id."""
    seen: dict[str, str] = {}
    for rule in kb.all_rules():
        file_name = _rule_file(kb, rule)
        where = f"{file_name}: rule {rule.id!r}"
        if rule.id in seen:
            raise KnowledgeBaseError(f"{where}: duplicate rule id (also in {seen[rule.id]})")
        seen[rule.id] = file_name
        for source_id in rule.sources:
            if source_id not in kb.sources:
                raise KnowledgeBaseError(f"{where}: sources: unknown source {source_id!r}")

    def need(kind: str, name: str, where: str) -> None:
        tables: dict[str, Mapping[str, object]] = {
            "drug": kb.drugs,
            "drug_class": kb.drug_classes,
            "condition": kb.conditions,
            "point_tag": kb.point_tags,
            "region": kb.regions,
            "point": kb.points,
            "source": kb.sources,
        }
        table = tables.get(kind, {})
        if kind == "phq9_severity":
            allowed = (
                {band.label for band in kb.scales["phq9"].bands} if "phq9" in kb.scales else set()
            )
            if name not in allowed:
                raise KnowledgeBaseError(f"{where}: unknown PHQ-9 severity {name!r}")
            return
        if name not in table:
            raise KnowledgeBaseError(f"{where}: unknown {kind.replace('_', ' ')} {name!r}")

    for klass in kb.drug_classes.values():
        for source_id in klass.sources:
            need("source", source_id, f"drugs.yaml: class {klass.id!r}")
        for included in klass.includes:
            need("drug_class", included, f"drugs.yaml: class {klass.id!r}: includes")
        for member in klass.members:
            need("drug", member, f"drugs.yaml: class {klass.id!r}: members")
    for drug in kb.drugs.values():
        for klass_id in drug.classes:
            need("drug_class", klass_id, f"drugs.yaml: drug {drug.id!r}")
        if drug.low_dose is not None:
            for klass_id in drug.low_dose.classes:
                need("drug_class", klass_id, f"drugs.yaml: drug {drug.id!r}: low_dose")
            for source_id in drug.low_dose.sources:
                need("source", source_id, f"drugs.yaml: drug {drug.id!r}: low_dose")
    for tag in kb.point_tags.values():
        for source_id in tag.sources:
            need("source", source_id, f"points.yaml: tag {tag.id!r}")
    for point in kb.points.values():
        where = f"points.yaml: point {point.code!r}"
        need("region", point.region, where)
        for tag_id in point.tags:
            need("point_tag", tag_id, where)
        for source_id in point.location_sources:
            need("source", source_id, where)
    for role_selection in kb.role_selections:
        for code in role_selection.points:
            need("point", code, f"points.yaml: rule {role_selection.id!r}")
    for region_selection in kb.region_selections.values():
        where = f"points.yaml: rule {region_selection.id!r}"
        need("region", region_selection.region, where)
        for code in region_selection.points:
            need("point", code, where)
        if not region_selection.points and not region_selection.note.strip():
            raise KnowledgeBaseError(f"{where}: an empty selection needs a note saying why")
    for pair in kb.ea_pairs:
        for code in pair.points:
            need("point", code, f"points.yaml: rule {pair.id!r}")
    missing_regions = set(kb.regions) - set(kb.region_selections)
    if missing_regions:
        raise KnowledgeBaseError(
            f"points.yaml: region_selections: no entry for region(s) {sorted(missing_regions)}"
        )
    missing = set(DominanceCategory) - set(kb.frequency_rules)
    if missing:
        names = sorted(category.value for category in missing)
        raise KnowledgeBaseError(f"indications.yaml: frequency_rules: missing dominance {names}")
    for scale_name in ("phq9", "pain_nrs"):
        if scale_name not in kb.scales:
            raise KnowledgeBaseError(f"indications.yaml: scales: missing scale {scale_name!r}")
    covering: dict[str, list[str]] = {band.label: [] for band in kb.scales["phq9"].bands}
    for role_rule in kb.role_rules:
        for severity in role_rule.severities:
            need("phq9_severity", severity, f"indications.yaml: rule {role_rule.id!r}")
            covering[severity].append(role_rule.id)
    gaps = [
        f"{label!r} has " + (f"{len(ids)} ({', '.join(ids)})" if ids else "none")
        for label, ids in covering.items()
        if len(ids) != 1
    ]
    if gaps:
        raise KnowledgeBaseError(
            "indications.yaml: role_rules: each PHQ-9 severity must be covered by exactly one "
            f"role rule: {'; '.join(gaps)}"
        )
    try:
        kb.threshold("chronic_pain_min_months")
    except KeyError:
        raise KnowledgeBaseError(
            "indications.yaml: thresholds: missing 'chronic_pain_min_months'"
        ) from None
    for note in kb.notes:
        for kind, name in note.when.references():
            need(kind, name, f"pharmacotherapy.yaml: rule {note.id!r}: when")
    for safety_rule in kb.safety_rules:
        where = f"safety.yaml: rule {safety_rule.id!r}"
        for kind, name in safety_rule.when.references():
            need(kind, name, f"{where}: when")
        for tag_id in safety_rule.effects.avoid_point_tags:
            need("point_tag", tag_id, f"{where}: effects")
        for region_id in safety_rule.effects.withhold_ea_regions:
            need("region", region_id, f"{where}: effects")
        if safety_rule.effects.avoid_points_at_condition_region is not None:
            need(
                "condition",
                safety_rule.effects.avoid_points_at_condition_region,
                f"{where}: effects",
            )


# --------------------------------------------------------------------------------------------
# Documentation


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def rules_markdown(kb: KnowledgeBase | None = None) -> str:
    """The KB's rules as Markdown tables with sources and evidence (used for docs/planner.md).

    Example
    -------
    >>> text = rules_markdown()
    >>> "phq9-item9-positive" in text and "| Evidence |" in text
    True
    """
    kb = kb or load_knowledge_base()
    out: list[str] = []
    counts = kb.evidence_counts()
    out.append(f"KB version {kb.version}: {kb.rule_count()} sourced entries.")
    out.append("")
    out.append("| Evidence level | Entries |")
    out.append("|---|---|")
    for level, count in counts.items():
        out.append(f"| {level} | {count} |")

    def table(title: str, rows: list[tuple[SourcedRule, str]]) -> None:
        out.append("")
        out.append(f"### {title}")
        out.append("")
        out.append("| Id | Statement | Evidence | Sources |")
        out.append("|---|---|---|---|")
        for rule, statement in rows:
            evidence = rule.evidence.value
            if rule.rationale:
                evidence += f" — {rule.rationale}"
            out.append(
                f"| `{rule.id}` | {_md(statement)} | {_md(evidence)} | {_md(kb.citation(rule))} |"
            )

    table(
        "Indication: dominance, frequency and role",
        [
            (
                s,
                f"{s.scale} bands: "
                + ", ".join(f"{b.label} {b.minimum:g}-{b.maximum:g}" for b in s.bands),
            )
            for s in kb.scales.values()
        ]
        + [(t, f"{t.name} = {t.value:g} {t.unit}. {t.description}") for t in kb.thresholds.values()]
        + [
            (r, f"{r.dominance.value} → {r.frequency or 'no EA indication'}. {r.explanation}")
            for r in kb.frequency_rules.values()
        ]
        + [
            (r, f"PHQ-9 {', '.join(r.severities)} → {r.role}. {r.statement}") for r in kb.role_rules
        ],
    )
    table(
        "Point selections",
        [(r, f"{r.role}: {', '.join(r.points)}. {r.description}") for r in kb.role_selections]
        + [
            (r, f"segmental, {r.region}: {', '.join(r.points) or '(none)'}. {r.note}")
            for r in kb.region_selections.values()
        ]
        + [(r, f"EA pair {'–'.join(r.points)}: {r.description}") for r in kb.ea_pairs],
    )
    sched = kb.schedule
    table(
        "Schedule and review",
        [(sched.review_rule, f"Review at session {sched.review_session}.")]
        + [(item, f"{item.topic}: {item.text}") for item in (sched.course, *sched.phases)]
        + [(item, f"{item.topic}: {item.text}") for item in sched.delivery]
        + [(item, f"Review — {item.check}: {item.text}") for item in sched.review_items],
    )
    table(
        "Pharmacotherapy notes",
        [(n, f"{n.title} (when {n.when.describe()}): {n.message}") for n in kb.notes],
    )
    for level in Level:
        rules = [r for r in kb.safety_rules if r.level is level]
        table(
            f"Safety rules — {level.value}",
            [(r, f"**{r.title}** (when {r.when.describe()}): {r.message}") for r in rules],
        )
    return "\n".join(out) + "\n"


RULES_BEGIN = "<!-- BEGIN GENERATED RULES: hpatwin.clinic.planner.knowledge.rules_markdown -->"
RULES_END = "<!-- END GENERATED RULES -->"


def sync_rules_doc(text: str, kb: KnowledgeBase | None = None) -> str:
    """Replace the generated rules section of a Markdown document with :func:`rules_markdown`.

    The section lies between :data:`RULES_BEGIN` and :data:`RULES_END`; ``ValueError`` if the
    markers are missing.

    Example
    -------
    >>> doc = f"# Title\\n{RULES_BEGIN}\\nold\\n{RULES_END}\\n"
    >>> "phq9-item9-positive" in sync_rules_doc(doc)
    True
    """
    start = text.find(RULES_BEGIN)
    end = text.find(RULES_END)
    if start < 0 or end < start:
        raise ValueError(f"document: markers {RULES_BEGIN!r} ... {RULES_END!r} not found")
    head = text[: start + len(RULES_BEGIN)]
    return f"{head}\n\n{rules_markdown(kb)}\n{text[end:]}"


def write_rules_doc(path: str | Path, kb: KnowledgeBase | None = None) -> bool:
    """Regenerate the rules section of ``path`` in place (atomically); True if it changed.

    Example
    -------
    >>> import pathlib, tempfile
    >>> doc = pathlib.Path(tempfile.mkdtemp()) / "planner.md"
    >>> _ = doc.write_text(f"{RULES_BEGIN}\\n{RULES_END}\\n")
    >>> write_rules_doc(doc), write_rules_doc(doc)
    (True, False)
    """
    target = Path(path)
    old = target.read_text(encoding="utf-8")
    new = sync_rules_doc(old, kb)
    if new == old:
        return False
    with atomic_path(target) as tmp:
        tmp.write_text(new, encoding="utf-8")
    return True

"""Sourced parameters and the registry that lists, filters and exports them.

A :class:`Parameter` is the only place a model number may live: value, unit,
description, the source it comes from and an evidence level. An assumption
must state its rationale, so a reader can see why the number is what it is.

Example
-------
>>> from hpatwin.parameters import Evidence, Parameter
>>> p = Parameter(
...     name="cortisol_half_life_min", value=66.0, unit="min",
...     description="Effective half-life of total plasma cortisol",
...     source="Weitzman et al. 1971 (mean 66 min)", evidence=Evidence.MEASURED,
...     model="hpa_core",
... )
>>> p.value
66.0
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from hpatwin.data.evidence import Evidence


@dataclass(frozen=True)
class Parameter:
    """One named, unit-tagged, sourced model parameter.

    ``lower``/``upper`` bound the values a user may set (inclusive); a value
    outside them is rejected with a message naming the parameter.

    Example
    -------
    >>> Parameter("k", 1.0, "1/min", "rate", "assumed", Evidence.ASSUMPTION, "m",
    ...           rationale="order of magnitude only").evidence.value
    'assumption'
    """

    name: str
    value: float
    unit: str
    description: str
    source: str
    evidence: Evidence
    model: str
    rationale: str = ""
    lower: float = 0.0
    upper: float = math.inf

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"parameter name {self.name!r} is not a valid identifier")
        if not self.source.strip():
            raise ValueError(f"parameter {self.name}: a source is required")
        if self.evidence is Evidence.ASSUMPTION and not self.rationale.strip():
            raise ValueError(f"parameter {self.name}: an assumption must state its rationale")
        self.check(self.value)

    def check(self, value: float) -> float:
        """Return ``value`` as float if allowed for this parameter, else raise ``ValueError``."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"parameter {self.name}: {value!r} is not a number "
                f"(allowed range {self.range_text()})"
            ) from None
        if not math.isfinite(number):
            raise ValueError(
                f"parameter {self.name}: {number} is not finite (allowed range {self.range_text()})"
            )
        if number < self.lower or number > self.upper:
            raise ValueError(
                f"parameter {self.name}: {number:g} is outside the allowed range {self.range_text()}"
            )
        return number

    def range_text(self) -> str:
        """Human-readable allowed range, e.g. ``[0, inf]``."""
        return f"[{self.lower:g}, {self.upper:g}] {self.unit}".rstrip()

    def with_value(self, value: float) -> Parameter:
        """A copy of this parameter with a new (checked) value."""
        return replace(self, value=self.check(value))


_COLUMNS = ("model", "name", "value", "unit", "evidence", "source", "rationale", "description")


@dataclass
class ParameterRegistry:
    """All parameters of all models, addressable by ``(model, name)``.

    Example
    -------
    A composite model (the twin: HPA core + pain-depression layer + treatments)
    registers its parameters under their components; :meth:`add_model` records which
    parameters make it up, so ``select(model="twin")`` lists them all.

    >>> reg = ParameterRegistry()
    >>> p = Parameter("k", 1.0, "1/min", "rate", "assumed", Evidence.ASSUMPTION, "core",
    ...               rationale="order of magnitude only")
    >>> reg.add_model("whole", [p])
    >>> [q.name for q in reg.select(model="whole")], reg.models()
    (['k'], ['core'])
    """

    _items: dict[tuple[str, str], Parameter] = field(default_factory=dict)
    _members: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def add(self, parameter: Parameter) -> None:
        """Register one parameter; a duplicate ``(model, name)`` is an error."""
        key = (parameter.model, parameter.name)
        if key in self._items:
            if self._items[key] == parameter:
                return  # one component shared by two models (the HPA core inside the twin)
            raise ValueError(
                f"parameter {parameter.name} of model {parameter.model} registered twice"
            )
        self._items[key] = parameter

    def extend(self, parameters: Iterable[Parameter]) -> None:
        """Register several parameters."""
        for parameter in parameters:
            self.add(parameter)

    def add_model(self, model: str, parameters: Iterable[Parameter]) -> None:
        """Register a model's parameters and remember that they make up ``model``."""
        chosen = list(parameters)
        self.extend(chosen)
        self._members[model] = tuple((p.model, p.name) for p in chosen)

    def model_names(self) -> list[str]:
        """Every model that can be selected: components and the models added whole."""
        return sorted({*self.models(), *self._members})

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def models(self) -> list[str]:
        """Names of the models that have parameters here."""
        return sorted({model for model, _ in self._items})

    def select(
        self, model: str | None = None, evidence: Evidence | str | None = None
    ) -> list[Parameter]:
        """Parameters filtered by model and/or evidence level, sorted by model then name."""
        level = Evidence.parse(evidence) if isinstance(evidence, str) else evidence
        if model is not None and model not in self.models():
            if model not in self._members:
                known = ", ".join(self.model_names())
                raise ValueError(f"model: unknown model {model!r}; known: {known}")
            chosen = [self._items[key] for key in self._members[model]]
            chosen = [p for p in chosen if level is None or p.evidence is level]
            return sorted(chosen, key=lambda p: (p.model, p.name))
        chosen = [
            p
            for p in self._items.values()
            if (model is None or p.model == model) and (level is None or p.evidence is level)
        ]
        return sorted(chosen, key=lambda p: (p.model, p.name))

    def to_csv(self, parameters: Iterable[Parameter] | None = None) -> str:
        """CSV text with one row per parameter."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_COLUMNS)
        for p in parameters if parameters is not None else self.select():
            writer.writerow(
                [
                    p.model,
                    p.name,
                    repr(p.value),
                    p.unit,
                    p.evidence.value,
                    p.source,
                    p.rationale,
                    p.description,
                ]
            )
        return buffer.getvalue()

    def to_markdown(self, parameters: Iterable[Parameter] | None = None) -> str:
        """A Markdown table (used to generate the docs' parameter table)."""
        rows = [
            "| model | name | value | unit | evidence | source | description |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in parameters if parameters is not None else self.select():
            note = p.description + (f" — *rationale:* {p.rationale}" if p.rationale else "")
            cells = [
                p.model,
                f"`{p.name}`",
                f"{p.value:.6g}",
                p.unit,
                p.evidence.value,
                p.source,
                note,
            ]
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(rows) + "\n"

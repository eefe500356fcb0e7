"""Evidence levels: how strongly a number, rule or catalogue entry is supported.

Every parameter, planner rule and catalogue entry in hpatwin names its source and one of
these levels; an assumption also states its rationale.

Example
-------
>>> Evidence.parse("published_model") is Evidence.PUBLISHED_MODEL
True
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Evidence"]


class Evidence(StrEnum):
    """How strongly a number is supported, from measurement to assumption."""

    MEASURED = "measured"
    PUBLISHED_MODEL = "published model"
    TRIAL = "trial"
    ANIMAL_STUDY = "animal study"
    SOURCE_ARTICLE = "source article"
    ASSUMPTION = "assumption"

    @classmethod
    def parse(cls, text: str) -> Evidence:
        """Parse an evidence level, accepting ``published_model`` as well as ``published model``."""
        wanted = text.strip().lower().replace("_", " ").replace("-", " ")
        for level in cls:
            if level.value == wanted:
                return level
        allowed = ", ".join(level.value for level in cls)
        raise ValueError(f"evidence: unknown level {text!r}; allowed: {allowed}")

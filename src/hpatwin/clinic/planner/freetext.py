"""The one parser for free text in an assessment: medications and conditions.

Free text is read only when it is unambiguous; anything else raises :class:`FreeTextError`
with a message that says what to write instead (a structured entry always works). The parser
never guesses: it refuses

* numbers with a comma (``1,000`` is 1000 in English and 1.0 in German; ``1,5`` is a decimal
  comma or a list) and dotted numbers that read as thousands (``1.000``);
* more than one dose in one entry (``30 mg + 60 mg``);
* negations and past or doubtful entries (``no pacemaker``, ``stopped warfarin``,
  ``?epilepsy``): list only what is present, or use a structured entry;
* control-status words it cannot read (``epilepsy, mostly controlled``).

Example
-------
>>> parse_medication_text("aspirin 1000 mg three times daily")
{'name': 'aspirin', 'dose_mg': 1000.0, 'frequency': 'three times daily', 'times_per_day': 3.0}
>>> try:
...     parse_medication_text("aspirin 1,000 mg three times daily")
... except FreeTextError as exc:
...     print(str(exc)[:56])
'aspirin 1,000 mg three times daily': the number '1,000'
>>> parse_condition_text("epilepsy, not well controlled")
{'name': 'epilepsy, not well controlled', 'controlled': False}
"""

from __future__ import annotations

import re
from typing import Any

from hpatwin.io.text import clean_text

__all__ = [
    "FreeTextError",
    "clean_text",
    "control_status",
    "parse_condition_text",
    "parse_frequency",
    "parse_medication_text",
    "reject_negation",
]


class FreeTextError(ValueError):
    """Free text that cannot be read without guessing; the message says what to write.

    Example
    -------
    >>> isinstance(FreeTextError("x"), ValueError)
    True
    """


_MAX_ECHO = 60


def _echo(text: str) -> str:
    shown = " ".join(clean_text(text).split())
    if len(shown) > _MAX_ECHO:
        shown = shown[: _MAX_ECHO - 1] + "…"
    return repr(shown)


# ------------------------------------------------------------------------------ numbers/doses

_UNIT_TO_MG = {"mg": 1.0, "mcg": 0.001, "µg": 0.001, "μg": 0.001, "ug": 0.001, "g": 1000.0}
_NUMBER = r"\d+(?:[.,]\d+)*"
_DOSE = re.compile(
    rf"(?<![\w.,])(?P<amount>{_NUMBER}(?:\s*/\s*{_NUMBER})*)\s*"
    r"(?P<unit>mg|mcg|µg|μg|ug|g)(?![a-zA-Z])(?P<per>\s*/\s*(?:h|hr|hour|24\s*h|day|d)\b)?",
    re.IGNORECASE,
)
_UNIT_COUNT = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:x\s*)?(?:tabs?|tablets?|caps?|capsules?|puffs?|drops?|sachets?|"
    r"patch(?:es)?|ampoules?|vials?|units?|ml|mL)\b|\bx\s*\d+\s*(?:tabs?|tablets?|caps?)\b",
    re.IGNORECASE,
)
_LOOSE_NUMBER = re.compile(r"\d+(?:[.,]\d+)+")
_THOUSANDS_DOT = re.compile(r"^[1-9]\d{0,2}(?:\.\d{3})+$")


def _number(token: str, text: str) -> float:
    if "," in token:
        grouped = token.replace(",", "")
        decimal = token.replace(",", ".", 1).replace(",", "") if token.count(",") == 1 else None
        readings = f"{grouped}" + (
            f" or as {float(decimal):g}" if decimal is not None and "." not in token else ""
        )
        raise FreeTextError(
            f"{_echo(text)}: the number {token!r} has a comma, which reads as {readings} "
            "depending on the locale: write the number without a comma (decimal point, no "
            "thousands separator)"
        )
    if _THOUSANDS_DOT.match(token):
        raise FreeTextError(
            f"{_echo(text)}: the number {token!r} reads as {token} or as "
            f"{token.replace('.', '')} (dot as thousands separator): write it without "
            "trailing zeros or use a structured entry (dose_mg)"
        )
    if token.count(".") > 1:
        raise FreeTextError(f"{_echo(text)}: {token!r} is not a number")
    return float(token)


# ------------------------------------------------------------------------------ frequency

_WORD_NUMBERS = {"once": 1, "one": 1, "twice": 2, "two": 2, "three": 3, "thrice": 3, "four": 4}
_FREQUENCIES: tuple[tuple[re.Pattern[str], float | None], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), per_day)
    for pattern, per_day in (
        (r"\b(?:as needed|as required|when required|prn|p\.r\.n\.?|if needed|on demand)\b", None),
        (r"\b(?:once|one time|1 ?x)\s*(?:a|per|/)?\s*week(?:ly)?\b|\bweekly\b", 1 / 7),
        (
            r"\b(?:four times|4 times|4 ?x)\s*(?:a|per|/)?\s*(?:day|daily)\b|\bq\.?i\.?d\.?\b|\bqds\b",
            4,
        ),
        (
            r"\b(?:three times|thrice|3 times|3 ?x)\s*(?:a|per|/)?\s*(?:day|daily)\b|\bt\.?i\.?d\.?\b|\btds\b",
            3,
        ),
        (
            r"\b(?:twice|two times|2 times|2 ?x)\s*(?:a|per|/)?\s*(?:day|daily)\b|\bb\.?i\.?d\.?\b|\bbd\b",
            2,
        ),
        (
            r"\b(?:once|one time|1 ?x)\s*(?:a|per|/)?\s*(?:day|daily)\b|\b(?:daily|od|qd|q\.d\.|"
            r"nocte|mane|qhs|nightly|every (?:day|morning|evening|night)|at (?:night|bedtime)|"
            r"in the (?:morning|evening))\b",
            1,
        ),
    )
)
_EVERY_HOURS = re.compile(r"\b(?:every|q)\s*(\d+)\s*(?:h|hr|hrs|hours?)\b", re.IGNORECASE)


def parse_frequency(text: str) -> tuple[bool, float | None]:
    """``(recognised, times per day)``; as-needed use is recognised with ``None`` per day.

    Two different frequencies in one text are refused.

    Example
    -------
    >>> parse_frequency("three times daily"), parse_frequency("bid"), parse_frequency("prn")
    ((True, 3.0), (True, 2.0), (True, None))
    >>> parse_frequency("with food")
    (False, None)
    """
    found: list[float | None] = []
    rest = text
    for match in _EVERY_HOURS.finditer(text):
        hours = int(match.group(1))
        if not 1 <= hours <= 168:
            raise FreeTextError(f"{_echo(text)}: 'every {hours} hours' is not a dosing interval")
        found.append(24 / hours)
    rest = _EVERY_HOURS.sub(" ", rest)
    for pattern, per_day in _FREQUENCIES:  # most specific first; a match is consumed
        if pattern.search(rest):
            found.append(None if per_day is None else float(per_day))
            rest = pattern.sub(" ", rest)
    distinct = set(found)
    if len(distinct) > 1:
        raise FreeTextError(
            f"{_echo(text)}: more than one frequency; give one (or a structured entry with "
            "times_per_day)"
        )
    if not found:
        return False, None
    return True, found[0]


# ------------------------------------------------------------------------------ negations

_NEGATION = re.compile(
    r"(?:^|[\s,;(])(?:no|not|none|nil|denies|denied|denying|without|never|negative for|"
    r"free of|absent|ruled out|r/o|excluded|removed|explanted|resolved|former|formerly|"
    r"previous|previously|past|ex|stopped|discontinued|ceased|quit|off|held|withheld|"
    r"allergic to|allergy to|intolerant of|intolerance to)(?=$|[\s,;:.)]|-(?!label))",
    re.IGNORECASE,
)
_DOUBT = re.compile(
    r"\?|(?:^|[\s,;(])(?:possible|possibly|suspected|suspect|query|queried|probable|probably|"
    r"maybe|perhaps|likely|unlikely|questionable|uncertain|unclear|unsure|borderline)"
    r"(?=$|[\s,;:.)-])",
    re.IGNORECASE,
)
# control qualifiers that contain "not"/"no" but are not negations of the condition
_CONTROL_PHRASE = re.compile(
    r"\b(?:not\s+(?:well\s+|fully\s+|adequately\s+|completely\s+)?controlled|"
    r"not\s+seizure[- ]free|no\s+seizures?(?:\s+(?:for|since|in)\b[^,;]*)?)",
    re.IGNORECASE,
)


def reject_negation(text: str, what: str) -> None:
    """Raise :class:`FreeTextError` when ``text`` negates, dates or doubts the entry.

    Example
    -------
    >>> reject_negation("pacemaker", "condition")
    >>> try:
    ...     reject_negation("no pacemaker", "condition")
    ... except FreeTextError as exc:
    ...     print(exc)
    'no pacemaker': reads as absent, past or negated; list only current conditions (remove this entry), or use a structured entry
    """
    without_control = _CONTROL_PHRASE.sub(" ", text)
    if _NEGATION.search(without_control):
        raise FreeTextError(
            f"{_echo(text)}: reads as absent, past or negated; list only current {what}s "
            "(remove this entry), or use a structured entry"
        )
    if _DOUBT.search(text):
        raise FreeTextError(
            f"{_echo(text)}: uncertain ({what} suspected or queried); record it once confirmed, "
            "or use a structured entry"
        )


# ------------------------------------------------------------------------------ control status

_UNCONTROLLED = re.compile(
    r"\b(?:uncontrolled|not\s+(?:well\s+|fully\s+|adequately\s+|completely\s+)?controlled|"
    r"poorly[- ]controlled|badly[- ]controlled|inadequately[- ]controlled|"
    r"partially[- ]controlled|refractory|drug[- ]resistant|intractable|"
    r"breakthrough seizures?|active seizures|recent seizures?|not\s+seizure[- ]free)\b",
    re.IGNORECASE,
)
_CONTROLLED = re.compile(
    r"\b(?:well[- ]controlled|controlled|seizure[- ]free|no\s+seizures?|stable)\b", re.IGNORECASE
)
_CONTROL_HEDGE = re.compile(
    r"\b(?:mostly|largely|usually|fairly|somewhat|reasonably|moderately|partly|variably|"
    r"sometimes|occasionally|variable|intermittently)\b",
    re.IGNORECASE,
)


def control_status(text: str) -> bool | None:
    """``False`` (uncontrolled), ``True`` (controlled) or ``None`` (not stated).

    Any sign of poor control wins (the safe reading); hedged wording is refused.

    Example
    -------
    >>> [control_status(t) for t in ("epilepsy, not well controlled", "epilepsy, controlled",
    ...                              "epilepsy")]
    [False, True, None]
    """
    if _UNCONTROLLED.search(text):
        return False
    if _CONTROLLED.search(text):
        if _CONTROL_HEDGE.search(text):
            raise FreeTextError(
                f"{_echo(text)}: control status is qualified; state controlled: true or false "
                "in a structured entry"
            )
        return True
    if _CONTROL_HEDGE.search(text):
        raise FreeTextError(
            f"{_echo(text)}: control status is qualified; state controlled: true or false in a "
            "structured entry"
        )
    return None


# ------------------------------------------------------------------------------ entries


def parse_medication_text(text: str) -> dict[str, Any]:
    """Fields of a medication entry from ``"<name> [<dose> <unit>] [<frequency>]"``.

    ``dose_mg`` is one dose; ``times_per_day`` comes from the frequency when recognised;
    ``per`` a dose per hour/day (``25 mcg/h``, ``120 mg/day``) is kept as ``dose_rate``.
    Refuses ambiguous numbers, several doses, negations (see the module docstring).

    Example
    -------
    >>> parse_medication_text("duloxetine 120 mg/day")
    {'name': 'duloxetine', 'daily_dose_mg': 120.0}
    >>> parse_medication_text("tramadol/paracetamol 37.5/325 mg")["combination_strength"]
    '37.5/325 mg'
    """
    text = " ".join(clean_text(text).split())
    if not text:
        raise FreeTextError("medication: blank")
    reject_negation(text, "medication")
    if _UNIT_COUNT.search(text):
        raise FreeTextError(
            f"{_echo(text)}: a number of tablets/capsules/puffs does not give the dose in mg; "
            "write the dose per administration (e.g. 'paracetamol 1000 mg four times daily')"
        )
    matches = list(_DOSE.finditer(text))
    if len(matches) > 1:
        raise FreeTextError(
            f"{_echo(text)}: more than one dose in one entry; give each dose as its own entry "
            "or one structured entry (dose_mg, times_per_day)"
        )
    result: dict[str, Any] = {}
    if not matches:
        for token in _LOOSE_NUMBER.findall(text):
            _number(token, text)  # an ambiguous number without a unit is refused as well
        result["name"] = text
        recognised, per_day = parse_frequency(text)
        if recognised:
            result["frequency"] = text
        return result
    match = matches[0]
    name = text[: match.start()].strip(" ,;:-")
    rest = text[match.end() :].strip(" ,;:-")
    for token in _LOOSE_NUMBER.findall(name + " " + rest):
        _number(token, text)
    if not name:
        raise FreeTextError(f"{_echo(text)}: no medicine name before the dose")
    result["name"] = name
    unit_mg = _UNIT_TO_MG[match.group("unit").lower()]
    parts = [p.strip() for p in match.group("amount").split("/")]
    amounts = [_number(p, text) for p in parts]
    per = (match.group("per") or "").replace(" ", "").lower().lstrip("/")
    if len(amounts) > 1:
        result["combination_strength"] = f"{match.group('amount')} {match.group('unit')}"
    elif per in {"day", "d", "24h"}:
        result["daily_dose_mg"] = amounts[0] * unit_mg
    elif per:
        result["dose_rate"] = f"{amounts[0]:g} {match.group('unit')}/h"
    else:
        result["dose_mg"] = amounts[0] * unit_mg
    if rest:
        result["frequency"] = rest
        recognised, per_day = parse_frequency(rest)
        if per and per_day is not None and per not in {"h", "hr", "hour"}:
            raise FreeTextError(
                f"{_echo(text)}: a dose per day with a frequency as well; give one of them"
            )
        if recognised and per_day is not None and "dose_mg" in result:
            result["times_per_day"] = per_day
    return result


def parse_condition_text(text: str) -> dict[str, Any]:
    """Fields of a condition entry: the name and, when stated, its control status.

    Example
    -------
    >>> parse_condition_text("uncontrolled epilepsy")["controlled"]
    False
    >>> parse_condition_text("pacemaker")
    {'name': 'pacemaker'}
    """
    text = " ".join(clean_text(text).split())
    if not text:
        raise FreeTextError("condition: blank")
    reject_negation(text, "condition")
    result: dict[str, Any] = {"name": text}
    controlled = control_status(text)
    if controlled is not None:
        result["controlled"] = controlled
    return result

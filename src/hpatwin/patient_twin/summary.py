"""Plain-language summary of a forecast: explains, states the uncertainty, never prescribes.

The sentences are generated from the forecast's own numbers (no fixed results): what the
twin is, how sure it is, what each option looked like in the simulations, and that the
choice belongs to the patient and clinician together. Options are listed in the order
given, never ranked as a recommendation.

Example
-------
>>> import pandas as pd
>>> table = pd.DataFrame([{"protocol": "a", "label": "EA twice weekly", "phq9_end_median": 9.0,
...     "phq9_end_p10": 4.0, "phq9_end_p90": 15.0, "p_response": 0.55, "p_remission": 0.2}])
>>> lines = plain_language(table, prior_based=False, horizon_days=84, flags=[])
>>> any("not a recommendation" in line for line in lines)
True
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def _chance(p: float) -> str:
    percent = round(100 * p)
    words = (
        "very unlikely"
        if p < 0.1
        else "unlikely"
        if p < 0.3
        else "about as likely as not"
        if p < 0.7
        else "likely"
        if p < 0.9
        else "very likely"
    )
    return f"{words} (about {percent} in 100)"


def plain_language(
    summary: pd.DataFrame, *, prior_based: bool, horizon_days: int, flags: Sequence[str]
) -> list[str]:
    """Sentences for the patient summary (see the module docstring)."""
    weeks = round(horizon_days / 7)
    lines = [
        "Your 'digital twin' is a computer model of how pain, mood and stress hormones affect "
        "each other, adjusted to the answers and measurements recorded at your visits.",
        f"It was used to imagine how your depression score (PHQ-9, 0-27, lower is better) "
        f"might look after {weeks} weeks with each option below. These are estimates with a "
        "wide range: questionnaire answers vary from week to week, and the model is a "
        "simplification.",
    ]
    if prior_based:
        lines.append(
            "There are not yet enough visits to tailor the model to you, so these estimates "
            "describe people like you in general, not you in particular."
        )
    for row in summary.to_dict("records"):
        lines.append(
            f"{row['label']}: a score around {row['phq9_end_median']:.0f} "
            f"(most likely between {row['phq9_end_p10']:.0f} and {row['phq9_end_p90']:.0f}); "
            f"halving your score is {_chance(float(row['p_response']))}, and a score below 5 "
            f"is {_chance(float(row['p_remission']))}."
        )
    if flags:
        lines.append(
            "Some recorded values did not fit the model well; your clinician will check them."
        )
    lines.append(
        "This is not a recommendation. Options differ in visits, side effects and what "
        "matters to you; please discuss them with your clinician."
    )
    return lines

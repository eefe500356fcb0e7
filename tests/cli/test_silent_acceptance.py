"""Issue #17: values that used to pass silently are refused with a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpatwin.errors import InputError
from hpatwin.io.parameter_file import load_parameter_file


def test_negative_initial_state_in_a_parameter_file_is_refused(tmp_path: Path) -> None:
    """Reproduction: negative initial states (plasma cortisol down to -9,500) were accepted."""
    path = tmp_path / "p.yaml"
    path.write_text("initial_state: {cortisol: -9500}\n", encoding="utf-8")
    with pytest.raises(InputError, match="cortisol: -9500 is negative"):
        load_parameter_file(path)
    path.write_text("initial_state: {cortisol: 0.3}\n", encoding="utf-8")
    assert load_parameter_file(path).initial_state == {"cortisol": 0.3}


def test_negative_initial_state_through_the_api_is_refused() -> None:
    from hpatwin.simulation.scenario import Scenario, resolve

    with pytest.raises(ValueError, match="initial state cortisol: negative"):
        resolve(Scenario("hpa_core", days=1, initial_state={"cortisol": -9500.0}))

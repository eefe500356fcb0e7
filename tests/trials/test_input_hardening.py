"""Issue #17: trial-spec input paths (alias bombs, names as paths, plug-ins, plan paths)."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpatwin.trials.models import resolve_model
from hpatwin.trials.runner import prepare_trial
from hpatwin.trials.spec import TrialSpecError, load_trial_spec, parse_spec
from tests.trials.conftest import HPA_SPEC
from tests.trials.test_twin_plans import TWIN_SPEC

BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{k}: &{k} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, k in zip("abcdefgh", "bcdefghi", strict=True)
)


def _write(tmp_path: Path, data: dict[str, Any], name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_yaml_alias_bomb_is_refused_fast_and_small(tmp_path: Path) -> None:
    """Reproduction: a 1 KB spec with anchors grew past 2.5 GB and 90 s (repr of the input)."""
    path = tmp_path / "bomb.yaml"
    path.write_text(
        "name: x\npopulation: {size: 2}\narms: [usual_care]\nduration_days: 2\n"
        "visits_days: [0, 1]\nendpoints: [cortisol_0800]\n" + BOMB.replace("a:", "lol_a:", 1),
        encoding="utf-8",
    )
    assert path.stat().st_size < 1500
    start = time.perf_counter()
    with pytest.raises(TrialSpecError, match="anchors") as info:
        load_trial_spec(path)
    assert time.perf_counter() - start < 2.0
    assert len(str(info.value)) < 500


def test_long_field_values_are_not_echoed_in_errors() -> None:
    """The spec error formatter never repr()s a whole input value."""
    data = copy.deepcopy(HPA_SPEC)
    data["seed"] = ["x" * 100_000] * 1000
    with pytest.raises(TrialSpecError) as info:
        parse_spec(data)
    assert len(str(info.value)) < 600


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", "x\\y", "\x1b[2Jx", ""])
def test_spec_name_cannot_be_a_path(tmp_path: Path, name: str) -> None:
    """Reproduction: the spec name became a path ('../../x' escaped the output folder)."""
    with pytest.raises(TrialSpecError, match="name"):
        parse_spec({**copy.deepcopy(HPA_SPEC), "name": name})


@pytest.mark.parametrize(
    ("change", "field"),
    [({"seed": -1}, "seed"), ({"seed": True}, "seed"), ({"population": {"size": True}}, "size")],
)
def test_negative_seed_and_boolean_size_are_refused(change: dict[str, Any], field: str) -> None:
    """Reproductions: `seed: -1` failed mid-run; `size: true` was read as 1."""
    data = copy.deepcopy(HPA_SPEC)
    for key, value in change.items():
        if isinstance(value, dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    with pytest.raises(TrialSpecError, match=field):
        parse_spec(data)


def test_plugin_model_needs_explicit_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reproduction: `model: module:function` called any zero-argument callable."""
    monkeypatch.delenv("HPATWIN_ALLOW_PLUGINS", raising=False)
    resolve_model.cache_clear()
    with pytest.raises(ValueError, match="--allow-plugin"):
        resolve_model("code:interact")
    monkeypatch.setenv("HPATWIN_ALLOW_PLUGINS", "1")
    for reference in ("os:abort", "os:getcwd", "collections:OrderedDict"):
        with pytest.raises(ValueError, match="no function"):
            resolve_model(reference)
    assert resolve_model("tests.trials.synthetic_model:build").name


def test_plan_path_outside_the_spec_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reproduction: a plan path could point anywhere (a system password file was echoed)."""
    secret = tmp_path / "outside" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    specs = tmp_path / "specs"
    specs.mkdir()
    data = copy.deepcopy(TWIN_SPEC)
    data["arms"] = ["usual_care", {"name": "evil", "plan": "../outside/secret.yaml"}]
    path = _write(specs, data)
    monkeypatch.chdir(specs)
    spec = load_trial_spec(path)
    with pytest.raises(TrialSpecError) as info:
        prepare_trial(spec)
    message = str(info.value)
    assert "outside the spec's folder" in message
    assert "root:x" not in message


def test_overwrite_keeps_the_users_own_files_in_chunks(tmp_path: Path) -> None:
    """Reproduction: `--overwrite` deleted the user's own files inside OUT/chunks/."""
    from hpatwin.trials.runner import run_trial
    from tests.trials.conftest import SYNTHETIC_SPEC, make_spec

    spec = make_spec(SYNTHETIC_SPEC, population={**SYNTHETIC_SPEC["population"], "size": 4})
    out = tmp_path / "out"
    run_trial(spec, out, progress=False)
    mine = out / "chunks" / "my-notes.txt"
    mine.write_text("keep me", encoding="utf-8")
    run_trial(spec, out, progress=False, overwrite=True)
    assert mine.read_text(encoding="utf-8") == "keep me"
    assert any(p.name.startswith("chunk_") for p in (out / "chunks").iterdir())


def test_schedule_change_past_the_end_is_refused() -> None:
    """Reproduction: schedule changes past the end of the trial were accepted silently."""
    data = copy.deepcopy(HPA_SPEC)
    data["arms"] = [
        "usual_care",
        {"name": "late", "inputs": {"stress_input": {"mode": "scale", "schedule": [[99, 0.5]]}}},
    ]
    with pytest.raises(TrialSpecError, match="past the end of the trial"):
        parse_spec(data)

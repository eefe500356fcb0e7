"""The architecture holds: layers import one way, at any depth, with no function-level
imports, and the clinic side never loads the simulation stack."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "hpatwin"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(python_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(python_path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )


def test_layers_import_one_way() -> None:
    result = _lint(REPO / "src")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_the_layer_check_fails_on_a_forbidden_import(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(SRC, copy / "hpatwin", ignore=shutil.ignore_patterns("__pycache__"))
    model_definition = copy / "hpatwin" / "model" / "definition.py"
    text = model_definition.read_text(encoding="utf-8")
    model_definition.write_text(text + "\nimport hpatwin.trials  # forbidden: upward\n")
    result = _lint(copy)
    assert result.returncode != 0
    assert "hpatwin.model is not allowed to import hpatwin.trials" in result.stdout


def _function_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found += [
                f"{path.relative_to(REPO)}:{node.lineno} imports {name}"
                for name in names
                if name == "hpatwin" or name.startswith("hpatwin.")
            ]
    return found


def test_no_function_level_imports_of_hpatwin() -> None:
    offenders = [hit for path in sorted(SRC.rglob("*.py")) for hit in _function_level_imports(path)]
    assert offenders == []


def test_the_scan_finds_a_function_level_import(tmp_path: Path) -> None:
    sample = REPO / "src" / "hpatwin" / "_probe_sample.py"
    try:
        sample.write_text("def f() -> None:\n    from hpatwin.model import get_model\n")
        assert _function_level_imports(sample) == [
            "src/hpatwin/_probe_sample.py:2 imports hpatwin.model"
        ]
    finally:
        sample.unlink()


@pytest.mark.parametrize(
    "modules",
    [
        "hpatwin.cli, hpatwin.cli.score_cmd",
        "hpatwin.cli.plan_cmd, hpatwin.clinic.planner",
        "hpatwin.records, hpatwin.clinic.instruments, hpatwin.clinic.outcomes",
        "hpatwin.cli.records_cmd, hpatwin.records.exchange, hpatwin.records.backup",
    ],
)
def test_scoring_planning_and_records_load_no_jax_or_sympy(modules: str) -> None:
    probe = (
        f"import sys\nimport {modules}\n"
        "loaded = sorted({'jax', 'sympy', 'matplotlib'} & set(sys.modules))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == ""


def test_importing_the_engine_changes_no_jax_setting() -> None:
    probe = (
        "import jax\nimport hpatwin.engine\nimport hpatwin.simulation\n"
        "print(jax.config.jax_enable_x64)\n"
        "hpatwin.engine.configure_jax()\nprint(jax.config.jax_enable_x64)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("modules", ["hpatwin.cli.score_cmd", "hpatwin.cli.plan_cmd"])
def test_scoring_and_planning_start_without_the_database_stack(modules: str) -> None:
    # start-up budget (BENCHMARKS.md): these load only what one patient's scoring needs
    probe = (
        f"import sys\nimport hpatwin.cli, {modules}\n"
        "print(','.join(sorted({'sqlalchemy', 'alembic'} & set(sys.modules))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == ""

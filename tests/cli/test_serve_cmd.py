"""``hpatwin serve`` and ``hpatwin web create-user``; the demo clinic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpatwin.cli import COMMANDS, main, serve_cmd
from hpatwin.records.store import RecordStore
from hpatwin.web.app import create_app
from hpatwin.web.demo import DEMO_PASSWORD, seed_demo
from hpatwin.web.users import list_users
from tests.web.conftest import login, new_client


def test_commands_are_registered_lazily() -> None:
    assert COMMANDS["serve"][0] == "hpatwin.cli.serve_cmd"
    assert COMMANDS["web"][0] == "hpatwin.cli.web_cmd"
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--db", "--host", "--port", "--no-browser", "--seed-demo", "--create-admin"):
        assert option in result.output


def test_create_user_from_the_environment_and_refusals(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    env = {"HPATWIN_NEW_PASSWORD": "a sufficiently long one"}
    ok = runner.invoke(main, ["web", "--db", db, "create-user", "boss", "--role", "admin"], env=env)
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(main, ["web", "--db", db, "create-user", "boss", "--role", "admin"],
                          env=env)
    assert again.exit_code == 2 and "Error" in again.output and "Traceback" not in again.output
    short = runner.invoke(main, ["web", "--db", db, "create-user", "x", "--role", "admin"],
                          env={"HPATWIN_NEW_PASSWORD": "short"})
    assert short.exit_code == 2 and "password: too short" in short.output
    clinic = runner.invoke(main, ["web", "--db", db, "create-user", "dr", "--role", "clinician"],
                           env=env)
    assert clinic.exit_code == 2 and "clinic" in clinic.output
    assert list_users(RecordStore(db)) == [("boss", "admin", None)]


def test_serve_seeds_the_demo_and_prints_url_and_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: dict[str, object] = {}
    monkeypatch.setattr(serve_cmd.uvicorn, "run", lambda app, **kw: ran.update(kw, app=app))
    db = str(tmp_path / "demo.db")
    result = CliRunner().invoke(main, ["serve", "--db", db, "--seed-demo", "--no-browser",
                                       "--port", "8123", "--forecast-particles", "64"])
    assert result.exit_code == 0, result.output
    jobs = ran["app"].state.ctx.forecasts  # type: ignore[attr-defined]
    assert jobs.settings.n_particles == 64 and jobs.folder == tmp_path / "twin"
    bad = CliRunner().invoke(main, ["serve", "--db", db, "--no-browser",
                                    "--forecast-particles", "66"])
    assert bad.exit_code != 0 and "multiple of" in bad.output
    assert "http://127.0.0.1:8123/" in result.output
    assert "demo_clinician" in result.output and DEMO_PASSWORD in result.output
    assert ran["host"] == "127.0.0.1" and ran["port"] == 8123 and ran["access_log"] is False
    app = create_app(db)
    client = new_client(app)
    login(client, "demo_clinician", DEMO_PASSWORD)
    listing = client.get("/patients").text
    assert listing.count('href="/patients/demo-') == 4
    assert "unacknowledged item-9 alert" in listing
    record = app.state.ctx.store.load("demo-001")
    assert len(record.sessions) >= 6 and len(record.assessments) >= 12
    assert seed_demo(app.state.ctx.store).created is False  # idempotent


def test_the_cli_loads_the_web_stack_only_for_serve() -> None:
    probe = (
        "import sys\nimport hpatwin.cli, hpatwin.cli.records_cmd\n"
        "print(sorted({'fastapi', 'uvicorn', 'argon2'} & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def test_web_seed_demo_seeds_once_without_serving(tmp_path: Path) -> None:
    db = str(tmp_path / "clinic.db")
    first = CliRunner().invoke(main, ["web", "--db", db, "seed-demo"])
    again = CliRunner().invoke(main, ["web", "--db", db, "seed-demo"])
    assert first.exit_code == 0 and "demo clinic seeded" in first.output, first.output
    assert again.exit_code == 0 and "already there" in again.output
    assert DEMO_PASSWORD in first.output
    store = RecordStore(db)
    try:
        assert len(store.patients()) == 4
    finally:
        store.close()

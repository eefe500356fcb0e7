"""``hpatwin web``: administer the clinic web app (users).

Example::

    hpatwin web --db clinic.db create-user admin --role admin
    hpatwin web --db clinic.db create-user dr_a --role clinician --clinic north
    hpatwin web --db clinic.db seed-demo      # the de-identified demo clinic, without serving
    hpatwin web --db clinic.db seed-demo --forecasts --particles 256   # + fitted twins
"""

from __future__ import annotations

import click

from hpatwin.cli.serve_cmd import new_password, seed_demo_clinic
from hpatwin.errors import HpatwinError
from hpatwin.records.store import RecordStore
from hpatwin.records.validation import ROLES
from hpatwin.web.app import init_database
from hpatwin.web.forecast import (
    RESULT_FILE,
    ForecastSettings,
    default_forecast_folder,
    run_forecast,
)
from hpatwin.web.users import create_user

__all__ = ["command"]


@click.group("web")
@click.option("--db", "db", default=None, help="SQLite file or sqlite:// / postgresql:// URL.")
@click.pass_context
def command(ctx: click.Context, db: str | None) -> None:
    """Administer the clinic web app."""
    ctx.obj = {"db": db}


@command.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--clinic", default=None, help="The clinician's clinic.")
@click.pass_context
def create_user_cmd(ctx: click.Context, username: str, role: str, clinic: str | None) -> None:
    """Create a user; the password comes from HPATWIN_NEW_PASSWORD or a hidden prompt."""
    try:
        store = RecordStore(ctx.obj["db"])
        init_database(store)
        create_user(store, username, role, clinic, new_password(username), actor="cli")
    except HpatwinError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username!r} ({role}) created")


@command.command("seed-demo")
@click.option(
    "--forecasts",
    is_flag=True,
    help="Also fit each demo patient's twin and store its forecast (skipped if one exists).",
)
@click.option(
    "--particles",
    type=click.IntRange(64, 16384),
    default=1024,
    show_default=True,
    help="SMC particles per demo fit (a multiple of 4).",
)
@click.pass_context
def seed_demo_cmd(ctx: click.Context, forecasts: bool, particles: int) -> None:
    """Seed the de-identified demo clinic (idempotent) and print the demo login."""
    try:
        store = RecordStore(ctx.obj["db"])
        init_database(store)
        seed_demo_clinic(store)
        if forecasts:
            _seed_forecasts(store, particles)
        store.close()
    except HpatwinError as exc:
        raise click.ClickException(str(exc)) from None


def _seed_forecasts(store: RecordStore, particles: int) -> None:
    """Fit and forecast every demo patient that has no stored forecast yet."""
    settings = ForecastSettings(n_particles=particles, draws=128)
    folder = default_forecast_folder(store.url)
    for stored in store.patients():
        pseudonym = stored.entry.pseudonym
        if not pseudonym.startswith("demo-"):
            continue
        existing = folder / pseudonym
        if existing.is_dir() and any((p / RESULT_FILE).is_file() for p in existing.iterdir()):
            continue
        result = run_forecast(store.load(pseudonym), settings, folder, job_id="demo-seed")
        click.echo(f"{pseudonym}: twin fitted, forecast stored ({result.name})")

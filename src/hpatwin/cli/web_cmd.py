"""``hpatwin web``: administer the clinic web app (users).

Example::

    hpatwin web --db clinic.db create-user admin --role admin
    hpatwin web --db clinic.db create-user dr_a --role clinician --clinic north
    hpatwin web --db clinic.db seed-demo      # the de-identified demo clinic, without serving
"""

from __future__ import annotations

import click

from hpatwin.cli.serve_cmd import new_password, seed_demo_clinic
from hpatwin.errors import HpatwinError
from hpatwin.records.store import RecordStore
from hpatwin.records.validation import ROLES
from hpatwin.web.app import init_database
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
@click.pass_context
def seed_demo_cmd(ctx: click.Context) -> None:
    """Seed the de-identified demo clinic (idempotent) and print the demo login."""
    try:
        store = RecordStore(ctx.obj["db"])
        init_database(store)
        seed_demo_clinic(store)
        store.close()
    except HpatwinError as exc:
        raise click.ClickException(str(exc)) from None

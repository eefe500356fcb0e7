"""``hpatwin serve``: the clinic web app on localhost (FastAPI + uvicorn).

Examples::

    hpatwin serve --seed-demo                 # demo clinic, prints URL and demo login
    hpatwin serve --db clinic.db --create-admin admin
    hpatwin serve --db postgresql://clinic@localhost/hpatwin --port 8080 --no-browser
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import webbrowser
from pathlib import Path

import click
import uvicorn

from hpatwin.errors import HpatwinError
from hpatwin.records.store import RecordStore
from hpatwin.web.app import configure_logging, create_app, init_database
from hpatwin.web.demo import DEMO_PASSWORD, seed_demo
from hpatwin.web.forecast import ForecastSettings
from hpatwin.web.security import SecurityConfig
from hpatwin.web.users import create_user

__all__ = ["command", "seed_demo_clinic"]

PASSWORD_ENV = "HPATWIN_NEW_PASSWORD"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_password(username: str) -> str:
    """The new user's password from ``HPATWIN_NEW_PASSWORD`` or a hidden prompt (twice)."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    first = getpass.getpass(f"Password for {username} (12+ characters): ")
    if getpass.getpass("Repeat: ") != first:
        raise click.ClickException("the passwords differ")
    return first


@click.command("serve")
@click.option("--db", "db", default=None, help="SQLite file or sqlite:// / postgresql:// URL.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.option("--seed-demo", is_flag=True, help="Seed a de-identified demo clinic first.")
@click.option("--create-admin", metavar="USERNAME", help="Create an admin user first.")
@click.option("--forecast-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the patient-twin forecasts [default: twin/ next to the database].")
@click.option("--forecast-particles", type=click.IntRange(16, 16384), default=1024,
              show_default=True, help="SMC particles per patient-twin fit (a multiple of 4).")
def command(
    db: str | None, host: str, port: int, no_browser: bool, seed_demo: bool,
    create_admin: str | None, forecast_dir: Path | None, forecast_particles: int,
) -> None:
    """Serve the clinic web app (login, patients, intake, sessions, charts, plan, audit)."""
    try:
        store = RecordStore(db)
        init_database(store)
        if create_admin:
            create_user(store, create_admin, "admin", None, new_password(create_admin),
                        actor="cli")
            click.echo(f"admin user {create_admin!r} created")
        if seed_demo:
            seed_demo_clinic(store)
        store.close()
        secure = not _loopback(host)
        if secure:
            click.echo("note: not a loopback address - serve behind a TLS proxy "
                       "(session cookies are marked Secure)", err=True)
        twin = ForecastSettings(n_particles=forecast_particles, folder=forecast_dir)
        app = create_app(store.url, config=SecurityConfig(cookie_secure=secure), init=False,
                         forecast=twin)
    except (HpatwinError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    url = f"http://{host}:{port}/"
    click.echo(f"hpatwin clinic at {url}  (Ctrl+C to stop)")
    if not no_browser:
        webbrowser.open(url)
    configure_logging()
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=None,
                server_header=False)


def seed_demo_clinic(store: RecordStore) -> None:
    """Seed the demo clinic (idempotent) and print how to log in."""
    seed = seed_demo(store)
    state = "seeded" if seed.created else "already there"
    click.echo(f"demo clinic {state}: {seed.patients} patients; log in as "
               f"{seed.users[0]} (or {', '.join(seed.users[1:])}) with password {DEMO_PASSWORD}")



"""`flask` commands: init-db, deploy, seed-demo, run-timers, clock."""
from __future__ import annotations

import signal
import sys
from datetime import timedelta

import click
from flask import Flask, current_app

from app.engine.clock import clock
from app.engine.deploy import deploy, read_folders
from app.engine.specs import DeployRefused


def register(app: Flask) -> None:
    for command in (init_db, deploy_command, seed_demo, run_timers, clock_command):
        app.cli.add_command(command)


def services():
    return current_app.extensions["invalidite"]


def upgrade_database(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from app.config import ROOT

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    command.upgrade(config, "heads")  # feature branches of migrations may coexist


@click.command("init-db")
def init_db():
    """Create or migrate the database schema (Alembic)."""
    upgrade_database(current_app.config["DATABASE_URL"])
    click.echo("Base de données à jour.")


def deploy_folders(app: Flask, deployed_by: str = "system"):
    sources = read_folders(app.config["PROCESSES_DIR"], app.config["FORMS_DIR"])
    factory = app.extensions["invalidite"].session_factory
    with factory() as session, session.begin():
        return deploy(session, sources, deployed_by)


@click.command("deploy")
def deploy_command():
    """Check and deploy processes/ and forms/ (new version only when content changed)."""
    try:
        report = deploy_folders(current_app)
    except DeployRefused as refused:
        click.echo("Déploiement refusé, rien n'a été déployé :", err=True)
        for error in refused.errors:
            click.echo(f"  - {error}", err=True)
        sys.exit(1)
    for key, version in report.new_versions.items():
        click.echo(f"{key} : version {version}")
    for key in report.unchanged:
        click.echo(f"{key} : inchangé")


DEMO_ONLY = ("{what} : réservé au mode démonstration. Relancez avec INVALIDITE_DEMO=1 "
             "(ce que fait « make run ») ; rien n'a été fait.")


def _demo_only(what: str) -> None:
    """Demo accounts and a movable clock exist only when demo mode is asked for."""
    if not current_app.config.get("DEMO_MODE"):
        click.echo(DEMO_ONLY.format(what=what), err=True)
        sys.exit(1)


@click.command("seed-demo")
def seed_demo():
    """Create the demo caisses and accounts (password « demo »); idempotent. Demo mode only."""
    from app.seed import seed_demo_accounts

    _demo_only("Comptes de démonstration refusés")
    with services().session_factory() as session, session.begin():
        created = seed_demo_accounts(session)
    click.echo(f"Comptes de démonstration : {created} créés.")


@click.command("run-timers")
@click.option("--courriers/--sans-courriers", default=True,
              help="Faire aussi les PDF des courriers en attente (un fil à part).")
def run_timers(courriers: bool):
    """Run the timer worker in the foreground (as many as you like, on any machine)."""
    from app.engine.timers import TimerWorker

    click.echo("Minuteurs BPMN : en attente (Ctrl+C pour arrêter). Chaque passage est noté "
               "pour /sante/minuteurs.")
    # SIGTERM (systemd, the demo launcher) stops like Ctrl+C: the pass under way finishes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    letters = _letter_worker() if courriers else None
    try:
        TimerWorker(services().runtime).start(blocking=True)
    except (KeyboardInterrupt, SystemExit):
        click.echo("Minuteurs BPMN : arrêtés.")
    finally:
        if letters is not None:
            letters.stop()


def _letter_worker():
    """The letters' PDFs, made after their step's commit (app/documents/outbox.py), in a
    thread beside the timers: a timer never waits for WeasyPrint."""
    from app.documents.outbox import CourrierWorker

    worker = CourrierWorker(services().session_factory, services().store, clock.now)
    worker.start()
    return worker


@click.command("clock")
@click.option("--advance-days", type=float, default=0.0)
@click.option("--advance-seconds", type=float, default=0.0)
@click.option("--reset", is_flag=True)
def clock_command(advance_days: float, advance_seconds: float, reset: bool):
    """Move the application clock (demo mode only)."""
    _demo_only("Horloge non réglable")
    if reset:
        clock.set_offset(timedelta(0))
    else:
        clock.advance(timedelta(days=advance_days, seconds=advance_seconds))
    click.echo(f"Horloge : {clock.now().isoformat()} (décalage {clock.offset})")

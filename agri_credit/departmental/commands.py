"""`flask import-worker`: an RQ worker for departmental imports (needs REDIS_URL);
`flask purge-abandoned-uploads`: delete uploads whose mapping was never confirmed;
`flask departmental-sweep` (cron): record interrupted imports as failed, delete old uploads."""

from datetime import timedelta

import click
from flask import current_app

from models import db, utcnow

from . import bp, recovery, uploads
from .jobs import queue, worker


@bp.cli.command("import-worker")
@click.option("--burst", is_flag=True, help="Work until the queue is empty, then stop.")
def import_worker(burst: bool) -> None:
    """Run departmental imports queued by the web app (set AGRI_CREDIT_REDIS_URL)."""
    jobs = queue(current_app)
    if jobs is None:
        raise click.ClickException(
            "REDIS_URL is not set: imports run inline in the web app; no worker is needed."
        )
    worker(jobs).work(burst=burst)


@bp.cli.command("purge-abandoned-uploads")
@click.option("--hours", default=24, show_default=True, help="Age of an upload to delete.")
def purge_abandoned_uploads_command(hours: int) -> None:
    """Delete uploaded department files left waiting for their column mapping (they hold ID
    numbers in clear). Run it from cron, e.g. hourly."""
    folder = uploads.upload_folder(current_app.instance_path)
    count = uploads.purge_abandoned_uploads(folder, utcnow(), timedelta(hours=hours))
    db.session.commit()
    click.echo(f"{count} abandoned upload(s) deleted")


@bp.cli.command("departmental-sweep")
def departmental_sweep_command() -> None:
    """Run from cron (every few minutes): imports whose process was killed (no heartbeat for
    IMPORT_STALE_AFTER_MINUTES, or a job the queue lost) are recorded as failed, nothing of
    them having landed; uploads of ended batches kept past IMPORT_FILE_RETENTION_HOURS and
    uploads never mapped for a day are deleted (they hold ID numbers in clear)."""
    folder = uploads.upload_folder(current_app.instance_path)
    retention = timedelta(hours=current_app.config["IMPORT_FILE_RETENTION_HOURS"])
    result = recovery.sweep(folder, utcnow(), retention)
    ids = ", ".join(f"#{i}" for i in result.failed) or "none"
    click.echo(f"{len(result.failed)} interrupted import(s) marked failed: {ids}")
    click.echo(f"{result.files_deleted} kept upload(s) deleted")
    click.echo(f"{result.abandoned} abandoned upload(s) deleted")

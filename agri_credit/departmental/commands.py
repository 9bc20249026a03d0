"""`flask import-worker`: an RQ worker for departmental imports (needs REDIS_URL);
`flask purge-abandoned-uploads`: delete uploads whose mapping was never confirmed."""

from datetime import timedelta

import click
from flask import current_app
from rq import Worker

from models import db, utcnow

from . import bp, uploads
from .jobs import queue


@bp.cli.command("import-worker")
@click.option("--burst", is_flag=True, help="Work until the queue is empty, then stop.")
def import_worker(burst: bool) -> None:
    """Run departmental imports queued by the web app (set AGRI_CREDIT_REDIS_URL)."""
    jobs = queue(current_app)
    if jobs is None:
        raise click.ClickException(
            "REDIS_URL is not set: imports run inline in the web app; no worker is needed."
        )
    Worker([jobs], connection=jobs.connection).work(burst=burst)


@bp.cli.command("purge-abandoned-uploads")
@click.option("--hours", default=24, show_default=True, help="Age of an upload to delete.")
def purge_abandoned_uploads_command(hours: int) -> None:
    """Delete uploaded department files left waiting for their column mapping (they hold ID
    numbers in clear). Run it from cron, e.g. hourly."""
    folder = uploads.upload_folder(current_app.instance_path)
    count = uploads.purge_abandoned_uploads(folder, utcnow(), timedelta(hours=hours))
    db.session.commit()
    click.echo(f"{count} abandoned upload(s) deleted")

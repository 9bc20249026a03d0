"""`flask import-worker`: an RQ worker for departmental imports (needs REDIS_URL)."""

import click
from flask import current_app
from rq import Worker

from . import bp
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

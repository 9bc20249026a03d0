"""The rating cycle's `flask` commands, all in one place."""

from datetime import date

import click

from models import clock, db

from . import bp
from .publication import services as publication


def _today() -> date:
    return clock.today()


@bp.cli.command("ratings-apply-effective")
def apply_effective_command() -> None:
    """Let results whose 公示 period is over take effect (run daily from cron)."""
    count = publication.apply_effective_results(_today())
    db.session.commit()
    click.echo(f"{count} results took effect.")

"""`flask model ...`: thin commands over the scoring functions."""

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pandas as pd
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from models import Region, ScoreModel, User, db

# LightGBM, scikit-learn and optbinning take seconds to import (2.6 s measured, a third of
# `import app`). Every `flask` command and every worker builds the app, so the commands
# import the scoring code when one of them runs, not when the group is registered.

model_cli = AppGroup("model", help="Default-risk score: train, score, inspect models.")


@model_cli.command("train-csv")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", required=True, help="Column that says whether the loan defaulted.")
@click.option("--positive", default=None, help="The target's value for a default (else 0/1).")
@click.option("--folds", default=5, show_default=True)
def train_csv(path: Path, target: str, positive: str | None, folds: int) -> None:
    """Cross-validate the score's training on any CSV of historical loans; prints JSON."""
    from .csv_training import LoanBookError, cross_validate, read_loan_book
    from .training import TrainSettings

    try:
        book = read_loan_book(path, target, positive)
    except LoanBookError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = TrainSettings.from_config(current_app.config)
    click.echo(json.dumps(cross_validate(book, folds=folds, settings=settings), ensure_ascii=False))


def _today() -> date:
    """Today in the county's zone (config BABEL_DEFAULT_TIMEZONE)."""
    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    return datetime.now(ZoneInfo(zone)).date()


def _user(username: str | None) -> User | None:
    if not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


_as_of_option = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Data as of this day (default: today in the county's zone).",
)


@model_cli.command("train")
@_as_of_option
@click.option("--user", "username", default=None, help="Recorded as the one who trained it.")
@click.option("--activate", default=None, help="Activate for its subject types with this reason.")
@click.option(
    "--truth",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="CSV (skey, loan, true_probability) of a synthetic county's known probabilities "
    "(default: the demo's instance/demo_truth.csv when it exists).",
)
def train(
    as_of: datetime | None, username: str | None, activate: str | None, truth: Path | None
) -> None:
    """Train the default-risk model on every labelled loan; prints one JSON object."""
    from .registry import RegistryRefused
    from .service import TrainingRefused, train_county
    from .truth import read_truth

    day = as_of.date() if as_of else _today()
    truth_frame = pd.read_csv(truth) if truth else read_truth(current_app.instance_path)
    try:
        version, report = train_county(
            day, _user(username), current_app.config, truth=truth_frame, activate_reason=activate
        )
    except (TrainingRefused, RegistryRefused) as exc:
        raise click.ClickException(str(exc)) from exc
    summary = {
        "model_version": version,
        "auc": report["auc"],
        "ks": report["ks"],
        "gini": report["gini"],
        "brier": report["brier"],
        "baseline_auc": report.get("baseline_auc"),
        "baseline_ks": report.get("baseline_ks"),
        "true_probability_auc": report.get("true_probability_auc"),
        # The truth is judged on the held-out loans that have one: how many, and the model's
        # AUC on those same loans.
        "true_probability_rows": report.get("true_probability_rows"),
        "auc_on_true_probability_rows": report.get("auc_on_true_probability_rows"),
        "rows": report["rows"],
        "rows_test": report["rows_test"],
        "by_subject_type": report.get("by_subject_type"),
        "per_type": report.get("per_type"),
    }
    click.echo(json.dumps(summary, ensure_ascii=False))


@model_cli.command("score")
@_as_of_option
@click.option("--region", default=None, help="Region code to score (default: every subject).")
def score(as_of: datetime | None, region: str | None) -> None:
    """Score every subject of a region as of today with the active models (history kept)."""
    from .service import score_scope

    day = as_of.date() if as_of else _today()
    scope = None
    if region:
        scope = db.session.get(Region, region)
        if scope is None:
            raise click.ClickException(f"no region with code {region}")
    result = score_scope(scope, day, current_app.config)
    click.echo(json.dumps({"as_of": day.isoformat(), **result}, ensure_ascii=False))


@model_cli.command("promote")
@click.argument("version", type=int)
@click.option("--reason", required=True)
@click.option("--type", "subject_type", default=None, help="household / entity / enterprise")
@click.option("--user", "username", default=None)
def promote_command(
    version: int, reason: str, subject_type: str | None, username: str | None
) -> None:
    """Activate model VERSION for a subject type (default: every type it covers)."""
    from .registry import RegistryRefused, promote

    row = db.session.get(ScoreModel, version)
    if row is None:
        raise click.ClickException(f"no model version {version}")
    try:
        for kind in [subject_type] if subject_type else row.subject_types:
            promote(row, kind, _user(username), reason)
    except RegistryRefused as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"model v{version} active for {subject_type or ', '.join(row.subject_types)}")


@model_cli.command("rollback")
@click.option("--type", "subject_type", required=True, help="household / entity / enterprise")
@click.option("--reason", required=True)
@click.option("--user", "username", default=None)
def rollback_command(subject_type: str, reason: str, username: str | None) -> None:
    """Re-activate the model that was active before the current one."""
    from .registry import RegistryRefused, rollback

    try:
        row = rollback(subject_type, _user(username), reason)
    except RegistryRefused as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"model v{row.id} active again for {subject_type}")

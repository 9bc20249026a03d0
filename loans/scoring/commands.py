"""`flask model ...`: thin commands over the scoring functions."""

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .csv_training import LoanBookError, cross_validate, read_loan_book
from .training import TrainSettings

model_cli = AppGroup("model", help="Default-risk score: train, score, inspect models.")


@model_cli.command("train-csv")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", required=True, help="Column that says whether the loan defaulted.")
@click.option("--positive", default=None, help="The target's value for a default (else 0/1).")
@click.option("--folds", default=5, show_default=True)
def train_csv(path: Path, target: str, positive: str | None, folds: int) -> None:
    """Cross-validate the score's training on any CSV of historical loans; prints JSON."""
    try:
        book = read_loan_book(path, target, positive)
    except LoanBookError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = TrainSettings.from_config(current_app.config)
    click.echo(json.dumps(cross_validate(book, folds=folds, settings=settings), ensure_ascii=False))

"""The demo county's loan history and first model, the last step of `flask seed-demo`
(registered by app.py): the county's firms and a sample of its households get four years of
backdated bills and tax rows and three years of loan starts (`loan_history.write_history`),
whose outcomes are drawn from a known default probability. That probability is written to
`instance/demo_truth.csv` (no table, no page), the first model is trained on the history with
the truth beside it, activated, and the county is scored, so a newcomer sees scores at once.

The demo's own departmental files hold the 13 months before the reference date and the
three tax years before its year; the history stops its bills and tax rows before them, so the two never overlap, and trains as of the
reference date, before the demo's files were imported.
"""

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import func, null, select

from agri_credit.demo import vocabulary as v
from agri_credit.demo.departments import MONTHS as DEMO_BILL_MONTHS
from agri_credit.demo.departments import TAX_YEARS as DEMO_TAX_YEARS
from agri_credit.demo.timing import StepTimer
from models import (
    AgriEntity,
    Enterprise,
    Household,
    SubjectKey,
    User,
    UtilityRecord,
    VillageEvaluation,
    clock,
    db,
)

from .asof import ENTERPRISE, ENTITY, HOUSEHOLD, subject_key
from .loan_history import EVALUATIONS, write_history
from .service import TrainingRefused, score_scope, train_county
from .store import local_days, read_frame
from .truth import truth_path as truth_file

LABELLED_YEARS = 3  # years of loan starts old enough to be labelled
# Defaults of the config keys DEMO_HISTORY_HOUSEHOLDS and DEMO_HISTORY_LOANS_PER_SUBJECT: with
# the county's ~3,400 firms, ~44,500 labelled loans. Five loans a subject, not three (26,600):
# the held-out AUC still rose steeply with the data (half the 26,600 loans: 0.650, all: 0.671)
# and 4,000 held-out loans left ±2 pp of pure chance in the calibration deciles (the true
# probability itself missed its decile rates by up to 2.0 pp).
HISTORY_HOUSEHOLDS = 5_500
LOANS_PER_SUBJECT = 5.0
DEMO_IMPORTER = "county_office"


def truth_path() -> Path:
    return truth_file(current_app.instance_path)


def history_subjects(as_of: date, households: int, seed: int, zone: str) -> pd.DataFrame:
    """Every firm with a departmental key and a sample of the keyed households, with what
    their files show (loan_history.SUBJECT_COLUMNS)."""
    keys = read_frame(
        select(
            SubjectKey.id.label("key_id"),
            SubjectKey.household_id,
            SubjectKey.entity_id,
            SubjectKey.enterprise_id,
        ).order_by(SubjectKey.id)
    )
    # A key linked to two files (a 种养大户 known by its operator's ID number) would give its
    # loans to both subjects: the history goes on keys of one subject only.
    single = keys[["household_id", "entity_id", "enterprise_id"]].notna().sum(axis=1) == 1
    keys = keys[single]
    homes = read_frame(
        select(
            Household.id,
            Household.total_assets.label("assets"),
            Household.total_liabilities.label("debts"),
            Household.created_at,
        )
    )
    # A subject with two keys (say an ID number and a USCC) gets its history on the first.
    homes = homes.merge(
        keys[["key_id", "household_id"]].dropna().drop_duplicates("household_id"),
        left_on="id",
        right_on="household_id",
    )
    rng = np.random.default_rng([seed, 41])
    homes = homes.iloc[np.sort(rng.permutation(len(homes))[:households])]
    # The 村评议 a lender could see at the latest loan start: years ended before it.
    evaluations = read_frame(
        select(VillageEvaluation.household_id, VillageEvaluation.year, VillageEvaluation.overall)
    )
    evaluations = (
        evaluations[evaluations["year"] < as_of.year - 1]
        .sort_values("year")
        .drop_duplicates("household_id", keep="last")
    )
    homes = homes.merge(evaluations, left_on="id", right_on="household_id", how="left")
    rank = {label: i for i, label in enumerate(EVALUATIONS)}
    homes = pd.DataFrame(
        {
            "skey": subject_key(pd.Series(HOUSEHOLD, index=homes.index), homes["id"]),
            "kind": HOUSEHOLD,
            "key_id": homes["key_id"],
            "assets": homes["assets"].astype(float),
            "debts": homes["debts"].astype(float),
            "founded": pd.NaT,
            "evaluation": homes["overall"].map(rank).fillna(-1).astype(int),
            "evaluation_from": pd.to_datetime(
                homes["year"].astype("Int64").astype(str) + "-12-31", errors="coerce"
            ),
            "created_at": homes["created_at"],
        }
    )
    parts = [homes]
    for kind, model, column, assets, debts in (
        (ENTITY, AgriEntity, "entity_id", AgriEntity.total_assets, AgriEntity.total_debts),
        (ENTERPRISE, Enterprise, "enterprise_id", Enterprise.registered_capital, None),
    ):
        firms = read_frame(
            select(
                model.id,
                assets.label("assets"),
                (debts if debts is not None else null()).label("debts"),
                model.founded_on.label("founded"),
                model.created_at,
            )
        ).merge(
            keys[["key_id", column]].dropna().drop_duplicates(column),
            left_on="id",
            right_on=column,
        )
        parts.append(
            pd.DataFrame(
                {
                    "skey": subject_key(pd.Series(kind, index=firms.index), firms["id"]),
                    "kind": kind,
                    "key_id": firms["key_id"],
                    "assets": firms["assets"].astype(float).fillna(1_000_000.0),
                    "debts": firms["debts"].astype(float),
                    "founded": pd.to_datetime(firms["founded"]),
                    "evaluation": -1,
                    "evaluation_from": pd.NaT,
                    "created_at": firms["created_at"],
                }
            )
        )
    subjects = pd.concat(parts, ignore_index=True)
    subjects["key_id"] = subjects["key_id"].astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        subjects["debt_ratio"] = np.where(
            subjects["assets"] > 0, subjects["debts"] / subjects["assets"], np.nan
        )
    subjects["file_from"] = local_days(subjects.pop("created_at"), zone).to_numpy()
    # The past bills continue the level of the county's own electricity file, so the
    # consumption trend does not jump where the history meets it.
    levels = read_frame(
        select(
            UtilityRecord.subject_key_id.label("key_id"),
            func.avg(UtilityRecord.consumption).label("bill_level"),
        )
        .where(UtilityRecord.utility == "electricity", UtilityRecord.superseded_by_id.is_(None))
        .group_by(UtilityRecord.subject_key_id)
    )
    levels["bill_level"] = levels["bill_level"].astype(float)
    subjects = subjects.merge(levels, on="key_id", how="left")
    for column in ("founded", "evaluation_from"):
        subjects[column] = pd.to_datetime(subjects[column]).astype("datetime64[s]")
    return subjects.drop(columns="debts")


def write_demo_history(seed: int, as_of: date, user: User) -> pd.DataFrame | None:
    """Write the demo county's loan history as of its reference date and commit; returns the
    truth (skey, loan, true_probability), None when the county has no departmental keys."""
    config = current_app.config
    zone = config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    subjects = history_subjects(
        as_of, config.get("DEMO_HISTORY_HOUSEHOLDS", HISTORY_HOUSEHOLDS), seed, zone
    )
    if subjects.empty:
        return None
    truth = write_history(
        user,
        as_of,
        subjects,
        # Labelled starts need a year of bills before them and a year of outcome after.
        months=13 + 12 * LABELLED_YEARS + DEMO_BILL_MONTHS - 1,
        records_gap=DEMO_BILL_MONTHS,
        last_tax_year=as_of.year - DEMO_TAX_YEARS - 1,
        loans_per_subject=config.get("DEMO_HISTORY_LOANS_PER_SUBJECT", LOANS_PER_SUBJECT),
        seed=seed,
        zone=zone,
        scope_code=user.scope_code,
        bank=v.BANKS[0],
        contract_prefix="LS",
    )
    db.session.commit()
    return truth


def seed_scoring(seed: int, as_of: date) -> dict:
    """Write the history, keep the truth in the instance folder, train and activate the first
    model as of the demo's reference date, and score the county as of today."""
    config = current_app.config
    if not config.get("DEMO_SCORING", True):
        return {"skipped": "DEMO_SCORING is off"}
    user = db.session.scalar(select(User).where(User.username == DEMO_IMPORTER))
    if user is None:
        return {"skipped": "no county office account"}
    timer = StepTimer()  # its CPU seconds per part go into the summary the command prints
    with timer.step("history"):
        truth = write_demo_history(seed, as_of, user)
    if truth is None:
        return {"skipped": "no departmental keys (seeded without the departments' files?)"}
    path = truth_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    truth.to_csv(path, index=False)
    try:
        with timer.step("train"):
            version, report = train_county(
                as_of,
                user,
                config,
                truth=truth,
                activate_reason="演示县的第一个模型（seed-demo 训练）",
            )
    except TrainingRefused as exc:  # a county seeded too small to learn from
        return {"history_loans": len(truth), "skipped": str(exc)}
    with timer.step("score"):
        scored = score_scope(None, clock.today(), config)
    return {
        "cpu_seconds": {name: round(cpu, 1) for name, _, cpu in timer.steps},
        "history_subjects": int(truth["skey"].nunique()),
        "labelled_loans": report["rows"],
        "model_version": version,
        "auc": report["auc"],
        "true_probability_auc": report.get("true_probability_auc"),
        "scored": scored["scored"],
    }

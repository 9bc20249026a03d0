"""Training and scoring against the database: the sources read as of a date, labels from the
ledgers, features as of each loan's start, and the registry. Called by `flask model ...`
(and later by the county office's button through the job queue)."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert

from models import N_, CreditScore, Region, User, code_range, db

from .asof import SUBJECT_TYPES, requests_for, subject_id_of, subject_key, subject_type_of
from .features import build_features
from .labels import LabelRules, label_loans
from .platform_outcomes import outcome_frame, outcome_labels
from .reasons import reason_dicts, score_frame
from .registry import (
    active_model,
    active_model_key,
    load_model,
    load_model_by_key,
    promote,
    save_model,
)
from .signals import scores_stored
from .stability import stability_report
from .store import Only, load_sources, loan_versions, subject_genders
from .training import TrainSettings, train_model

# Progress of a long run: (fraction done 0-1, the step in Chinese). Jobs store it for the page.
Progress = Callable[[float, str], None]


def _no_progress(fraction: float, step: str) -> None:
    return None


class TrainingRefused(ValueError):
    """Not enough labelled loans to train on. `msgid` (marked for the catalog) and `params`
    let the page say it in the reader's language; str() is the Chinese sentence."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params


MIN_LABELLED = 200
SCORING_STEPS = {
    "household": N_("评分：农户"),
    "entity": N_("评分：新型农业经营主体"),
    "enterprise": N_("评分：中小微企业"),
}


def label_rules(config: Any) -> LabelRules:
    return LabelRules(
        window_months=config.get("SCORING_LABEL_WINDOW_MONTHS", 12),
        overdue_days=config.get("SCORING_DEFAULT_DAYS", 90),
    )


@dataclass
class TrainingData:
    labels: pd.DataFrame
    features: pd.DataFrame
    seconds: dict[str, float]
    subjects: pd.DataFrame  # skey, region_code of every file


def training_data(as_of: date, rules: LabelRules, zone: str) -> TrainingData:
    """Labelled loans as of `as_of` and their features as of each loan's start."""
    started = time.perf_counter()
    versions = loan_versions(as_of, zone=zone)
    outcomes = outcome_labels(outcome_frame(as_of), as_of, rules)  # recorded on the platform
    labels = label_loans(versions, pd.Timestamp(as_of), rules, outcomes=outcomes)
    sources = load_sources(as_of, zone)
    loaded = time.perf_counter()
    requests = requests_for(labels["skey"], labels["features_as_of"])
    features = build_features(sources, requests)
    return TrainingData(
        labels,
        features,
        {"load": loaded - started, "features": time.perf_counter() - loaded},
        sources.files[["skey", "region_code"]],
    )


def report_groups(data: TrainingData) -> dict[str, np.ndarray]:
    """Per labelled loan, the groups the report judges the model by: subject type, township
    (the 9-digit code) and, for the fairness check only, gender read from the ID number."""
    skeys = data.labels[["skey"]]
    place = skeys.merge(data.subjects, on="skey", how="left")["region_code"]
    gender = skeys.merge(subject_genders(), on="skey", how="left")["gender"]
    kinds = subject_type_of(data.labels["skey"])
    return {
        "subject_type": kinds.to_numpy(),
        "township": place.fillna("").astype(str).str[:9].to_numpy(),
        "gender": gender.fillna("不适用").to_numpy(),
    }


def train_county(
    as_of: date,
    user: User | None,
    config: Any,
    truth: pd.DataFrame | None = None,
    activate_reason: str | None = None,
    progress: Progress = _no_progress,
) -> tuple[int, dict[str, Any]]:
    """Train one model (the subject type is a feature) on every labelled loan as of the date,
    store it, optionally activate it for every subject type; returns (version, report).
    `truth` (skey, loan, true_probability): the demo generator's probabilities."""
    zone = config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    progress(0.05, N_("读取贷款台账与部门数据"))
    data = training_data(as_of, label_rules(config), zone)
    if len(data.labels) < MIN_LABELLED or data.labels["default"].nunique() < 2:
        raise TrainingRefused(
            N_("已标注的贷款只有%(n)s笔（需要至少%(minimum)s笔且有违约与未违约两类），无法训练。"),
            n=len(data.labels),
            minimum=MIN_LABELLED,
        )
    true_probability = None
    if truth is not None:
        # Loans without a truth (recorded later, outside the generator) stay NaN: the report
        # gives the truth's AUC on the held-out loans that have one, and on how many.
        joined = data.labels[["skey", "loan"]].merge(
            truth[["skey", "loan", "true_probability"]].drop_duplicates(["skey", "loan"]),
            on=["skey", "loan"],
            how="left",
        )
        if joined["true_probability"].notna().any():
            true_probability = joined["true_probability"].to_numpy(np.float64)
    groups = report_groups(data)
    kinds = groups["subject_type"]
    progress(0.4, N_("训练模型与逻辑回归基准"))
    model = train_model(
        data.features,
        data.labels["default"].to_numpy(),
        data.labels["start_on"],
        TrainSettings.from_config(config),
        true_probability=true_probability,
        groups=groups,
    )
    progress(0.9, N_("保存模型"))
    model.metrics["seconds"] = {k: round(v, 2) for k, v in data.seconds.items()}
    row = save_model(model, user, tuple(sorted(set(kinds))), data_as_of=as_of)
    if activate_reason:
        for kind in row.subject_types:
            promote(row, kind, user, activate_reason)
    db.session.commit()
    return row.id, model.metrics


def score_scope(
    region: Region | None,
    as_of: date,
    config: Any,
    with_reasons: bool = True,
    progress: Progress = _no_progress,
) -> dict[str, dict]:
    """Score every subject in the region (all, without one) as of the date with the active
    model of its type, and append the scores (history kept). Returns rows scored per type
    and the population stability (PSI, level) of the score and the top features per type."""
    zone = config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    progress(0.05, N_("读取档案与部门数据"))
    sources = load_sources(as_of, zone)
    files = sources.files
    if region is not None:
        low, high = code_range(region.code, region.level)
        files = files[files["region_code"].between(low, high)]
    counts: dict[str, int] = {}
    stability: dict[str, dict] = {}
    models: dict[str, int] = {}
    for n, kind in enumerate(SUBJECT_TYPES):
        progress(0.2 + 0.25 * n, SCORING_STEPS[kind])
        row = active_model(kind)
        subjects = files[subject_type_of(files["skey"]) == kind]
        if row is None or subjects.empty:
            continue
        model = load_model(row)
        requests = requests_for(subjects["skey"], pd.Timestamp(as_of))
        features = build_features(sources, requests)
        scored = score_frame(model, features, with_reasons)
        ids = subject_id_of(requests["skey"]).to_numpy()
        reasons = reason_dicts(scored) if with_reasons else [[] for _ in range(len(scored))]
        probabilities = scored["probability"].to_numpy().tolist()
        points = scored["points"].to_numpy().tolist()
        db.session.execute(
            insert(CreditScore),
            [
                {
                    "subject_type": kind,
                    "subject_id": subject_id,
                    "model_id": row.id,
                    "as_of": as_of,
                    "probability": probability,
                    "points": point,
                    "reasons": subject_reasons,
                }
                for subject_id, probability, point, subject_reasons in zip(
                    ids.tolist(), probabilities, points, reasons, strict=True
                )
            ],
        )
        counts[kind] = len(scored)
        models[kind] = row.id
        scores_stored.send(
            None, subject_type=kind, subject_ids=None if region is None else ids.tolist()
        )
        references = row.metrics.get("stability_reference", {})
        stability[kind] = stability_report(references, features.assign(points=scored["points"]))
    db.session.commit()
    return {"scored": counts, "stability": stability, "models": models}


def score_one(
    subject_type: str, subject_id: int, as_of: date, config: Any
) -> dict[str, Any] | None:
    """One subject's score with reasons, features included, on demand (not stored)."""
    # The active model's key only: its text is parsed once per process (load_model_by_key).
    key = active_model_key(subject_type)
    if key is None:
        return None
    zone = config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    skey = subject_key(subject_type, subject_id)
    sources = load_sources(as_of, zone, Only(**{subject_type: (int(subject_id),)}))
    requests = requests_for(np.array([skey]), pd.Timestamp(as_of))
    scored = score_frame(load_model_by_key(key), build_features(sources, requests))
    return {
        "model_version": key[0],
        "as_of": as_of.isoformat(),
        "probability": float(scored["probability"].iat[0]),
        "points": int(scored["points"].iat[0]),
        "reasons": reason_dicts(scored)[0],
    }

"""The model registry: store a trained model in the database, load it back, and choose which
model is active per subject type (promote / roll back with a written reason, audited)."""

from dataclasses import asdict
from datetime import date

import lightgbm as lgb
from sqlalchemy import select, update

from agri_credit.audit import record_event
from models import N_, ScoreModel, ScoreModelActivation, User, db, utcnow

from .asof import SUBJECT_TYPES
from .calibration import Calibrator
from .scorecard import PointsScale
from .training import TrainedModel


class RegistryRefused(ValueError):
    """A promotion or rollback that cannot be done; the message is Chinese, for the user."""


def save_model(
    model: TrainedModel,
    user: User | None,
    subject_types: tuple[str, ...] = SUBJECT_TYPES,
    data_as_of=None,
) -> ScoreModel:
    window = model.window
    row = ScoreModel(
        subject_types=list(subject_types),
        model_text=model.booster.model_to_string(),
        features=model.features,
        categorical=model.categorical,
        params={k: v for k, v in model.params.items()},
        calibration=model.calibrator.to_dict(),
        scale=asdict(model.scale),
        window=window,
        train_from=_date(window.get("train_from")),
        train_to=_date(window.get("train_to")),
        data_as_of=data_as_of,
        data_hash=model.data_hash,
        metrics=model.metrics,
        trained_by_id=user.id if user else None,
    )
    db.session.add(row)
    db.session.flush()
    record_event(
        "score_model.train",
        "score_model",
        row.id,
        f"训练违约风险模型 v{row.id}",
        {"auc": model.metrics.get("auc"), "rows": model.metrics.get("rows")},
        user=user,
    )
    return row


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


_loaded: dict[tuple[int, str], TrainedModel] = {}


def load_model(row: ScoreModel) -> TrainedModel:
    """The stored model, ready to score: the same trees on every worker. A stored model
    never changes, so each process parses it once (keyed by id and data hash, which also
    tells apart two databases that both have a version 1)."""
    key = (row.id, row.data_hash)
    if key not in _loaded:
        _loaded[key] = _parse(row)
    return _loaded[key]


def active_model_key(subject_type: str) -> tuple[int, str] | None:
    """(id, data hash) of the active model of the type: the key `load_model` caches by,
    without reading the stored model text (megabytes with hundreds of trees)."""
    found = db.session.execute(
        select(ScoreModel.id, ScoreModel.data_hash)
        .join(ScoreModelActivation, ScoreModelActivation.model_id == ScoreModel.id)
        .where(
            ScoreModelActivation.subject_type == subject_type,
            ScoreModelActivation.ended_at.is_(None),
        )
    ).first()
    return None if found is None else (found.id, found.data_hash)


def load_model_by_key(key: tuple[int, str]) -> TrainedModel:
    """`load_model` from its key: the row is read only the first time in this process."""
    if key not in _loaded:
        row = db.session.get(ScoreModel, key[0])
        if row is None:
            raise LookupError(f"score model {key[0]} does not exist")
        _loaded[key] = _parse(row)
    return _loaded[key]


def _parse(row: ScoreModel) -> TrainedModel:
    return TrainedModel(
        booster=lgb.Booster(model_str=row.model_text),
        features=list(row.features),
        calibrator=Calibrator.from_dict(row.calibration),
        scale=PointsScale(**row.scale),
        params=dict(row.params),
        metrics=dict(row.metrics),
        window=dict(row.window),
        data_hash=row.data_hash,
        categorical=list(row.categorical),
    )


def active_model(subject_type: str) -> ScoreModel | None:
    return db.session.scalar(
        select(ScoreModel)
        .join(ScoreModelActivation, ScoreModelActivation.model_id == ScoreModel.id)
        .where(
            ScoreModelActivation.subject_type == subject_type,
            ScoreModelActivation.ended_at.is_(None),
        )
    )


def promote(model: ScoreModel, subject_type: str, user: User | None, reason: str) -> None:
    """Make `model` the active one for `subject_type`; the caller commits."""
    reason = (reason or "").strip()
    if not reason:
        raise RegistryRefused(N_("请填写启用或回退模型的理由。"))
    if subject_type not in model.subject_types:
        raise RegistryRefused(N_("该模型不适用于这一主体类别。"))
    current = active_model(subject_type)
    if current is not None and current.id == model.id:
        raise RegistryRefused(N_("该模型已是这一主体类别的启用模型。"))
    # Close the current activation with a conditional update: two offices promoting at once
    # cannot both succeed (the partial unique index refuses the second insert).
    db.session.execute(
        update(ScoreModelActivation)
        .where(
            ScoreModelActivation.subject_type == subject_type,
            ScoreModelActivation.ended_at.is_(None),
        )
        .values(ended_at=utcnow())
    )
    db.session.add(
        ScoreModelActivation(
            subject_type=subject_type,
            model_id=model.id,
            reason=reason,
            activated_by_id=user.id if user else None,
        )
    )
    db.session.flush()
    record_event(
        "score_model.promote",
        "score_model",
        model.id,
        f"启用违约风险模型 v{model.id}（{subject_type}）",
        {
            "subject_type": subject_type,
            "model": [current.id if current else None, model.id],
            "reason": reason,
        },
        user=user,
    )


def rollback(subject_type: str, user: User | None, reason: str) -> ScoreModel:
    """Re-activate the model that was active before the current one."""
    history = db.session.scalars(
        select(ScoreModelActivation)
        .where(ScoreModelActivation.subject_type == subject_type)
        .order_by(ScoreModelActivation.activated_at.desc(), ScoreModelActivation.id.desc())
    ).all()
    current = history[0].model_id if history and history[0].ended_at is None else None
    previous = next((a.model for a in history[1:] if a.model_id != current), None)
    if previous is None:
        raise RegistryRefused(N_("没有可回退的上一个模型。"))
    promote(previous, subject_type, user, reason)
    return previous

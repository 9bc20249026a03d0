"""Reads behind the model pages: which model is active per type, the latest population
stability a scoring run measured for a model, recent runs, township names."""

from sqlalchemy import select

from models import (
    Region,
    RegionLevel,
    ScoreJob,
    ScoreModel,
    ScoreModelActivation,
    db,
)


def active_models() -> dict[str, ScoreModel]:
    """subject type -> its active model."""
    rows = db.session.execute(
        select(ScoreModelActivation.subject_type, ScoreModel)
        .join(ScoreModel, ScoreModel.id == ScoreModelActivation.model_id)
        .where(ScoreModelActivation.ended_at.is_(None))
    ).all()
    return {kind: model for kind, model in rows}


def latest_stability(model_id: int, look_back: int = 50) -> dict[str, tuple[ScoreJob, dict]]:
    """subject type -> (the newest finished scoring run that scored it with this model, the
    PSI per column it measured against the model's training data)."""
    runs = db.session.scalars(
        select(ScoreJob)
        .where(ScoreJob.kind == "score", ScoreJob.status == "done")
        .order_by(ScoreJob.id.desc())
        .limit(look_back)
    ).all()
    found: dict[str, tuple[ScoreJob, dict]] = {}
    for run in runs:
        for kind, used in (run.result or {}).get("models", {}).items():
            if used == model_id and kind not in found:
                found[kind] = (run, run.result.get("stability", {}).get(kind, {}))
    return found


def recent_jobs(limit: int = 10) -> list[ScoreJob]:
    return list(db.session.scalars(select(ScoreJob).order_by(ScoreJob.id.desc()).limit(limit)))


def township_names() -> dict[str, str]:
    """9-digit township code -> name, as the report's per-township table is keyed."""
    rows = db.session.execute(
        select(Region.code, Region.name).where(Region.level == RegionLevel.TOWNSHIP)
    ).all()
    return {code[:9]: name for code, name in rows}

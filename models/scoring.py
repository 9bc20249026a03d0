"""The default-risk score's model registry and stored scores (issue 14 points 8 and 9).

Each trained model is stored whole (LightGBM model text, features, parameters, calibration,
points scale, training window, a hash of the training data, metrics, who trained it), so
every worker and machine scores with the same model. Which model is active for a subject
type is a row of `score_model_activations`: promoting or rolling back closes the current
row and opens a new one with the written reason, so the history stays. Every stored score
names the model and the as-of date that made it; scores are appended, never overwritten.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .users import User


class ScoreModel(db.Model):
    __tablename__ = "score_models"

    id: Mapped[int] = mapped_column(primary_key=True)  # the model version
    subject_types: Mapped[list[str]] = mapped_column(JSON, default=list)  # types it covers
    model_text: Mapped[str] = mapped_column(Text)  # LightGBM Booster.model_to_string()
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    categorical: Mapped[list[str]] = mapped_column(JSON, default=list)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    calibration: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scale: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    window: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # train/valid/test dates
    train_from: Mapped[date | None] = mapped_column(default=None)
    train_to: Mapped[date | None] = mapped_column(default=None)
    data_as_of: Mapped[date | None] = mapped_column(default=None)
    data_hash: Mapped[str] = mapped_column(String(64), default="")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trained_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trained_by: Mapped[User | None] = relationship()


class ScoreModelActivation(db.Model):
    """A model active for one subject type from `activated_at` until `ended_at`."""

    __tablename__ = "score_model_activations"
    __table_args__ = (
        # One active model per subject type.
        Index(
            "uq_score_model_activations_current",
            "subject_type",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(12))
    model_id: Mapped[int] = mapped_column(ForeignKey("score_models.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    activated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    activated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)

    model: Mapped[ScoreModel] = relationship(lazy="joined")


class CreditScore(db.Model):
    """One subject's score as of a date, by one model version, with its reasons."""

    __tablename__ = "credit_scores"
    __table_args__ = (Index("ix_credit_scores_subject", "subject_type", "subject_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[int]
    model_id: Mapped[int] = mapped_column(ForeignKey("score_models.id"), index=True)
    as_of: Mapped[date]
    probability: Mapped[float] = mapped_column(Float)
    points: Mapped[int] = mapped_column(SmallInteger)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreJob(db.Model):
    """A training or county scoring run started from the model pages (issue 14 point 4): on
    an RQ worker when Redis is configured, inline otherwise. Its progress is kept here, so
    the page polls one row whoever runs it; a scoring run keeps the population stability
    (PSI) it measured against each active model's training data."""

    __tablename__ = "score_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # train / score
    status: Mapped[str] = mapped_column(String(8), default="queued")  # queued/running/done/failed
    fraction: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str] = mapped_column(String(60), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    as_of: Mapped[date]
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    job_id: Mapped[str | None] = mapped_column(String(64), default=None)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("score_models.id"), default=None)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    requested_by: Mapped[User | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

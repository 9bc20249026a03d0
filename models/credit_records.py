"""Positive (荣誉) and negative (不良记录) records attached to a household or an entity."""

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import db

POSITIVE = "positive"
NEGATIVE = "negative"


class CreditRecord(db.Model):
    __tablename__ = "credit_records"
    __table_args__ = (
        CheckConstraint(
            "(household_id IS NULL) <> (entity_id IS NULL)", name="exactly_one_subject"
        ),
        CheckConstraint("polarity IN ('positive', 'negative')", name="polarity_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True, default=None
    )
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("agri_entities.id", ondelete="CASCADE"), index=True, default=None
    )
    polarity: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200))
    occurred_on: Mapped[date]
    ended_on: Mapped[date | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(40), default="")

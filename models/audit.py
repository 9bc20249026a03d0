"""The audit journal: every change to a credit file and every look at sensitive data."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .users import User


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column(default=None)
    # The version of the file this change produced, so an edit refused as stale can list
    # exactly the changes made since its form was opened.
    subject_version: Mapped[int | None] = mapped_column(default=None)
    summary: Mapped[str] = mapped_column(String(200), default="")
    # {"field": [before, after]} for edits; free-form context for access events.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(45), default=None)

    user: Mapped[User | None] = relationship(lazy="joined")

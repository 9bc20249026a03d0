"""The village's and the offices' own steps: a household the cadre flags
for re-check during 村级初评 (with a note for the credit office), and a reminder an office
sends a village that has not published its results yet (a task on the cadre's dashboard), and
an office's request that a village build the file of an ID number its departmental data
holds but no file has."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .users import User


class RecheckFlag(db.Model):
    """A proposed result the village asks the credit office to re-check before it stands."""

    __tablename__ = "recheck_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(
        ForeignKey("rating_results.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str] = mapped_column(Text)
    flagged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution: Mapped[str] = mapped_column(Text, default="")

    flagged_by: Mapped[User] = relationship(foreign_keys=[flagged_by_id], lazy="joined")


class VillageReminder(db.Model):
    """An office's reminder to a village whose results of a run are not published yet."""

    __tablename__ = "village_reminders"
    __table_args__ = (Index("ix_village_reminders_village_run", "village_code", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rating_runs.id", ondelete="CASCADE"))
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    message: Mapped[str] = mapped_column(Text, default="")
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    sent_by: Mapped[User] = relationship(foreign_keys=[sent_by_id], lazy="joined")


class FileRequest(db.Model):
    """为此证件号建档: a credit office asks a village's cadre to build the file of a subject
    its departmental data holds under an ID number no file has yet. Done once a file of the
    village holds the key (computed, never written)."""

    __tablename__ = "file_requests"
    __table_args__ = (Index("ix_file_requests_village_code", "village_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_key_id: Mapped[int] = mapped_column(
        ForeignKey("subject_keys.id", ondelete="CASCADE"), index=True
    )
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")

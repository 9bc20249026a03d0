"""Large exports made in the background (issue 12 point 19): a run's results for a county
take seconds to write, so above a size threshold the request only queues an `ExportJob`; an
RQ worker (or the request itself, without Redis) writes the file into the instance folder,
and the job page offers it for download once it is ready. The row keeps who asked and for
which scope, so only that user fetches the file, and only while the run is still his to see.
"""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .ratings import RatingRun
from .users import User


class ExportJob(db.Model):
    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # rating_results
    status: Mapped[str] = mapped_column(String(8), default="queued")  # queued/running/done/failed
    fraction: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str] = mapped_column(String(60), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    run_id: Mapped[int] = mapped_column(ForeignKey("rating_runs.id"), index=True)
    # The requester's scope when he asked: the file holds that scope's rows only.
    scope_code: Mapped[str] = mapped_column(String(12))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(200), default="")  # the download's name
    fallback: Mapped[str] = mapped_column(String(200), default="")  # its ASCII name
    stored_as: Mapped[str | None] = mapped_column(String(80), default=None)  # in instance/exports
    job_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    run: Mapped[RatingRun] = relationship()
    requested_by: Mapped[User] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

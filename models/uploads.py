"""A spreadsheet a cadre uploaded: kept until imported so errors can be reviewed and marked."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .base import db, utcnow


class UploadBatch(db.Model):
    __tablename__ = "upload_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # e.g. "households"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scope_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    status: Mapped[str] = mapped_column(String(20), default="checked")  # checked/imported
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_valid: Mapped[int] = mapped_column(default=0)
    rows_inserted: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_unchanged: Mapped[int] = mapped_column(default=0)
    # [{"sheet": ..., "row": ..., "column": ..., "message": ...}]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(default=None)

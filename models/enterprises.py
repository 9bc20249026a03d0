"""中小微企业 SME files: the subjects of 信易贷 that are not agricultural entities."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .households import Money
from .regions import Region


class Enterprise(db.Model):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    industry: Mapped[str] = mapped_column(String(40), default="")
    # The most precise region known: a village, a township or the county itself.
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    legal_representative: Mapped[str] = mapped_column(String(30), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    registered_capital: Mapped[Decimal | None] = mapped_column(Money, default=None)
    founded_on: Mapped[date | None] = mapped_column(default=None)
    employees: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Bumped by every save of the file; an edit form carries the version it was opened on and
    # the save is a conditional UPDATE on it, so a stale form cannot overwrite a newer save.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    region: Mapped[Region] = relationship(lazy="joined")

"""The bank API's credentials and their log: per-bank API tokens (only a SHA-256 of the
secret is kept; the secret is shown once) and every call made with one."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .i18n import N_
from .loans import Bank
from .users import User

API_SCOPE_LABELS = {
    "products:read": N_("读取本行产品"),
    "products:write": N_("修改本行产品"),
    "needs:read": N_("读取匹配的融资需求"),
    "portrait:read": N_("读取已授权申请人的画像"),
    "claims:write": N_("抢单"),
    "decisions:write": N_("作出审批决定"),
    "outcomes:write": N_("报送放款与还款情况"),
    "village_lines:read": N_("读取本行整村授信额度"),
}


class ApiToken(db.Model):
    """A bank's API token. It acts for one officer (`created_by`) inside his bank: the
    officer who made it, or the one the county credit office issued it for (`issued_by`)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    # sha256 hex of the secret: a leaked table does not give working tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The secret's first characters, so a bank can tell its tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the officer it acts for
    # The county office user who issued it on the bank's behalf; None when the officer made it.
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    bank: Mapped[Bank] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])

    def usable(self, at: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)


class ApiTokenUse(db.Model):
    """One call made with a token: which endpoint, and what the API answered."""

    __tablename__ = "api_token_uses"
    __table_args__ = (Index("ix_api_token_uses_token_at", "token_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    endpoint: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8))
    status: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)

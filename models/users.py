"""Platform users, their role and the region node that bounds what they see."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import db, utcnow
from .i18n import N_
from .regions import Region

if TYPE_CHECKING:
    from .loans import Bank


class Role(StrEnum):
    CADRE = "cadre"  # 村干部
    OFFICE = "office"  # 乡镇 / 县信用办
    APPLICANT = "applicant"  # 企业 / 农户
    OFFICER = "officer"  # 银行信贷员


ROLE_LABELS = {
    Role.CADRE: N_("村干部"),
    Role.OFFICE: N_("信用办"),
    Role.APPLICANT: N_("企业/农户"),
    Role.OFFICER: N_("银行信贷员"),
}


class Permission(StrEnum):
    EDIT_FILES = "files.edit"
    REVEAL_ID = "id.reveal"
    MANAGE_USERS = "users.manage"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CADRE: frozenset({Permission.EDIT_FILES}),
    Role.OFFICE: frozenset({Permission.EDIT_FILES, Permission.REVEAL_ID, Permission.MANAGE_USERS}),
    Role.APPLICANT: frozenset(),
    Role.OFFICER: frozenset(),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    scope_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    organisation: Mapped[str | None] = mapped_column(String(100), default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every session and remember-me cookie (`get_id`): raising it on logout, a
    # password change or disabling the account ends all of the user's sessions at once.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # An applicant logs in as one subject (household / entity / enterprise): the file whose
    # own data, grade, objections and financing needs are hers. Empty for the other roles.
    subject_type: Mapped[str | None] = mapped_column(String(12), default=None)
    subject_id: Mapped[int | None] = mapped_column(default=None)
    # A bank officer's bank (its products, claims and authorisations are his scope);
    # `organisation` keeps the text shown next to his name.
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), default=None, index=True)
    # Consecutive wrong passwords, and the lock they earn (auth.accounts).
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(default=None)

    scope: Mapped[Region] = relationship(lazy="joined")
    bank: Mapped["Bank | None"] = relationship(foreign_keys=[bank_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What Flask-Login stores in the session and the remember-me cookie."""
        return f"{self.id}:{self.session_version}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[Role(self.role)]

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

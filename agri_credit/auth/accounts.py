"""Signing in and ending sessions: password checks with a lock after repeated failures,
the same work for unknown names, and one switch that ends every session of a user."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from agri_credit.audit import record_event
from models import User, db, utcnow


@dataclass(frozen=True)
class LoginPolicy:
    lockout_failures: int  # consecutive wrong passwords that lock the account
    lockout: timedelta  # how long the lock lasts


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None  # set when the user may be signed in
    refusal: str | None = None  # why not, in Chinese


@cache
def _dummy_hash() -> str:
    # Hashed with the same method and cost as real passwords, so checking against it takes
    # as long as checking a real user's: the answer time does not reveal which names exist.
    return generate_password_hash("no user has this password")


def authenticate(username: str, password: str, policy: LoginPolicy) -> LoginOutcome:
    """Check a login attempt and journal every failure and lock. The caller commits."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        record_event(
            "auth.login_failed", "user", None, _("登录失败：用户名不存在"), {"username": username}
        )
        return LoginOutcome(None, _("用户名或密码错误"))
    now = utcnow()
    password_ok = user.check_password(password)  # also when locked: the same time either way
    if user.locked_until is not None and user.locked_until > now:
        record_event("auth.login_locked", "user", user.id, _("账号锁定期间尝试登录"))
        return LoginOutcome(None, _locked_message(user.locked_until, now))
    if not password_ok:
        return _count_failure(user, now, policy)
    if not user.active:
        return LoginOutcome(None, _("该账号已停用，请联系信用办"))
    user.failed_logins = 0
    user.locked_until = None
    return LoginOutcome(user)


def _count_failure(user: User, now: datetime, policy: LoginPolicy) -> LoginOutcome:
    # Incremented in SQL so two simultaneous wrong guesses both count.
    user.failed_logins = User.failed_logins + 1
    db.session.flush()
    failures = user.failed_logins
    record_event(
        "auth.login_failed", "user", user.id, _("登录失败：密码错误"), {"failures": failures}
    )
    if failures < policy.lockout_failures:
        return LoginOutcome(None, _("用户名或密码错误"))
    user.locked_until = now + policy.lockout
    user.failed_logins = 0  # after the lock, a fresh allowance
    record_event(
        "auth.account_locked",
        "user",
        user.id,
        _("连续 %(n)s 次密码错误，账号锁定", n=failures),
        {"locked_until": user.locked_until.isoformat()},
    )
    return LoginOutcome(None, _locked_message(user.locked_until, now))


def _locked_message(locked_until: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((locked_until - now).total_seconds() / 60))
    return _("密码错误次数过多，账号已锁定，请 %(minutes)s 分钟后再试", minutes=minutes)


def end_all_sessions(user: User) -> None:
    """Every session and remember-me cookie of this user stops working at its next request
    (they carry the old version). The caller commits."""
    user.session_version = User.session_version + 1
    db.session.flush()


def change_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    end_all_sessions(user)
    record_event("auth.password_changed", "user", user.id, _("修改密码，已退出其他登录"))


def disable_user(user: User) -> None:
    user.active = False
    end_all_sessions(user)
    record_event("auth.user_disabled", "user", user.id, _("停用账号 %(name)s", name=user.username))


def user_for_session(session_id: str) -> User | None:
    """The user a session or remember-me cookie names, if that session is still valid:
    same session version, account active."""
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit() and len(user_id) < 11):
        return None  # also every cookie from before session versions
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user

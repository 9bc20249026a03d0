"""Per-bank API tokens: made with a random secret that is shown once, stored as its SHA-256,
scoped, revocable, and acting for one officer inside his bank — the officer who made the
token, or the one the county credit office issued it for."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from agri_credit.audit import record_event
from loans.access import is_county_office
from models import API_SCOPE_LABELS, ApiToken, ApiTokenUse, Role, User, db, utcnow

SCOPES = tuple(API_SCOPE_LABELS)
SECRET_PREFIX = "acb_"  # agri-credit bank: lets secret scanners recognise a leaked token


class TokenRefused(ValueError):
    """A token request the rules refuse; the message is Chinese."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown to the officer once, never stored


def create_token(user: User, name: str, scopes: list[str]) -> NewToken:
    """A new token of the officer's bank with the given scopes, acting for him."""
    if user.role != Role.OFFICER or user.bank_id is None:
        raise TokenRefused("只有银行信贷员可以创建本行的接口令牌")
    return _new_token(user, name, scopes, issuer=None)


def issue_token(office: User, officer: User, name: str, scopes: list[str]) -> NewToken:
    """The county credit office issues a bank a token acting for one of its active officers
    (a bank whose own staff cannot, or a first connection set up with the office)."""
    if not is_county_office(office):
        raise TokenRefused("只有县级信用办可以为银行签发接口令牌")
    if officer.role != Role.OFFICER or officer.bank_id is None or not officer.active:
        raise TokenRefused("请选择该银行在职的信贷员，令牌以其身份调用接口")
    return _new_token(officer, name, scopes, issuer=office)


def _new_token(officer: User, name: str, scopes: list[str], issuer: User | None) -> NewToken:
    chosen = [s for s in SCOPES if s in set(scopes)]
    if not chosen or len(chosen) != len(set(scopes)):
        raise TokenRefused("请选择有效的权限范围")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        bank_id=officer.bank_id,
        name=name.strip()[:60],
        token_hash=hash_secret(secret),
        prefix=secret[:12],
        scopes=chosen,
        created_by_id=officer.id,
        issued_by_id=issuer.id if issuer else None,
        created_at=utcnow(),
    )
    db.session.add(token)
    db.session.flush()
    record_event(
        "api_token.issue" if issuer else "api_token.create",
        "api_token",
        token.id,
        summary=token.name,
        changes={"bank_id": token.bank_id, "scopes": chosen, "acts_for": officer.id},
        user=issuer or officer,
    )
    return NewToken(token, secret)


def bank_tokens(bank_id: int) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.bank_id == bank_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def bank_token_or_none(token_id: int, bank_id: int) -> ApiToken | None:
    """Another bank's token does not exist for this bank (404)."""
    token = db.session.get(ApiToken, token_id)
    return token if token is not None and token.bank_id == bank_id else None


def revoke_token(token: ApiToken, user: User) -> bool:
    """Revoke at once (a conditional update: a double click revokes once)."""
    moved = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(token)
    if moved:
        record_event("api_token.revoke", "api_token", token.id, summary=token.name, user=user)
    return moved == 1


def authenticate(secret: str, now: datetime) -> ApiToken | None:
    """The usable token with this secret, or None. A token stops working when revoked,
    expired, or when its officer no longer works for the bank or is deactivated."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not token.usable(now):
        return None
    officer = token.created_by
    if not officer.active or officer.role != Role.OFFICER or officer.bank_id != token.bank_id:
        return None
    return token


def log_call(token: ApiToken, endpoint: str, method: str, status: int, now: datetime) -> None:
    """Write one call to the token's use log and note when it was last used."""
    db.session.add(
        ApiTokenUse(
            token_id=token.id, endpoint=endpoint[:200], method=method, status=status, at=now
        )
    )
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def recent_uses(token_ids: list[int], limit: int = 20) -> list[ApiTokenUse]:
    if not token_ids:
        return []
    return list(
        db.session.scalars(
            select(ApiTokenUse)
            .where(ApiTokenUse.token_id.in_(token_ids))
            .order_by(ApiTokenUse.at.desc(), ApiTokenUse.id.desc())
            .limit(limit)
        )
    )

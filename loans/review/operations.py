"""Claims (抢单), decisions and review requests: short named operations, each moving a record
from one state to the next with a conditional update so that a double click or a second
bank cannot run it twice. The caller commits."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from agri_credit.audit import record_event
from agri_credit.deadlines import add_working_days
from loans.scoring.current import current_score
from models import (
    NEED_APPROVED,
    DecisionOutcome,
    FinancingNeed,
    LoanDecision,
    NeedClaim,
    NeedStatus,
    User,
    db,
    utc_start_of,
    utcnow,
)

from .queue import in_queue

DEFAULT_CLAIM_WORKING_DAYS = 3


class ClaimRefused(ValueError):
    """The need cannot be claimed now; the message is Chinese."""


class DecisionRefused(ValueError):
    """The decision is not allowed now; the message is Chinese."""


class ReviewRefused(ValueError):
    """The review request is not allowed; the message is Chinese."""


def claim_deadline(today: date, working_days: int) -> datetime:
    """A claim holds to the end of its last working day (county calendar), in naive UTC."""
    return utc_start_of(add_working_days(today, working_days) + timedelta(days=1))


def holding_claim(need_id: int, now: datetime) -> NeedClaim | None:
    """The claim that holds the need now, whichever bank made it, or None (in the pool)."""
    return db.session.scalar(
        select(NeedClaim).where(
            NeedClaim.need_id == need_id,
            NeedClaim.released_at.is_(None),
            NeedClaim.claimed_until > now,
        )
    )


def claim(
    need: FinancingNeed,
    officer: User,
    product_id: int | None,
    today: date,
    now: datetime,
    working_days: int = DEFAULT_CLAIM_WORKING_DAYS,
) -> datetime:
    """Claim an open need for the officer's bank until the end of `working_days` working
    days; it returns to the pool by itself afterwards. Returns the deadline."""
    if need.status != NeedStatus.OPEN:
        raise ClaimRefused("该融资需求已不在对接中")
    # A bank that claimed or decided before still reaches the need, but may claim it again
    # only while it is in its queue: matched, authorised now, and not held by another bank.
    if not in_queue(officer.bank_id, need.id, now):
        raise ClaimRefused("该需求已不在本行的待对接列表中（未授权、已结束或已被他行抢单）")
    until = claim_deadline(today, working_days)
    values = {
        "bank_id": officer.bank_id,
        "officer_id": officer.id,
        "product_id": product_id,
        "claimed_at": now,
        "claimed_until": until,
        "released_at": None,
    }
    taken = db.session.execute(
        update(NeedClaim)
        .where(
            NeedClaim.need_id == need.id,
            or_(NeedClaim.released_at.is_not(None), NeedClaim.claimed_until <= now),
        )
        .values(**values)
    ).rowcount
    if not taken:
        holder = holding_claim(need.id, now)
        if holder is not None:
            raise ClaimRefused(
                "本行已抢单" if holder.bank_id == officer.bank_id else "该需求已被其他银行抢单"
            )
        try:
            with db.session.begin_nested():
                db.session.execute(insert(NeedClaim).values(need_id=need.id, **values))
        except IntegrityError as error:  # another bank's first claim won the race
            raise ClaimRefused("该需求已被其他银行抢单") from error
    db.session.expire_all()
    record_event(
        "need.claim",
        "financing_need",
        need.id,
        summary=f"抢单至 {until.isoformat(timespec='minutes')}",
        changes={"bank_id": officer.bank_id, "product_id": product_id},
        user=officer,
    )
    return until


def _release(need_id: int, bank_id: int, now: datetime) -> None:
    db.session.execute(
        update(NeedClaim)
        .where(NeedClaim.need_id == need_id, NeedClaim.bank_id == bank_id)
        .values(released_at=now)
    )


@dataclass(frozen=True)
class DecisionInput:
    outcome: str
    amount: Decimal | None = None
    rate: Decimal | None = None
    term_months: int | None = None
    reason_code: str | None = None
    reason_text: str = ""


def decide(need: FinancingNeed, officer: User, data: DecisionInput, now: datetime) -> LoanDecision:
    """Record the officer's decision. Only the bank holding the claim decides. Approval
    takes the need out of the pool; a rejection releases it to other banks; a request for
    more material keeps the claim. The score the officer saw is kept as advice."""
    holder = holding_claim(need.id, now)
    if holder is None or holder.bank_id != officer.bank_id:
        raise DecisionRefused("请先抢单，抢单有效期内才能作出决定")
    if need.status != NeedStatus.OPEN:
        raise DecisionRefused("该融资需求已不在对接中")
    outcome = DecisionOutcome(data.outcome)
    score = current_score(need.subject_type, need.subject_id)
    decision = LoanDecision(
        need_id=need.id,
        bank_id=officer.bank_id,
        product_id=holder.product_id,
        officer_id=officer.id,
        outcome=outcome.value,
        amount=data.amount if outcome == DecisionOutcome.APPROVED else None,
        rate=data.rate if outcome == DecisionOutcome.APPROVED else None,
        term_months=data.term_months if outcome == DecisionOutcome.APPROVED else None,
        reason_code=data.reason_code if outcome == DecisionOutcome.REJECTED else None,
        reason_text=(data.reason_text or "").strip(),
        score_points=score.points if score else None,
        score_model_version=score.model_version if score else None,
        decided_at=now,
    )
    if outcome == DecisionOutcome.APPROVED:
        moved = db.session.execute(
            update(FinancingNeed)
            .where(FinancingNeed.id == need.id, FinancingNeed.status == NeedStatus.OPEN.value)
            .values(status=NEED_APPROVED, version=FinancingNeed.version + 1)
        ).rowcount
        if not moved:
            raise DecisionRefused("该融资需求已不在对接中")
    if outcome != DecisionOutcome.MORE_MATERIAL:
        _release(need.id, officer.bank_id, now)
    db.session.add(decision)
    db.session.flush()
    record_event(
        f"need.decision.{outcome.value}",
        "financing_need",
        need.id,
        summary=f"{outcome.value} {data.reason_code or ''}".strip(),
        changes={
            "decision_id": decision.id,
            "amount": str(decision.amount) if decision.amount is not None else None,
            "rate": str(decision.rate) if decision.rate is not None else None,
            "term_months": decision.term_months,
            "score_points": decision.score_points,
        },
        user=officer,
    )
    return decision


def request_review(decision: LoanDecision, note: str, user: User) -> None:
    """The applicant asks for a person to review a rejection (PIPL art. 24); asked once."""
    if decision.outcome != DecisionOutcome.REJECTED:
        raise ReviewRefused("只有被拒绝的申请可以申请人工复核")
    moved = db.session.execute(
        update(LoanDecision)
        .where(LoanDecision.id == decision.id, LoanDecision.review_requested_at.is_(None))
        .values(review_requested_at=utcnow(), review_note=note)
    ).rowcount
    if not moved:
        raise ReviewRefused("已申请过人工复核，请等待银行答复")
    record_event("need.review_requested", "financing_need", decision.need_id, user=user)

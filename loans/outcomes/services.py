"""Recording repayment events of loans approved on the platform (their labels for the score:
`loans.scoring.platform_outcomes`)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from agri_credit.audit import record_event
from models import (
    DecisionOutcome,
    LoanDecision,
    RepaymentEvent,
    RepaymentKind,
    User,
    db,
)


class EventRefused(ValueError):
    """The event does not fit the loan's history; the message is Chinese."""


@dataclass(frozen=True)
class EventInput:
    kind: str
    occurred_on: date
    amount: Decimal | None = None
    days_overdue: int | None = None
    note: str = ""


def events_of(decision_id: int) -> list[RepaymentEvent]:
    return list(
        db.session.scalars(
            select(RepaymentEvent)
            .where(RepaymentEvent.decision_id == decision_id)
            .order_by(RepaymentEvent.occurred_on, RepaymentEvent.id)
        )
    )


def record(decision: LoanDecision, officer: User, data: EventInput, today: date) -> RepaymentEvent:
    """Add one event to an approved loan of the officer's bank: the disbursement first, once;
    nothing after it is settled; never a date in the future or before the disbursement."""
    if decision.outcome != DecisionOutcome.APPROVED or decision.bank_id != officer.bank_id:
        raise EventRefused("只能登记本行已批准贷款的放款和还款情况")
    kind = RepaymentKind(data.kind)
    history = events_of(decision.id)
    disbursed = next((e for e in history if e.kind == RepaymentKind.DISBURSED), None)
    if data.occurred_on > today:
        raise EventRefused("日期不能晚于今天")
    if kind == RepaymentKind.DISBURSED and disbursed is not None:
        raise EventRefused("该笔贷款已登记放款")
    if kind != RepaymentKind.DISBURSED and disbursed is None:
        raise EventRefused("请先登记放款")
    if disbursed is not None and data.occurred_on < disbursed.occurred_on:
        raise EventRefused("日期不能早于放款日期")
    if any(e.kind == RepaymentKind.SETTLED for e in history):
        raise EventRefused("该笔贷款已结清")
    event = RepaymentEvent(
        decision_id=decision.id,
        kind=kind.value,
        occurred_on=data.occurred_on,
        amount=data.amount,
        days_overdue=data.days_overdue if kind == RepaymentKind.OVERDUE else None,
        note=data.note.strip(),
        recorded_by_id=officer.id,
    )
    db.session.add(event)
    db.session.flush()
    record_event(
        f"loan.{kind.value}",
        "loan_decision",
        decision.id,
        summary=f"{kind.value} {data.occurred_on.isoformat()}",
        changes={"days_overdue": event.days_overdue, "amount": str(data.amount or "")},
        user=officer,
    )
    return event

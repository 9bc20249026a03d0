"""Outcomes of loans approved on the platform (issue 15 point 5): the officer records the
disbursement and each repayment event through the pages; they become default labels."""

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from loans.scoring.labels import LabelRules
from loans.scoring.platform_outcomes import outcome_frame, outcome_labels
from models import LoanDecision, RepaymentEvent, clock, db
from tests import factories as f
from tests import loans_factories as lf
from tests.conftest import csrf_token, login


@pytest.fixture
def loan(users, cipher):
    cadre = users["cadre"]
    yang = f.make_household(cipher, cadre, head_name="杨建国")
    bank = lf.make_bank()
    users["officer"].bank_id = bank.id
    lf.make_officer("officer_b", lf.make_bank("富平县邮储银行", "邮储银行"))
    need = lf.make_need("household", yang.id, f.VILLAGE_A, cadre)
    decision = LoanDecision(
        need_id=need.id,
        bank_id=bank.id,
        officer_id=users["officer"].id,
        outcome="approved",
        amount=Decimal("50000"),
        rate=Decimal("4.35"),
        term_months=12,
    )
    db.session.add(decision)
    db.session.commit()
    return decision


def post_event(client, decision_id: int, **data):
    page = f"/officer/loans/{decision_id}"
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(f"{page}/events", data={**data, "csrf_token": token})


def events() -> list[tuple[str, int | None]]:
    rows = db.session.execute(
        select(RepaymentEvent.kind, RepaymentEvent.days_overdue).order_by(RepaymentEvent.id)
    )
    return [tuple(r) for r in rows]


def test_the_officer_records_disbursement_then_repayments(client, loan, csrf_on):
    login(client, "officer")
    assert f'data-decision="{loan.id}"' in client.get("/officer/loans").get_data(as_text=True)
    today = clock.today()
    early = (today - timedelta(days=60)).isoformat()
    refused = post_event(client, loan.id, kind="on_time", occurred_on=early)
    assert refused.status_code == 400 and "请先登记放款" in refused.get_data(as_text=True)
    post_event(client, loan.id, kind="disbursed", occurred_on=early, amount="50000")
    bad = post_event(client, loan.id, kind="overdue", occurred_on=today.isoformat())
    assert bad.status_code == 400 and "逾期时请填写逾期天数" in bad.get_data(as_text=True)
    post_event(client, loan.id, kind="overdue", occurred_on=today.isoformat(), days_overdue="15")
    future = post_event(
        client, loan.id, kind="on_time", occurred_on=(today + timedelta(days=1)).isoformat()
    )
    assert future.status_code == 400
    assert events() == [("disbursed", None), ("overdue", 15)]
    page = client.get(f"/officer/loans/{loan.id}").get_data(as_text=True)
    assert "放款" in page and "15 天" in page


def test_another_bank_cannot_see_or_record_the_loan(client, loan):
    login(client, "officer_b")
    assert client.get(f"/officer/loans/{loan.id}").status_code == 404
    assert (
        client.post(f"/officer/loans/{loan.id}/events", data={"kind": "default"}).status_code == 404
    )
    assert f'data-decision="{loan.id}"' not in client.get("/officer/loans").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RepaymentEvent)) == 0


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "decision_id": d,
                "kind": k,
                "occurred_on": on,
                "amount": None,
                "days_overdue": days,
                "subject_type": "household",
                "subject_id": d,
                "approved_amount": Decimal("50000"),
            }
            for d, k, on, days in rows
        ]
    )


def test_events_become_default_labels_once_the_window_has_ended():
    rules = LabelRules(window_months=12, overdue_days=90)
    events = frame(
        [
            (1, "disbursed", date(2025, 1, 10), None),
            (1, "overdue", date(2025, 6, 1), 95),  # 90+ days inside the window: default
            (2, "disbursed", date(2025, 1, 10), None),
            (2, "overdue", date(2025, 3, 1), 30),
            (2, "settled", date(2025, 9, 1), None),  # repaid: no default
            (3, "disbursed", date(2025, 1, 10), None),
            (3, "default", date(2026, 3, 1), None),  # after the window: not this label
            (4, "disbursed", date(2025, 11, 1), None),  # window not over yet: unlabelled
        ]
    )
    labels = outcome_labels(events, date(2026, 6, 30), rules)
    assert dict(zip(labels["loan"], labels["default"], strict=True)) == {
        "platform/1": 1,
        "platform/2": 0,
        "platform/3": 0,
    }
    assert (labels["amount"] == 50000.0).all()


def test_recorded_events_are_read_for_training(loan, users):
    db.session.add_all(
        [
            RepaymentEvent(
                decision_id=loan.id,
                kind="disbursed",
                occurred_on=date(2025, 1, 5),
                recorded_by_id=users["officer"].id,
            ),
            RepaymentEvent(
                decision_id=loan.id,
                kind="default",
                occurred_on=date(2025, 8, 5),
                recorded_by_id=users["officer"].id,
            ),
        ]
    )
    db.session.commit()
    labels = outcome_labels(outcome_frame(date(2026, 6, 30)), date(2026, 6, 30), LabelRules())
    assert labels["default"].tolist() == [1]

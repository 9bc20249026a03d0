"""信易贷统计 through its page and export: a small county seeded by hand, every expected
figure counted by hand from those rows (see the table in `world`'s docstring)."""

import re
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditEvent, LoanDecision, NeedClaim, Source, db
from tests import departmental_factories as d
from tests import factories as f
from tests import loans_factories as lf
from tests.conftest import login

PERIOD = "?from=2026-01-01&to=2026-06-30"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def world(users, cipher):
    """Bank A (`officer`, 信用贷 product) and bank B (`officer_b`, 税易贷 product). Times are
    UTC; the county calendar is Beijing's.

    need  subject          township posted (Beijing)  what happened
    N1    yang  household  A        2026-03-10        A approved 50,000 on 03-20 (first loan)
    N2    wang  household  A        2026-03-15        A rejected (负债率过高, review asked) 03-18;
                                                      B approved 80,000 03-25; ledger loan 2024
    N3    li    household  A (VB)   2026-04-01 04:00  open, eligible for A's product
                                    (2026-03-31 20:00 UTC: April in the county)
    N4    he    household  B        2026-04-05        withdrawn; too large for any product
    N5    firm  enterprise B        2026-04-20        B claimed, asked for more material
    N6    yang  household  A        2026-05-01        B approved 30,000 05-03 (second loan)
    N7    li    household  A (VB)   2025-11-01        A approved 20,000 11-05 (li's first loan)
    """
    office, cadre = users["office"], users["cadre"]
    bank_a, bank_b = lf.make_bank(), lf.make_bank("富平县邮储银行", "邮储银行")
    officer_a = users["officer"]
    officer_a.bank_id = bank_a.id
    officer_b = lf.make_officer("officer_b", bank_b)
    product_a = lf.make_product(bank_a, officer_a, status="listed", product_type="credit")
    product_b = lf.make_product(
        bank_b,
        officer_b,
        status="listed",
        code="YC-TAX",
        product_type="tax",
        subject_types=["enterprise"],
        tax_grades=["A"],
        amount_max=Decimal("3000000"),
    )
    yang = f.make_household(cipher, cadre, head_name="杨建国")
    wang = f.make_household(cipher, cadre, head_name="王小明")
    li = f.make_household(cipher, office, village_code=f.VILLAGE_B, head_name="李卫东")
    he = f.make_household(cipher, office, village_code=f.VILLAGE_C, head_name="何东")
    firm = d.make_enterprise(office, region_code=f.VILLAGE_C)
    ledger = d.make_batch(Source.BANK_LOAN, office)
    d.loan(d.key_for_household(wang), ledger)  # started 2024-03-01

    def need(subject, kind, region, posted, **extra):
        made = lf.make_need(kind, subject.id, region, office, **extra)
        made.created_at = _at(posted)
        return made

    n = SimpleNamespace(
        n1=need(yang, "household", f.VILLAGE_A, "2026-03-10 02:00"),
        n2=need(wang, "household", f.VILLAGE_A, "2026-03-15 02:00"),
        n3=need(li, "household", f.VILLAGE_B, "2026-03-31 20:00"),
        n4=need(he, "household", f.VILLAGE_C, "2026-04-05 02:00", amount=Decimal("900000")),
        n5=need(firm, "enterprise", f.VILLAGE_C, "2026-04-20 02:00", amount=Decimal("500000")),
        n6=need(yang, "household", f.VILLAGE_A, "2026-05-01 02:00", amount=Decimal("30000")),
        n7=need(li, "household", f.VILLAGE_B, "2025-11-01 02:00", amount=Decimal("20000")),
    )
    db.session.commit()  # matching runs: N1, N2, N3, N6, N7 fit A's product

    def decide(need_, officer, outcome, at, **extra):
        db.session.add(
            LoanDecision(
                need_id=need_.id,
                bank_id=officer.bank_id,
                product_id=product_a.id if officer is officer_a else product_b.id,
                officer_id=officer.id,
                outcome=outcome,
                decided_at=_at(at),
                **extra,
            )
        )

    def claim(need_, officer, at):
        db.session.add(
            NeedClaim(
                need_id=need_.id,
                bank_id=officer.bank_id,
                officer_id=officer.id,
                product_id=product_a.id if officer is officer_a else product_b.id,
                claimed_at=_at(at),
                claimed_until=_at(at).replace(day=28),
                released_at=_at(at) if need_ is not n.n5 else None,
            )
        )

    decide(
        n.n1, officer_a, "approved", "2026-03-20 02:00", amount=50_000, rate=4.35, term_months=12
    )
    claim(n.n1, officer_a, "2026-03-11 02:00")
    decide(
        n.n2,
        officer_a,
        "rejected",
        "2026-03-18 02:00",
        reason_code="high_debt",
        review_requested_at=_at("2026-03-19 02:00"),
    )
    decide(n.n2, officer_b, "approved", "2026-03-25 02:00", amount=80_000, rate=4.1, term_months=24)
    claim(n.n2, officer_b, "2026-03-21 02:00")
    claim(n.n5, officer_b, "2026-04-21 02:00")
    decide(n.n5, officer_b, "more_material", "2026-04-22 02:00", reason_text="请补充纳税证明")
    decide(n.n6, officer_b, "approved", "2026-05-03 02:00", amount=30_000, rate=4.2, term_months=12)
    claim(n.n6, officer_b, "2026-05-02 02:00")
    decide(n.n7, officer_a, "approved", "2025-11-05 02:00", amount=20_000, rate=4.3, term_months=12)
    for approved in (n.n1, n.n2, n.n6, n.n7):
        approved.status = "approved"
    n.n4.status = "withdrawn"
    db.session.commit()
    return SimpleNamespace(bank_a=bank_a, bank_b=bank_b, officer_b=officer_b, **vars(n))


def figures_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)" data-value="([^"]*)"', page))


def table_rows(page: str, key: str) -> list[list[str]]:
    table = re.search(rf'id="table-{key}">(.*?)</table>', page, re.S).group(1)
    body = table.split("<tbody>")[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        rows.append(
            [
                re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            ]
        )
    return rows


def test_county_office_sees_every_figure_of_the_county(client, users, world):
    login(client, "office_county")
    response = client.get("/loans/statistics" + PERIOD)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert figures_of(page) == {
        "posted": "6",
        "matched": "5",
        "claimed": "4",
        "approved": "3",
        "amount": "160000.00",
        "first_loans": "1",
        "avg_days": "5.0",
        "rejected": "1",
    }
    months = {row[0]: row[1:5] for row in table_rows(page, "month")}
    assert months == {
        "2026-01": ["0", "0", "0", "0"],
        "2026-02": ["0", "0", "0", "0"],
        "2026-03": ["2", "2", "2", "2"],
        "2026-04": ["3", "2", "1", "0"],  # N3 posted 03-31 UTC is April 1 in the county
        "2026-05": ["1", "1", "1", "1"],
        "2026-06": ["0", "0", "0", "0"],
    }
    banks = {row[0]: row[1:] for row in table_rows(page, "bank")}
    # matched, claimed, approved, amount, first loans, average days, rejections
    assert banks == {
        "富平农商行": ["3", "2", "1", "50,000.00", "1", "6.5", "1"],
        "邮储银行": ["3", "3", "2", "110,000.00", "0", "6.0", "0"],
    }
    types = {row[0]: row[1:4] for row in table_rows(page, "product_type")}
    assert types == {"信用贷": ["3", "2", "1"], "税易贷": ["3", "3", "2"]}
    subjects = {row[0]: row[1:6] for row in table_rows(page, "subject_type")}
    assert subjects == {
        "农户": ["5", "4", "3", "3", "160,000.00"],
        "中小微企业": ["1", "1", "1", "0", "0.00"],
    }
    townships = {row[0]: row[1:5] for row in table_rows(page, "township")}
    assert townships == {"庄里镇": ["4", "4", "3", "3"], "张桥镇": ["2", "1", "1", "0"]}
    assert table_rows(page, "reasons") == [["负债率过高", "1"]]
    assert "首贷户" in page and "银行贷款台账" in page  # the definition is on the page

    # A wider period takes in N7: li's first loan, and 20,000 more.
    wider = figures_of(
        client.get("/loans/statistics?from=2025-10-01&to=2026-06-30").get_data(as_text=True)
    )
    assert (wider["posted"], wider["approved"], wider["amount"], wider["first_loans"]) == (
        "7",
        "4",
        "180000.00",
        "2",
    )
    # Filters: one bank, one subject type, one township.
    only_b = figures_of(
        client.get(f"/loans/statistics{PERIOD}&bank={world.bank_b.id}").get_data(as_text=True)
    )
    assert (only_b["posted"], only_b["approved"], only_b["amount"]) == ("3", "2", "110000.00")
    firms = figures_of(
        client.get(f"/loans/statistics{PERIOD}&subject=enterprise").get_data(as_text=True)
    )
    assert (firms["posted"], firms["claimed"], firms["approved"]) == ("1", "1", "0")
    town_b = figures_of(
        client.get(f"/loans/statistics{PERIOD}&region={f.TOWNSHIP_B}").get_data(as_text=True)
    )
    assert (town_b["posted"], town_b["matched"]) == ("2", "1")
    taxed = figures_of(client.get(f"/loans/statistics{PERIOD}&type=tax").get_data(as_text=True))
    assert (taxed["posted"], taxed["approved"], taxed["amount"]) == ("3", "2", "110000.00")


def test_township_office_sees_its_township_only(client, users, world):
    login(client, "office_town")
    page = client.get("/loans/statistics" + PERIOD).get_data(as_text=True)
    assert figures_of(page) == {
        "posted": "4",
        "matched": "4",
        "claimed": "3",
        "approved": "3",
        "amount": "160000.00",
        "first_loans": "1",
        "avg_days": "5.0",
        "rejected": "1",
    }
    assert [row[0] for row in table_rows(page, "township")] == ["庄里镇"]
    assert "张桥镇" not in page  # nor in the township picker
    # Another township in the query string is refused in Chinese, and changes nothing.
    refused = client.get(f"/loans/statistics{PERIOD}&region={f.TOWNSHIP_B}")
    assert refused.status_code == 400
    assert "乡镇：请从列表中选择" in refused.get_data(as_text=True)
    assert figures_of(refused.get_data(as_text=True))["posted"] == "4"


def test_an_officer_sees_only_his_own_banks_figures(client, users, world):
    login(client, "officer")
    response = client.get(f"/loans/statistics{PERIOD}&bank={world.bank_b.id}")  # ignored
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert figures_of(page) == {
        "posted": "3",  # N1, N2 (decided by A), N3 (matched to A's product)
        "matched": "3",
        "claimed": "2",
        "approved": "1",
        "amount": "50000.00",
        "first_loans": "1",
        "avg_days": "6.5",
        "rejected": "1",
    }
    # Nothing of bank B: not its name, its amounts, its claims or its product type.
    assert "邮储银行" not in page and "110,000" not in page and "80,000" not in page
    assert [row[0] for row in table_rows(page, "bank")] == ["富平农商行"]
    assert [row[0] for row in table_rows(page, "product_type")] == ["信用贷"]
    assert 'name="bank"' not in page
    export = load_workbook(BytesIO(client.get("/loans/statistics/export.xlsx" + PERIOD).data))
    cells = [str(c) for ws in export for row in ws.iter_rows(values_only=True) for c in row if c]
    assert not any("邮储" in c for c in cells)


def test_the_export_holds_the_figures_of_the_page(client, users, world):
    login(client, "office_county")
    page = client.get("/loans/statistics" + PERIOD).get_data(as_text=True)
    response = client.get("/loans/statistics/export.xlsx" + PERIOD)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(response.data))
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True) if row and row[0]}
    shown = figures_of(page)
    assert summary["发布需求"] == int(shown["posted"])
    assert summary["已获批"] == int(shown["approved"])
    assert summary["授信金额（元）"] == float(shown["amount"])
    assert summary["首贷户"] == int(shown["first_loans"])
    assert summary["平均办理天数"] == float(shown["avg_days"])
    assert summary["期间"] == "2026-01-01 — 2026-06-30"
    banks = [list(r) for r in book["按银行"].iter_rows(min_row=2, values_only=True) if r[0]]
    on_page = table_rows(page, "bank")
    assert [r[0] for r in banks[:2]] == [r[0] for r in on_page]
    assert [r[1:4] for r in banks[:2]] == [[int(c) for c in r[1:4]] for r in on_page]
    months = [r for r in book["按月份"].iter_rows(min_row=2, values_only=True)]
    assert [(m[0], m[1]) for m in months] == [(r[0], int(r[1])) for r in table_rows(page, "month")]
    # Each export is journalled; the page itself writes nothing.
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "loan_statistics.export")
    )


def test_other_roles_have_no_statistics(client, users, world):
    for username in ("cadre_a", "applicant"):
        login(client, username)
        assert client.get("/loans/statistics").status_code == 403
        assert client.get("/loans/statistics/export.xlsx").status_code == 403
        client.post("/logout")


def test_a_wrong_date_is_named_in_chinese(client, users, world):
    login(client, "office_county")
    response = client.get("/loans/statistics?from=2026-02-30&to=2026-06-30")
    assert response.status_code == 400
    assert "开始日期应为“年-月-日”格式的日期" in response.get_data(as_text=True)
    backwards = client.get("/loans/statistics?from=2026-06-30&to=2026-01-01")
    assert "开始日期不能晚于结束日期" in backwards.get_data(as_text=True)


def test_a_county_without_needs_shows_zeros_not_an_error(client, users):
    login(client, "office_county")
    response = client.get("/loans/statistics")
    assert response.status_code == 200
    shown = figures_of(response.get_data(as_text=True))
    assert shown["posted"] == "0" and shown["amount"] == "0.00" and shown["avg_days"] == ""
    export = client.get("/loans/statistics/export.xlsx")
    assert export.status_code == 200
    summary = load_workbook(BytesIO(export.data))["汇总"]
    assert ["发布需求", 0] in [list(r) for r in summary.iter_rows(values_only=True)]

"""Builders for departmental records in tests: a subject key linked to a file, an import
batch, and record rows written straight through the ORM (as a finished import leaves them),
so that pages and rules can be tested without going through a department's file."""

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from agri_credit.enterprises.services import save_enterprise
from models import (
    AgriEntity,
    BatchStatus,
    Enterprise,
    Household,
    ImportBatch,
    LoanRecord,
    LoanStatus,
    ProvidentFundRecord,
    PublicRecord,
    PublicRecordKind,
    SocialInsuranceRecord,
    Source,
    SubjectKey,
    TaxRecord,
    User,
    UtilityRecord,
    db,
)
from tests import factories as f
from village_forms.identifiers import uscc_check_char

_serials = itertools.count(1)


def years_ago(today: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def make_sme_uscc(area: str = "610528") -> str:
    """A company's code (91: registered with market regulation as an enterprise)."""
    body = f"91{area}MA{next(_serials):07d}"
    return body + uscc_check_char(body)


def enterprise_data(region_code: str = f.VILLAGE_A, **overrides: Any) -> dict[str, Any]:
    """A complete SME file, in the shape the form hands to the service."""
    data: dict[str, Any] = {
        "uscc": make_sme_uscc(),
        "name": "富平县恒通果品有限公司",
        "industry": "农产品加工",
        "region_code": region_code,
        "legal_representative": "张恒通",
        "phone": "13700001111",
        "registered_capital": Decimal("2000000"),
        "founded_on": date(2016, 4, 8),
        "employees": 35,
    }
    data.update(overrides)
    return data


def make_enterprise(user: User, **overrides: Any) -> Enterprise:
    enterprise = Enterprise()
    save_enterprise(enterprise, enterprise_data(**overrides), user)
    db.session.flush()
    return enterprise


def make_batch(
    source: Source | str,
    user: User,
    scope_code: str = f.COUNTY,
    status: BatchStatus = BatchStatus.IMPORTED,
) -> ImportBatch:
    batch = ImportBatch(
        source=Source(source).value,
        user_id=user.id,
        scope_code=scope_code,
        filename=f"{Source(source).value}.csv",
        sha256="0" * 64,
        status=status,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def _key(**values: Any) -> SubjectKey:
    """The existing key for the number, or a new one: keys are unique per number."""
    lookup = {k: values[k] for k in ("id_hash", "uscc") if values.get(k)}
    key = db.session.query(SubjectKey).filter_by(**lookup).one_or_none()
    if key is None:
        key = SubjectKey(**values)
        db.session.add(key)
    else:
        for name, value in values.items():
            setattr(key, name, value)
    db.session.flush()
    return key


def key_for_household(household: Household) -> SubjectKey:
    """The key a department's rows for the head's ID number arrive under, linked to the file."""
    return _key(
        id_hash=household.head_id_hash,
        id_cipher=household.head_id_cipher,
        masked=household.head_id_masked,
        name=household.head_name,
        household_id=household.id,
    )


def key_for_entity(entity: AgriEntity) -> SubjectKey:
    """By USCC, or by the operator's ID number for a 种养大户 without one."""
    if entity.uscc:
        return _key(uscc=entity.uscc, masked=entity.uscc, name=entity.name, entity_id=entity.id)
    return _key(
        id_hash=entity.operator_id_hash,
        id_cipher=entity.operator_id_cipher,
        masked=entity.operator_id_masked,
        name=entity.operator_name,
        entity_id=entity.id,
    )


def key_for_enterprise(enterprise: Enterprise) -> SubjectKey:
    return _key(
        uscc=enterprise.uscc,
        masked=enterprise.uscc,
        name=enterprise.name,
        enterprise_id=enterprise.id,
    )


def unmatched_key(uscc: str | None = None) -> SubjectKey:
    """A key no file carries yet: its rows must show on no page."""
    uscc = uscc or f.make_uscc()
    return _key(uscc=uscc, masked=uscc, name="未建档主体")


_fingerprints = iter(range(1, 10**9))


def _add(model: type, key: SubjectKey, batch: ImportBatch, **values: Any):
    row = model(subject_key_id=key.id, batch_id=batch.id, fingerprint=next(_fingerprints), **values)
    db.session.add(row)
    db.session.flush()
    return row


def tax(
    key: SubjectKey,
    batch: ImportBatch,
    year: int,
    tax_paid: float | str,
    month: int = 0,
    grade: str | None = None,
    filing_months: int | None = None,
) -> TaxRecord:
    return _add(
        TaxRecord,
        key,
        batch,
        year=year,
        month=month,
        tax_paid=Decimal(str(tax_paid)),
        tax_grade=grade,
        filing_months=filing_months,
    )


def social_insurance(
    key: SubjectKey,
    batch: ImportBatch,
    year: int,
    insured_count: int,
    month: int = 0,
    arrears: float | str = 0,
    months_paid: int | None = None,
) -> SocialInsuranceRecord:
    return _add(
        SocialInsuranceRecord,
        key,
        batch,
        year=year,
        month=month,
        insured_count=insured_count,
        arrears=Decimal(str(arrears)),
        months_paid=months_paid,
    )


def provident_fund(
    key: SubjectKey, batch: ImportBatch, year: int, depositor_count: int, month: int = 0
) -> ProvidentFundRecord:
    return _add(
        ProvidentFundRecord, key, batch, year=year, month=month, depositor_count=depositor_count
    )


def utility(
    key: SubjectKey,
    batch: ImportBatch,
    year: int,
    month: int,
    consumption: float | str,
    utility: Source | str = Source.ELECTRICITY,
    billed: float | str | None = None,
    paid_on: date | None = None,
    days_late: int | None = 0,
    account_no: str = "0001",
) -> UtilityRecord:
    consumption = Decimal(str(consumption))
    return _add(
        UtilityRecord,
        key,
        batch,
        utility=Source(utility).value,
        account_no=account_no,
        year=year,
        month=month,
        consumption=consumption,
        billed=Decimal(str(billed)) if billed is not None else consumption / 2,
        paid_on=paid_on,
        days_late=days_late,
    )


def loan(
    key: SubjectKey,
    batch: ImportBatch,
    contract_no: str = "JK2024001",
    status: LoanStatus | str = LoanStatus.NORMAL,
    days_overdue: int = 0,
    amount: float | str = 50_000,
    balance: float | str = 20_000,
    start_on: date = date(2024, 3, 1),
    due_on: date = date(2026, 3, 1),
    repaid_on: date | None = None,
    bank: str = "富平县农村信用合作联社",
) -> LoanRecord:
    return _add(
        LoanRecord,
        key,
        batch,
        bank=bank,
        contract_no=contract_no,
        amount=Decimal(str(amount)),
        balance=Decimal(str(balance)),
        start_on=start_on,
        due_on=due_on,
        status=LoanStatus(status).value,
        days_overdue=days_overdue,
        repaid_on=repaid_on,
    )


def public_record(
    key: SubjectKey,
    batch: ImportBatch,
    kind: PublicRecordKind | str,
    title: str,
    decided_on: date,
    ended_on: date | None = None,
    document_no: str | None = None,
    authority: str = "富平县市场监督管理局",
    severity: str | None = None,
) -> PublicRecord:
    return _add(
        PublicRecord,
        key,
        batch,
        kind=PublicRecordKind(kind).value,
        document_no=document_no or f"富市监罚〔{decided_on.year}〕{next(_fingerprints)}号",
        title=title,
        authority=authority,
        decided_on=decided_on,
        ended_on=ended_on,
        severity=severity,
    )


def supersede(row: Any, batch: ImportBatch, **changes: Any) -> Any:
    """What a later file that changes a record leaves behind: the old version marked
    superseded by `batch`, the new values as a new current row of that batch."""
    model = type(row)
    values = {
        c.key: getattr(row, c.key)
        for c in model.__table__.columns
        if c.key not in ("id", "batch_id", "superseded_by_id", "fingerprint", "row_number")
    }
    row.superseded_by_id = batch.id
    db.session.flush()  # one current version per natural key, even inside the transaction
    values.update(changes)
    new = model(**values, batch_id=batch.id, fingerprint=next(_fingerprints))
    db.session.add(new)
    db.session.flush()
    return new

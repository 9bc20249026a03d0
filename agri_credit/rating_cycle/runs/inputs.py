"""The rating engine's input frames for one region, read from the database with set-based SQL
(one statement per frame, whatever the size of the county) into pandas.

Everything is read as of the run's data date: loans that started later, public records
decided later, 不良记录 that occurred later and 村评议 of later years are left out; negative
rows past the five-year rule (`departmental.retention`) are left out; only current versions of
departmental rows count (`superseded_by_id IS NULL`); public records with an approved 信用修复
are left out.

A source with no data at all in the region (no bank has sent loan records yet) is passed on as
None, so the engine says "no data" instead of scoring everyone as if they had a clean record.
"""

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    cast,
    func,
    null,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, aliased

from agri_credit.credit_records.repaired import not_repaired
from agri_credit.credit_records.retention import in_use
from agri_credit.credit_records.same_event import copies_public_record
from agri_credit.ratings.departmental_facts import DepartmentalValues
from agri_credit.ratings.rules import (
    LABOUR_ABILITY_HALF,
    LABOUR_WORKING_AGE,
    WORKING_AGE,
    Readings,
)
from models import (
    NEGATIVE,
    NEGATIVE_PUBLIC_KINDS,
    PUBLIC_RECORD_KIND_LABELS,
    AgriEntity,
    BatchStatus,
    CreditRecord,
    Household,
    HouseholdAsset,
    HouseholdMember,
    ImportBatch,
    LoanRecord,
    PublicRecord,
    PublicRecordKind,
    Region,
    RegionLevel,
    SocialInsuranceRecord,
    Source,
    SubjectKey,
    TaxRecord,
    VillageEvaluation,
    code_range,
    db,
)

INCOME_COLUMNS = (
    Household.income_crops,
    Household.income_livestock,
    Household.income_business,
    Household.income_wages,
    Household.income_other,
)
DISHONEST_LABEL = PUBLIC_RECORD_KIND_LABELS[PublicRecordKind.DISHONEST]
NEGATIVE_KINDS = [k.value for k in NEGATIVE_PUBLIC_KINDS]
SUBJECT_COLUMNS = ("household_id", "entity_id")
DEFAULT_READINGS = Readings()


@dataclass(frozen=True)
class RunInputs:
    """What the engine sees for one region. Loans and records carry `household_id` or
    `entity_id` (the other NaN) and the subject's `village_code` and `township_code`."""

    households: pd.DataFrame  # inputs.HOUSEHOLD_COLUMNS without the loan and record facts
    entities: pd.DataFrame  # inputs.ENTITY_COLUMNS without the loan and record facts
    loans: pd.DataFrame | None  # inputs.LOAN_COLUMNS; None: no loan data in the region
    records: pd.DataFrame  # inputs.RECORD_COLUMNS: public records and the files' 不良记录
    villages: pd.DataFrame  # inputs.VILLAGE_FACT_COLUMNS, every village of the region
    has_public_records: bool  # False: no public credit records in the region yet
    # The values of the rule set's departmental indicators per household
    # (runs.departmental_inputs); None when it has none.
    departmental: DepartmentalValues | None = None

    def digest(self, *extra: Any) -> str:
        """SHA-256 of the frames (values, column names and types, in row order: the frames
        are read in key order, so the same data gives the same digest) and of `extra`."""
        sha = hashlib.sha256()
        for part in fields(self):
            value = getattr(self, part.name)
            sha.update(part.name.encode())
            if isinstance(value, pd.DataFrame):
                sha.update(_frame_digest(value))
            elif isinstance(value, DepartmentalValues):
                for (field, months), values in sorted(value.values.items()):
                    sha.update(f"{field}/{months}".encode())
                    if values is None:
                        sha.update(b"-")
                    else:  # the subject ids too: they are the index
                        sha.update(_frame_digest(values.rename("value").reset_index()))
            else:
                sha.update(json.dumps(value).encode())
        for value in extra:
            sha.update(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode())
        return sha.hexdigest()


def _frame_digest(frame: pd.DataFrame) -> bytes:
    layout = [(str(c), str(frame[c].dtype)) for c in frame.columns]
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return json.dumps(layout).encode() + str(len(frame)).encode() + rows.tobytes()


# ---- regions -------------------------------------------------------------------------------


def _in_area(
    village: InstrumentedAttribute[str], county: InstrumentedAttribute[str], region: Region
) -> ColumnElement[bool]:
    """A county is matched on the 6-digit county code (its index), anything smaller on the
    range of village codes under it."""
    if region.level == RegionLevel.COUNTY:
        return county == region.code[:6]
    low, high = code_range(region.code, region.level)
    return village.between(low, high)


def _households_in(region: Region) -> ColumnElement[bool]:
    return _in_area(Household.village_code, Household.county_code, region)


def _entities_in(region: Region) -> ColumnElement[bool]:
    return _in_area(AgriEntity.village_code, AgriEntity.county_code, region)


def _read(statement: Select) -> pd.DataFrame:
    """Rows as the driver returns them (plain tuples: no Row objects, no per-value result
    processing, which would cost more than the query), in the session's transaction. Dates
    come back as ISO strings from SQLite; the callers parse them."""
    result = db.session.connection().execute(statement)
    try:
        return pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))
    finally:
        result.close()


def _money(column: Any) -> ColumnElement[float]:
    """Numeric as float in SQL: a Decimal per value would cost more than the whole score."""
    return cast(column, Float)


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    return frame


def _floats(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_numeric(frame[column]).astype(np.float64)
    return frame


def _subject_ids(frame: pd.DataFrame) -> pd.DataFrame:
    for column in SUBJECT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    return frame


def village_facts(region: Region) -> pd.DataFrame:
    """Every village of the region with its township (its parent in the tree) and 户籍户数."""
    low, high = code_range(region.code, region.level)
    frame = _read(
        select(
            Region.code.label("village_code"),
            Region.parent_code.label("township_code"),
            Region.registered_households,
        )
        .where(Region.level == RegionLevel.VILLAGE, Region.code.between(low, high))
        .order_by(Region.code)
    )
    frame["township_code"] = frame["township_code"].fillna(
        frame["village_code"].str.slice(0, 9) + "000"
    )
    return _floats(frame, "registered_households")


# ---- households and entities ---------------------------------------------------------------


def _labour(readings: Readings, as_of: date) -> ColumnElement[float]:
    """劳动力人数 as the rule set reads it (Readings.labour): the file's own count (全劳动力
    and 半劳动力 each 1, a head unless ill, disabled or under 16), the same with 半劳动力 as
    0.5, or the head and members aged 16–59 on the data date (a member without a birth date
    is not counted)."""
    if readings.labour == LABOUR_ABILITY_HALF:
        halves = (
            select(func.count())
            .where(
                HouseholdMember.household_id == Household.id,
                HouseholdMember.labour_ability == "半劳动力",
            )
            .correlate(Household)
            .scalar_subquery()
        )
        return cast(Household.labour_count, Float) - 0.5 * halves
    if readings.labour == LABOUR_WORKING_AGE:
        youngest, oldest = WORKING_AGE
        # Aged 16 or more: born on or before as_of less 16 years; at most 59: born after
        # as_of less 60 years.
        latest = _years_back(as_of, youngest)
        earliest = _years_back(as_of, oldest + 1)
        members = (
            select(func.count())
            .where(
                HouseholdMember.household_id == Household.id,
                HouseholdMember.birth_date <= latest,
                HouseholdMember.birth_date > earliest,
            )
            .correlate(Household)
            .scalar_subquery()
        )
        head = case(
            (
                and_(Household.head_birth_date <= latest, Household.head_birth_date > earliest),
                1,
            ),
            else_=0,
        )
        return cast(head + members, Float)
    return cast(Household.labour_count, Float)


def _years_back(day: date, years: int) -> date:
    """The same day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def household_facts(
    region: Region, year: int, readings: Readings = DEFAULT_READINGS, as_of: date | None = None
) -> pd.DataFrame:
    """One row per household: the file's derived figures, net income (NaN when no income or
    no spending is filled in), total assets (NaN when the file lists none), each with its
    `_as_zero` reading, the latest 村评议 of the rating year or before (within
    `readings.evaluation_years` years when set), and 劳动力人数 as `readings.labour` says
    (ages on `as_of`, default the rating year's last day)."""
    area = _households_in(region)
    no_income = and_(*(c.is_(None) for c in INCOME_COLUMNS))
    income = sum((func.coalesce(_money(c), 0.0) for c in INCOME_COLUMNS), start=0.0)
    spending = _money(Household.annual_spending)
    # Income or spending not filled in is missing, not 0 (Indicator.when_missing decides);
    # `_as_zero` is the figure with the missing part as 0, for a rule set that says so.
    net_income = case((no_income | spending.is_(None), null()), else_=income - spending)
    net_income_as_zero = income - func.coalesce(spending, 0.0)
    # A file that lists no assets has its assets missing (资产情况 in its missing fields).
    lists_assets = (
        select(HouseholdAsset.id).where(HouseholdAsset.household_id == Household.id).exists()
    )
    total_assets = _money(Household.total_assets)
    # One index seek per household on (household_id, year): cheaper on both backends than
    # grouping every evaluation of the county and joining back.
    evaluated = [VillageEvaluation.household_id == Household.id, VillageEvaluation.year <= year]
    if readings.evaluation_years:  # 1: the rating year only; N: its last N years
        evaluated.append(VillageEvaluation.year > year - readings.evaluation_years)
    latest_evaluation = (
        select(VillageEvaluation.overall)
        .where(*evaluated)
        .order_by(VillageEvaluation.year.desc())
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )
    frame = _read(
        select(
            Household.id.label("household_id"),
            Household.village_code,
            Household.household_size,
            _labour(readings, as_of or date(year, 12, 31)).label("labour_count"),
            case((lists_assets, total_assets), else_=null()).label("total_assets"),
            total_assets.label("total_assets_as_zero"),
            _money(Household.total_liabilities).label("total_liabilities"),
            _money(Household.coop_shares).label("coop_shares"),
            net_income.label("net_income"),
            net_income_as_zero.label("net_income_as_zero"),
            latest_evaluation.label("evaluation_overall"),
        )
        .where(area)
        .order_by(Household.id)
    )
    frame = _floats(
        frame,
        "household_size",
        "labour_count",
        "total_assets",
        "total_assets_as_zero",
        "total_liabilities",
        "coop_shares",
        "net_income",
        "net_income_as_zero",
    )
    frame["household_id"] = frame["household_id"].astype(np.int64)
    frame["village_code"] = frame["village_code"].astype("category")
    frame["evaluation_overall"] = frame["evaluation_overall"].astype("str")
    return frame


def entity_facts(region: Region, as_of: date) -> pd.DataFrame:
    """One row per 新型农业经营主体 with its file figures, and its latest 纳税信用等级 and
    social insurance standing as of the date (NaN without such data)."""
    frame = _read(
        select(
            AgriEntity.id.label("entity_id"),
            AgriEntity.entity_type,
            AgriEntity.village_code,
            AgriEntity.founded_on,
            _money(AgriEntity.land_mu).label("land_mu"),
            AgriEntity.herd_size,
            AgriEntity.member_count,
            _money(AgriEntity.farmer_capital_share).label("farmer_capital_share"),
            _money(AgriEntity.annual_revenue).label("annual_revenue"),
            _money(AgriEntity.total_assets).label("total_assets"),
            _money(AgriEntity.total_debts).label("total_debts"),
            AgriEntity.insurance,
            AgriEntity.keeps_books,
            AgriEntity.certifications,
            AgriEntity.demonstration_level,
        )
        .where(_entities_in(region))
        .order_by(AgriEntity.id)
    )
    frame["entity_id"] = frame["entity_id"].astype(np.int64)
    frame["entity_type"] = frame["entity_type"].astype("str")
    frame["village_code"] = frame["village_code"].astype("str")
    frame = _dates(frame, "founded_on")
    frame = _floats(
        frame,
        "land_mu",
        "herd_size",
        "member_count",
        "farmer_capital_share",
        "annual_revenue",
        "total_assets",
        "total_debts",
    )
    # The file has a free-text insurance line and a list of certifications: any line is
    # insured, and the list is counted.
    insurance = frame.pop("insurance").fillna("").astype("str").str.strip()
    frame["has_insurance"] = (insurance != "").astype(np.float64)
    frame["keeps_books"] = frame["keeps_books"].astype(np.float64)
    certifications = frame.pop("certifications").fillna("").astype("str")
    frame["certification_count"] = np.where(
        certifications == "", 0.0, certifications.str.count(",") + 1.0
    )
    # "" is "not filled in" (missing data); "无" is "none", which scores 0.
    level = frame["demonstration_level"].fillna("").astype("str").str.strip()
    frame["demonstration_level"] = level.where(level != "", None).astype("str")
    frame["tax_grade"] = frame["entity_id"].map(_latest_tax_grades(region, as_of)).astype("str")
    frame["social_insurance_ok"] = (
        frame["entity_id"].map(_social_insurance_ok(region, as_of)).astype(np.float64)
    )
    return frame


def _period_until(year: Any, month: Any, as_of: date) -> ColumnElement[bool]:
    """A period (month 1-12, or 0 for the year) that had begun by the date."""
    return or_(year < as_of.year, and_(year == as_of.year, month <= as_of.month))


def _entity_rows(model: type, region: Region, as_of: date, *columns: Any) -> pd.DataFrame:
    """Current, in-use rows of a yearly/monthly source for the region's entities, latest
    period last."""
    return _read(
        select(SubjectKey.entity_id, *columns)
        .select_from(model)
        .join(SubjectKey, SubjectKey.id == model.subject_key_id)
        .join(AgriEntity, AgriEntity.id == SubjectKey.entity_id)
        .where(
            _entities_in(region),
            model.superseded_by_id.is_(None),
            _period_until(model.year, model.month, as_of),
            in_use(model, as_of),
        )
        .order_by(SubjectKey.entity_id, model.year, model.month, model.id)
    )


def _latest_tax_grades(region: Region, as_of: date) -> pd.Series:
    rows = _entity_rows(
        TaxRecord, region, as_of, TaxRecord.tax_grade, TaxRecord.year, TaxRecord.month
    )
    rows = rows[rows["tax_grade"].notna()]
    return rows.groupby("entity_id")["tax_grade"].last()


def _social_insurance_ok(region: Region, as_of: date) -> pd.Series:
    rows = _entity_rows(
        SocialInsuranceRecord,
        region,
        as_of,
        _money(SocialInsuranceRecord.arrears).label("arrears"),
        SocialInsuranceRecord.year,
        SocialInsuranceRecord.month,
    )
    latest = rows.groupby("entity_id")["arrears"].last()
    return (latest.fillna(0) <= 0).astype(np.float64)


# ---- loans and records ---------------------------------------------------------------------


def _per_subject(statement_for: Any, region: Region) -> pd.DataFrame:
    """Rows for the region's households and entities: `statement_for(subject column, join
    target, area)` builds one select per kind; the frame gets household_id / entity_id and the
    subject's village code."""
    parts = []
    for column, model, area in (
        ("household_id", Household, _households_in(region)),
        ("entity_id", AgriEntity, _entities_in(region)),
    ):
        frame = _read(statement_for(getattr(SubjectKey, column), model, area))
        frame = frame.rename(columns={"subject_id": column})
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True) if any(len(p) for p in parts) else parts[0]
    for column in SUBJECT_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.NA
    return _subject_ids(frame)


def _with_township(frame: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    frame["village_code"] = frame["village_code"].astype("str")
    township = villages.set_index("village_code")["township_code"]
    frame["township_code"] = frame["village_code"].map(township).astype("str")
    return frame


def loan_facts(region: Region, as_of: date, villages: pd.DataFrame) -> pd.DataFrame:
    """Current loans of the region's households and entities that had started by the date,
    with the ledger's own date (`reported_on`), the due date, and the most days overdue any
    version of the loan stated by the date (`peak_days_overdue`: a later version of a loan
    repaid late says 0, an earlier one said how late it was)."""
    version = aliased(LoanRecord)
    peak = (
        select(func.max(version.days_overdue))
        .where(
            version.subject_key_id == LoanRecord.subject_key_id,
            version.bank == LoanRecord.bank,
            version.contract_no == LoanRecord.contract_no,
            or_(version.as_of.is_(None), version.as_of <= as_of),
        )
        .correlate(LoanRecord)
        .scalar_subquery()
    )

    def statement(link: Any, model: type, area: ColumnElement[bool]) -> Select:
        return (
            select(
                LoanRecord.id.label("loan_id"),
                link.label("subject_id"),
                model.village_code,
                _money(LoanRecord.balance).label("balance"),
                LoanRecord.status,
                LoanRecord.days_overdue,
                LoanRecord.repaid_on,
                LoanRecord.due_on,
                LoanRecord.as_of.label("reported_on"),
                peak.label("peak_days_overdue"),
            )
            .join(SubjectKey, SubjectKey.id == LoanRecord.subject_key_id)
            .join(model, model.id == link)
            .where(
                area,
                LoanRecord.superseded_by_id.is_(None),
                LoanRecord.start_on <= as_of,
                in_use(LoanRecord, as_of),
            )
            .order_by(LoanRecord.id)
        )

    frame = _per_subject(statement, region)
    frame = _floats(frame, "balance", "days_overdue", "peak_days_overdue")
    frame["status"] = frame["status"].astype("str")
    frame = _dates(frame, "repaid_on", "due_on", "reported_on")
    frame = _with_township(frame, villages)
    return frame.sort_values(["loan_id", "household_id"], ignore_index=True)


def record_facts(
    region: Region, as_of: date, villages: pd.DataFrame, repairs_until: date
) -> pd.DataFrame:
    """Negative records of the region's households and entities that occurred by the date:
    public records (行政处罚, 失信被执行人) without an approved 信用修复 decided by
    `repairs_until`, and the files' own 不良记录 except their copies of public records
    (`credit_records.same_event`: one event is one record, and its repair lifts it).

    An event without an end date ends when it happened (the five-year rule of
    `departmental.retention`), except a 失信被执行人 listing, which lasts until it is lifted.
    """
    dishonest = PublicRecord.kind == PublicRecordKind.DISHONEST

    def public(link: Any, model: type, area: ColumnElement[bool]) -> Select:
        return (
            select(
                PublicRecord.id.label("record_id"),
                link.label("subject_id"),
                model.village_code,
                PublicRecord.kind.label("category"),
                PublicRecord.decided_on.label("occurred_on"),
                case(
                    (dishonest, PublicRecord.ended_on),
                    else_=func.coalesce(PublicRecord.ended_on, PublicRecord.decided_on),
                ).label("ended_on"),
            )
            .join(SubjectKey, SubjectKey.id == PublicRecord.subject_key_id)
            .join(model, model.id == link)
            .where(
                area,
                PublicRecord.superseded_by_id.is_(None),
                PublicRecord.kind.in_(NEGATIVE_KINDS),
                PublicRecord.decided_on <= as_of,
                in_use(PublicRecord, as_of),
                not_repaired(PublicRecord, repairs_until),
            )
            .order_by(PublicRecord.id)
        )

    def cadre(link: Any, model: type, area: ColumnElement[bool]) -> Select:
        own = CreditRecord.household_id if model is Household else CreditRecord.entity_id
        return (
            select(
                (-CreditRecord.id).label("record_id"),  # apart from the public records' ids
                own.label("subject_id"),
                model.village_code,
                CreditRecord.category,
                CreditRecord.occurred_on,
                case(
                    (CreditRecord.category == DISHONEST_LABEL, CreditRecord.ended_on),
                    else_=func.coalesce(CreditRecord.ended_on, CreditRecord.occurred_on),
                ).label("ended_on"),
            )
            .join(model, model.id == own)
            .where(
                area,
                CreditRecord.polarity == NEGATIVE,
                CreditRecord.occurred_on <= as_of,
                in_use(CreditRecord, as_of),
                # One event, one record: the public record counts, with its repair.
                ~copies_public_record(),
            )
            .order_by(CreditRecord.id)
        )

    public_rows = _per_subject(public, region)
    labels = {k.value: label for k, label in PUBLIC_RECORD_KIND_LABELS.items()}
    public_rows["category"] = public_rows["category"].astype("str").map(labels).astype("str")
    file_rows = _per_subject(cadre, region)
    frame = pd.concat([public_rows, file_rows], ignore_index=True)
    frame = _subject_ids(frame)
    frame["category"] = frame["category"].astype("str")
    frame = _dates(frame, "occurred_on", "ended_on")
    frame["repaired_on"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]")
    frame = _with_township(frame, villages)
    return frame.sort_values("record_id", ignore_index=True)


def _source_present(source: Source, region: Region, rows_found: bool) -> bool:
    """Whether the region has data from a department: rows for its subjects, or an imported
    file covering the region (a bank that lent to nobody here still sent its ledger)."""
    if rows_found:
        return True
    scopes = db.session.execute(
        select(Region.code, Region.level)
        .join(ImportBatch, ImportBatch.scope_code == Region.code)
        .where(ImportBatch.source == source.value, ImportBatch.status == BatchStatus.IMPORTED)
        .distinct()
    ).all()
    low, high = code_range(region.code, region.level)
    for code, level in scopes:
        scope_low, scope_high = code_range(code, level)
        if scope_low <= region.code <= scope_high or low <= code <= high:
            return True
    return False


def read_inputs(
    region: Region,
    year: int,
    as_of: date,
    repairs_until: date | None = None,
    readings: Readings = DEFAULT_READINGS,
) -> RunInputs:
    """Every input frame for the region (a county, township or village) as of the date.
    `repairs_until`: credit repairs decided up to this day count (default: `as_of`);
    `readings`: the rule set's readings of 村评议 and 劳动力 (the rest are the engine's)."""
    villages = village_facts(region)
    loans = loan_facts(region, as_of, villages)
    records = record_facts(region, as_of, villages, repairs_until or as_of)
    public_found = bool((records["record_id"] > 0).any())
    return RunInputs(
        households=household_facts(region, year, readings, as_of),
        entities=entity_facts(region, as_of),
        loans=loans if _source_present(Source.BANK_LOAN, region, len(loans) > 0) else None,
        records=records,
        villages=villages,
        has_public_records=_source_present(Source.PUBLIC_RECORD, region, public_found),
    )

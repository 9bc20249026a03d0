"""Reads the sources of the features from the database into frames, set-based: one SELECT per
source whatever the county's size, no ORM objects. The only module of the score that needs
a database session.

Every departmental row comes with `visible_from` / `visible_until`: the local days its batch
was imported and a later batch superseded it (see `asof`). Rows imported after `until` are
not read at all.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Float, Integer, Select, case, cast, func, literal, or_, select

from agri_credit.departmental.landing_days import batch_days, day_of, local_days
from models import (
    AgriEntity,
    BatchStatus,
    CreditRepair,
    Enterprise,
    Household,
    ImportBatch,
    LoanRecord,
    ProductionItem,
    ProvidentFundRecord,
    PublicRecord,
    RatingResult,
    RatingRun,
    RepairStatus,
    ResultStatus,
    SocialInsuranceRecord,
    SubjectKey,
    TaxRecord,
    UtilityRecord,
    VillageEvaluation,
    db,
)

from .asof import (
    ENTERPRISE,
    ENTITY,
    HOUSEHOLD,
    SUBJECT_TYPES,
    period_date,
    subject_id_of,
    subject_key,
    subject_type_of,
)
from .features import Sources
from .features_utilities import UTILITY_NAMES

DEFAULT_ZONE = "Asia/Shanghai"


def read_frame(statement: Select) -> pd.DataFrame:
    """Rows as the driver returns them, in the session's transaction."""
    result = db.session.connection().execute(statement)
    try:
        return pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))
    finally:
        result.close()


def utc_end_of(day: date, zone: str = DEFAULT_ZONE) -> datetime:
    """The naive-UTC instant at which `day` ends in the county's zone."""
    local = datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(zone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    return frame


def _money(column) -> object:
    return cast(column, Float)


@dataclass(frozen=True)
class Only:
    """Restrict the reads to some subjects (one subject's score on demand); None: all."""

    household: tuple[int, ...] = ()
    entity: tuple[int, ...] = ()
    enterprise: tuple[int, ...] = ()

    @classmethod
    def of(cls, skeys: "list[int] | np.ndarray") -> "Only":
        keys = pd.Series(np.asarray(skeys, dtype=np.int64))
        kinds, ids = subject_type_of(keys), subject_id_of(keys)
        return cls(**{kind: tuple(int(i) for i in ids[kinds == kind]) for kind in SUBJECT_TYPES})

    def where(self, column, kind: str):
        return column.in_(getattr(self, kind))


def subject_links(only: Only | None = None) -> pd.DataFrame:
    """key_id -> skey for every subject key linked to a file (a key linked to two files
    gives both)."""
    statement = select(
        SubjectKey.id, SubjectKey.household_id, SubjectKey.entity_id, SubjectKey.enterprise_id
    )
    if only is not None:
        statement = statement.where(
            or_(
                only.where(SubjectKey.household_id, HOUSEHOLD),
                only.where(SubjectKey.entity_id, ENTITY),
                only.where(SubjectKey.enterprise_id, ENTERPRISE),
            )
        )
    keys = read_frame(statement)
    parts = []
    for column, kind in (
        ("household_id", HOUSEHOLD),
        ("entity_id", ENTITY),
        ("enterprise_id", ENTERPRISE),
    ):
        linked = keys[keys[column].notna()]
        parts.append(
            pd.DataFrame(
                {
                    "key_id": linked["id"].astype(np.int64),
                    "skey": subject_key(pd.Series(kind, index=linked.index), linked[column]),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


# Reading rows costs about one Python object per value fetched (the driver's) plus pandas'
# inference over it: 720,000 utility rows cost 1.9 s of CPU in 8 columns, 1.3 s with the
# small integers packed into two (a county of a million subjects has 36 million). So the
# batch pair and the utility's kind, year and month come as one integer each, unpacked with
# numpy. Ids are 32-bit integer keys.
_BATCH_SHIFT = 2**31
_UTILITY_CODES = {name: code for code, name in enumerate(UTILITY_NAMES)}


def _versions(model, columns: list) -> Select:
    return select(
        model.subject_key_id.label("key_id"),
        # BIGINT: PostgreSQL would compute the 62-bit integer in the column's 32 bits.
        (
            cast(model.batch_id, BigInteger) * _BATCH_SHIFT
            + func.coalesce(model.superseded_by_id, 0)
        ).label("versions"),
        *columns,
    )


def _unpack_versions(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(batch_id, superseded_by_id) of each row; NaN without a superseding batch."""
    packed = frame.pop("versions").to_numpy(dtype=np.int64)
    superseded = (packed % _BATCH_SHIFT).astype(np.float64)
    superseded[superseded == 0] = np.nan
    return (
        pd.Series(packed // _BATCH_SHIFT, index=frame.index),
        pd.Series(superseded, index=frame.index),
    )


def _utility_period():
    """utility code (0-3, 3: none of UTILITY_NAMES) + 4 × month + 64 × year, in one integer."""
    code = case(_UTILITY_CODES, value=UtilityRecord.utility, else_=len(UTILITY_NAMES))
    year = cast(UtilityRecord.year, Integer)  # a SMALLINT column: 64 × year overflows it
    return ((year * 16 + UtilityRecord.month) * 4 + code).label("utility_period")


def _unpack_utility_period(frame: pd.DataFrame) -> None:
    packed = frame.pop("utility_period").to_numpy(dtype=np.int64)
    codes = packed % 4
    frame["utility"] = pd.Categorical.from_codes(
        np.where(codes < len(UTILITY_NAMES), codes, -1), categories=list(UTILITY_NAMES)
    )
    frame["year"] = packed // 64
    frame["month"] = (packed // 4) % 16


def _departmental(
    model, columns: list, until: date, links: pd.DataFrame, zone: str, days: pd.Series
) -> pd.DataFrame:
    statement = _versions(model, columns)
    if len(links) < 1000:  # a few subjects: their rows through the subject_key_id index
        statement = statement.where(model.subject_key_id.in_(links["key_id"].tolist()))
    frame = read_frame(statement)
    batch, superseded = _unpack_versions(frame)
    if "utility_period" in frame.columns:
        _unpack_utility_period(frame)
    frame["visible_from"] = day_of(batch, days)
    # Rows of batches not imported (pending, rolled back) or imported after `until` never
    # enter; `days` knows every imported batch's landing day.
    landed = (
        frame["visible_from"].notna() & (frame["visible_from"] <= pd.Timestamp(until))
    ).to_numpy()
    frame = frame[landed]
    # A version superseded by a batch that is not (or no longer) imported is still current.
    frame["visible_until"] = day_of(superseded[landed], days)
    frame = frame.merge(links, on="key_id", how="inner").drop(columns="key_id")
    if "year" in frame.columns:
        frame["dated_on"] = period_date(frame["year"], frame["month"])
    return frame


def load_sources(until: date, zone: str = DEFAULT_ZONE, only: Only | None = None) -> Sources:
    """Every source as far as it was imported by the end of `until` (county calendar);
    `only`: just these subjects' rows."""
    links = subject_links(only)
    days = batch_days(zone)
    tax = _departmental(
        TaxRecord,
        [
            TaxRecord.year,
            TaxRecord.month,
            _money(TaxRecord.tax_paid).label("tax_paid"),
            TaxRecord.tax_grade,
            TaxRecord.filing_months,
        ],
        until,
        links,
        zone,
        days,
    )
    social = _departmental(
        SocialInsuranceRecord,
        [
            SocialInsuranceRecord.year,
            SocialInsuranceRecord.month,
            SocialInsuranceRecord.insured_count,
            SocialInsuranceRecord.months_paid,
            _money(SocialInsuranceRecord.arrears).label("arrears"),
        ],
        until,
        links,
        zone,
        days,
    )
    provident = _departmental(
        ProvidentFundRecord,
        [
            ProvidentFundRecord.year,
            ProvidentFundRecord.month,
            ProvidentFundRecord.depositor_count,
            ProvidentFundRecord.months_paid,
        ],
        until,
        links,
        zone,
        days,
    )
    utilities = _departmental(
        UtilityRecord,
        [
            _utility_period(),
            _money(UtilityRecord.consumption).label("consumption"),
            UtilityRecord.days_late,
        ],
        until,
        links,
        zone,
        days,
    )
    repaired = (
        select(func.min(CreditRepair.decided_at))
        .where(
            CreditRepair.subject_key_id == PublicRecord.subject_key_id,
            CreditRepair.record_kind == PublicRecord.kind,
            CreditRepair.document_no == PublicRecord.document_no,
            CreditRepair.status == RepairStatus.APPROVED,
        )
        .scalar_subquery()
    )
    public = _departmental(
        PublicRecord,
        [
            PublicRecord.kind,
            PublicRecord.decided_on,
            PublicRecord.ended_on,
            PublicRecord.severity,
            repaired.label("repaired_at"),
        ],
        until,
        links,
        zone,
        days,
    )
    public = _dates(public, "decided_on", "ended_on")
    public["repaired_on"] = local_days(public.pop("repaired_at"), zone)
    loans = loan_versions(until, links, zone, days)
    return Sources(
        files=subject_files(zone, only),
        evaluations=_evaluations(only),
        ratings=_ratings(zone, only),
        tax=tax,
        social_insurance=social,
        provident_fund=provident,
        utilities=utilities,
        public_records=public,
        loans=loans,
        known_sources=_sources_imported(until, zone),
    )


def _sources_imported(until: date, zone: str) -> frozenset[str]:
    """Sources with an imported batch by the end of `until` (in any scope: a bank that lent
    to nobody here still sent its ledger)."""
    moment = func.coalesce(ImportBatch.finished_at, ImportBatch.created_at)
    rows = db.session.scalars(
        select(ImportBatch.source)
        .where(ImportBatch.status == BatchStatus.IMPORTED, moment < utc_end_of(until, zone))
        .distinct()
    )
    return frozenset(rows)


def loan_versions(
    until: date,
    links: pd.DataFrame | None = None,
    zone: str = DEFAULT_ZONE,
    days: pd.Series | None = None,
) -> pd.DataFrame:
    """Every version of every loan a bank reported, imported by `until`: the source of the past
    loan features and of the labels. `reported_on` is the ledger's own date, else the import
    day."""
    links = subject_links() if links is None else links
    days = batch_days(zone) if days is None else days
    frame = _departmental(
        LoanRecord,
        [
            (LoanRecord.bank + literal("/") + LoanRecord.contract_no).label("loan"),
            _money(LoanRecord.amount).label("amount"),
            LoanRecord.start_on,
            LoanRecord.status,
            LoanRecord.days_overdue,
            LoanRecord.as_of.label("reported_on"),
        ],
        until,
        links,
        zone,
        days,
    )
    frame = _dates(frame, "start_on", "reported_on")
    frame["reported_on"] = frame["reported_on"].fillna(frame["visible_from"])
    return frame


def subject_files(zone: str = DEFAULT_ZONE, only: Only | None = None) -> pd.DataFrame:
    """One row per household, entity and SME with the figures `features_file` reads."""
    income = sum(
        (
            func.coalesce(_money(c), 0.0)
            for c in (
                Household.income_crops,
                Household.income_livestock,
                Household.income_business,
                Household.income_wages,
                Household.income_other,
            )
        ),
        start=literal(0.0),
    )
    herd = (
        select(func.sum(_money(ProductionItem.quantity)))
        .where(ProductionItem.household_id == Household.id, ProductionItem.kind == "养殖")
        .correlate(Household)
        .scalar_subquery()
    )
    households = _read_only(
        select(
            Household.id.label("subject_id"),
            Household.village_code.label("region_code"),
            Household.created_at,
            literal(None).label("founded_on"),
            (
                func.coalesce(_money(Household.land_contracted_mu), 0.0)
                + func.coalesce(_money(Household.land_transferred_mu), 0.0)
            ).label("land_mu"),
            herd.label("herd_size"),
            _money(Household.total_assets).label("total_assets"),
            _money(Household.total_liabilities).label("total_debts"),
            income.label("annual_income"),
            Household.labour_count,
            Household.household_size,
        ),
        Household.id,
        HOUSEHOLD,
        only,
    )
    entities = _read_only(
        select(
            AgriEntity.id.label("subject_id"),
            AgriEntity.village_code.label("region_code"),
            AgriEntity.created_at,
            AgriEntity.founded_on,
            _money(AgriEntity.land_mu).label("land_mu"),
            AgriEntity.herd_size,
            _money(AgriEntity.total_assets).label("total_assets"),
            _money(AgriEntity.total_debts).label("total_debts"),
            _money(AgriEntity.annual_revenue).label("annual_income"),
        ),
        AgriEntity.id,
        ENTITY,
        only,
    )
    enterprises = _read_only(
        select(
            Enterprise.id.label("subject_id"),
            Enterprise.region_code,
            Enterprise.created_at,
            Enterprise.founded_on,
        ),
        Enterprise.id,
        ENTERPRISE,
        only,
    )
    parts = []
    for frame, kind in ((households, HOUSEHOLD), (entities, ENTITY), (enterprises, ENTERPRISE)):
        frame["skey"] = subject_key(pd.Series(kind, index=frame.index), frame["subject_id"])
        parts.append(frame.drop(columns="subject_id"))
    files = pd.concat(parts, ignore_index=True)
    files["created_on"] = local_days(files.pop("created_at"), zone)
    files = _dates(files, "founded_on")
    for column in (
        "land_mu",
        "herd_size",
        "total_assets",
        "total_debts",
        "annual_income",
        "labour_count",
        "household_size",
    ):
        if column not in files.columns:
            files[column] = np.nan
        files[column] = pd.to_numeric(files[column]).astype(np.float64)
    return files


def _only(statement: Select, column, kind: str, only: Only | None) -> Select:
    return statement if only is None else statement.where(only.where(column, kind))


def _read_only(statement: Select, column, kind: str, only: Only | None) -> pd.DataFrame:
    """`statement` restricted to `only`'s subjects of `kind`; without any, the empty frame
    the query would give, without asking (one subject's score reads one type's files)."""
    if only is not None and not getattr(only, kind):
        return pd.DataFrame([], columns=list(statement.selected_columns.keys()))
    return read_frame(_only(statement, column, kind, only))


def _evaluations(only: Only | None = None) -> pd.DataFrame:
    frame = _read_only(
        select(VillageEvaluation.household_id, VillageEvaluation.year, VillageEvaluation.overall),
        VillageEvaluation.household_id,
        HOUSEHOLD,
        only,
    )
    frame["skey"] = subject_key(pd.Series(HOUSEHOLD, index=frame.index), frame.pop("household_id"))
    return frame


def _ratings(zone: str, only: Only | None = None) -> pd.DataFrame:
    """Effective rating results, visible from the day their run finished (or started)."""
    statement = (
        select(
            RatingResult.household_id,
            RatingResult.entity_id,
            RatingResult.grade,
            func.coalesce(RatingRun.approved_at, RatingRun.finished_at, RatingRun.started_at).label(
                "visible_from"
            ),
        )
        .join(RatingRun, RatingRun.id == RatingResult.run_id)
        .where(RatingResult.status == ResultStatus.EFFECTIVE)
    )
    if only is not None:
        statement = statement.where(
            or_(
                only.where(RatingResult.household_id, HOUSEHOLD),
                only.where(RatingResult.entity_id, ENTITY),
            )
        )
    frame = read_frame(statement)
    is_household = frame["household_id"].notna()
    ids = frame["household_id"].fillna(frame["entity_id"]).astype(np.int64)
    kinds = pd.Series(np.where(is_household, HOUSEHOLD, ENTITY), index=frame.index)
    out = pd.DataFrame(
        {
            "skey": subject_key(kinds, ids) if len(frame) else pd.Series(dtype=np.int64),
            "grade": frame["grade"].fillna("未达信用户"),
            "visible_from": local_days(frame["visible_from"], zone),
        }
    )
    return out


def subject_genders() -> pd.DataFrame:
    """skey -> gender (男 / 女 / 不适用) of the person behind each subject, read from the ID
    number for the fairness check of the model report only (never a feature): a household's
    head (`head_gender`, taken from the ID when the file is saved) and an entity's operator
    (the 17th digit, which the masked number keeps). An SME has no one person behind it."""
    households = read_frame(select(Household.id.label("subject_id"), Household.head_gender))
    entities = read_frame(select(AgriEntity.id.label("subject_id"), AgriEntity.operator_id_masked))
    digit = entities["operator_id_masked"].astype(str).str[-2:-1]
    odd = pd.to_numeric(digit, errors="coerce") % 2
    parts = [
        pd.DataFrame(
            {
                "skey": subject_key(
                    pd.Series(HOUSEHOLD, index=households.index), households["subject_id"]
                ),
                "gender": households["head_gender"].astype(str),
            }
        ),
        pd.DataFrame(
            {
                "skey": subject_key(
                    pd.Series(ENTITY, index=entities.index), entities["subject_id"]
                ),
                "gender": np.where(odd == 1, "男", np.where(odd == 0, "女", "")),
            }
        ),
    ]
    frame = pd.concat(parts, ignore_index=True)
    frame["gender"] = frame["gender"].where(frame["gender"].isin(["男", "女"]), "未知")
    return frame

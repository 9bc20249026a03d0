"""The inputs of the data-coverage figures: a handful of GROUP BY queries over a user's scope,
returned as small frames (`load_coverage_frames`); `data_coverage` turns them into figures."""

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Integer, case, cast, func, or_, select

from agri_credit.auth.scopes import file_scope, in_scope
from models import (
    PREFIX_LENGTH,
    AgriEntity,
    BatchStatus,
    Enterprise,
    Household,
    ImportBatch,
    LoanRecord,
    ProvidentFundRecord,
    PublicRecord,
    Region,
    RegionLevel,
    SocialInsuranceRecord,
    Source,
    SubjectKey,
    TaxRecord,
    User,
    UtilityRecord,
    ancestor_codes,
    db,
)

WHOLE_YEAR = 13  # period code of a record for a whole year (month 0): sorts after December

_LEVELS = list(RegionLevel)

# Per record table: the sources it holds and how fresh a row is. Periodic tables carry a
# year/month; loans and public records carry dates.
_TABLES: tuple[tuple[Any, tuple[Source, ...]], ...] = (
    (TaxRecord, (Source.TAX,)),
    (SocialInsuranceRecord, (Source.SOCIAL_INSURANCE,)),
    (ProvidentFundRecord, (Source.PROVIDENT_FUND,)),
    (UtilityRecord, (Source.WATER, Source.ELECTRICITY, Source.GAS)),
    (LoanRecord, (Source.BANK_LOAN,)),
    (PublicRecord, (Source.PUBLIC_RECORD,)),
)


@dataclass(frozen=True)
class CoverageFrames:
    """What the figures are computed from. Region codes are 12-digit strings.

    villages:      code, registered_households (户籍户数, may be missing)
    children:      code, name: the rows of the breakdown, in display order
    files:         region_code, kind, files: credit files per village (SMEs: per region)
    covered:       region_code, kind, source, subjects: files with at least one current
                   record of the source
    batches:       id, source, scope_code, finished_at, in_subtree: imported batches made for
                   the scope, a region under it (in_subtree) or a region above it
    batch_records: batch_id, records, period, latest_date: current records of those batches
    unmatched:     batch_id, subject_key_id, records: current records of in-subtree batches
                   whose subject key is linked to no file
    """

    scope_code: str
    scope_name: str
    child_prefix: int  # significant digits of a child region's code
    villages: pd.DataFrame
    children: pd.DataFrame
    files: pd.DataFrame
    covered: pd.DataFrame
    batches: pd.DataFrame
    batch_records: pd.DataFrame
    unmatched: pd.DataFrame


def child_level(level: str) -> RegionLevel:
    """The level a breakdown is by: one below the scope; a village is its own breakdown."""
    index = _LEVELS.index(RegionLevel(level))
    return _LEVELS[min(index + 1, len(_LEVELS) - 1)]


def _period(model: Any) -> ColumnElement[int]:
    # Year and month are SMALLINT: widen before multiplying, or PostgreSQL overflows.
    month = case((model.month == 0, WHOLE_YEAR), else_=cast(model.month, Integer))
    return cast(model.year, Integer) * 100 + month


def _freshness(model: Any) -> tuple[str, ColumnElement]:
    """(column name, aggregate) of how recent a table's rows are."""
    if model is LoanRecord:
        # A loan row without an as-of date is at least as recent as the loan itself.
        return "latest_date", func.max(func.coalesce(LoanRecord.as_of, LoanRecord.start_on))
    if model is PublicRecord:
        return "latest_date", func.max(PublicRecord.decided_on)
    return "period", func.max(_period(model))


def _file_kinds(user: User) -> dict[str, tuple[Any, Any, Any, ColumnElement[bool]]]:
    """kind -> (file model, SubjectKey link column, region column, scope predicate)."""
    return {
        "household": (
            Household,
            SubjectKey.household_id,
            Household.village_code,
            file_scope(Household.village_code, Household.county_code, user),
        ),
        "entity": (
            AgriEntity,
            SubjectKey.entity_id,
            AgriEntity.village_code,
            file_scope(AgriEntity.village_code, AgriEntity.county_code, user),
        ),
        "enterprise": (
            Enterprise,
            SubjectKey.enterprise_id,
            Enterprise.region_code,
            in_scope(Enterprise.region_code, user),
        ),
    }


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _source_filter(record: Any, source: Source) -> list[ColumnElement[bool]]:
    return [record.utility == source.value] if record is UtilityRecord else []


def _regions(user: User) -> tuple[pd.DataFrame, pd.DataFrame]:
    scope: Region = user.scope
    if RegionLevel(scope.level) == RegionLevel.VILLAGE:
        children = _frame([(scope.code, scope.name)], ["code", "name"])
    else:
        children = _frame(
            db.session.execute(
                select(Region.code, Region.name)
                .where(Region.level == child_level(scope.level), in_scope(Region.code, user))
                .order_by(Region.code)
            ).all(),
            ["code", "name"],
        )
    villages = _frame(
        db.session.execute(
            select(Region.code, Region.registered_households).where(
                Region.level == RegionLevel.VILLAGE, in_scope(Region.code, user)
            )
        ).all(),
        ["code", "registered_households"],
    )
    return villages, children


def _coverage(user: User, sizes: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Files per region, and files per region holding a current record of each source.

    One semi-join per kind and source, so a file counts once however many keys or records
    it has. PostgreSQL plans EXISTS and IN alike; SQLite follows the shape it is given, so
    the cheaper side leads: a source with fewer records than the scope has files (tax for
    households) is listed once and the files looked up, otherwise each file probes the
    partial current-record index (electricity for a county: 200 ms, not a 500,000-row scan
    and sort)."""
    files, covered = [], []
    for kind, (model, link, region, scoped) in _file_kinds(user).items():
        counts = _frame(
            db.session.execute(select(region, func.count()).where(scoped).group_by(region)).all(),
            ["region_code", "files"],
        )
        counts.insert(1, "kind", kind)
        files.append(counts)
        in_scope_files = int(counts["files"].sum())
        for record, table_sources in _TABLES:
            for source in table_sources:
                if source.value not in sizes or not in_scope_files:
                    continue
                current = (record.superseded_by_id.is_(None), *_source_filter(record, source))
                holders = (
                    select(SubjectKey.id)
                    .join(record, record.subject_key_id == SubjectKey.id)
                    .where(*current)
                )
                if sizes[source.value] < in_scope_files:
                    held = model.id.in_(holders.with_only_columns(link))
                else:
                    held = holders.where(link == model.id).exists()
                frame = _frame(
                    db.session.execute(
                        select(region, func.count()).where(scoped, held).group_by(region)
                    ).all(),
                    ["region_code", "subjects"],
                )
                frame.insert(1, "kind", kind)
                frame.insert(2, "source", source.value)
                covered.append(frame)
    empty = pd.DataFrame(columns=["region_code", "kind", "source", "subjects"])
    return pd.concat(files, ignore_index=True), pd.concat([empty, *covered], ignore_index=True)


def _batches(user: User) -> pd.DataFrame:
    # An import made for a wider region (the county's electricity file) covers a township
    # too, so its date and latest period count for the township's freshness; its match rate
    # and unknown subjects are the wider region's business.
    scope: Region = user.scope
    subtree = in_scope(ImportBatch.scope_code, user)
    frame = _frame(
        db.session.execute(
            select(
                ImportBatch.id,
                ImportBatch.source,
                ImportBatch.scope_code,
                ImportBatch.finished_at,
                subtree,
            ).where(
                ImportBatch.status == BatchStatus.IMPORTED,
                or_(subtree, ImportBatch.scope_code.in_(ancestor_codes(scope.code))),
            )
        ).all(),
        ["id", "source", "scope_code", "finished_at", "in_subtree"],
    )
    frame["in_subtree"] = frame["in_subtree"].astype(bool)
    return frame


def _batch_records(batches: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Current records per batch with their latest period, and the unmatched subjects of
    the in-subtree batches (few, so listed one per key)."""
    counted, unmatched = [], []
    unlinked = (
        SubjectKey.household_id.is_(None),
        SubjectKey.entity_id.is_(None),
        SubjectKey.enterprise_id.is_(None),
    )
    for record, table_sources in _TABLES:
        mine = batches.loc[batches["source"].isin([s.value for s in table_sources])]
        if mine.empty:
            continue
        name, latest = _freshness(record)
        frame = _frame(
            db.session.execute(
                select(record.batch_id, func.count(), latest)
                .where(
                    record.superseded_by_id.is_(None),
                    record.batch_id.in_([int(i) for i in mine["id"]]),
                )
                .group_by(record.batch_id)
            ).all(),
            ["batch_id", "records", name],
        )
        counted.append(frame)
        subtree_ids = [int(i) for i in mine.loc[mine["in_subtree"], "id"]]
        if subtree_ids:
            unmatched.append(
                _frame(
                    db.session.execute(
                        select(record.batch_id, SubjectKey.id, func.count())
                        .join(record, record.subject_key_id == SubjectKey.id)
                        .where(
                            *unlinked,
                            record.superseded_by_id.is_(None),
                            record.batch_id.in_(subtree_ids),
                        )
                        .group_by(record.batch_id, SubjectKey.id)
                    ).all(),
                    ["batch_id", "subject_key_id", "records"],
                )
            )
    counted_columns = ["batch_id", "records", "period", "latest_date"]
    unmatched_columns = ["batch_id", "subject_key_id", "records"]
    return (
        pd.concat([pd.DataFrame(columns=counted_columns), *counted], ignore_index=True),
        pd.concat([pd.DataFrame(columns=unmatched_columns), *unmatched], ignore_index=True),
    )


def load_coverage_frames(user: User) -> CoverageFrames:
    """Fetch the inputs for `user`'s scope. Every count is a GROUP BY in the database; the
    largest frame has a row per village and source, or per unmatched subject."""
    villages, children = _regions(user)
    # Records per source, near enough to choose a query shape: a record is counted by the
    # batch that first inserted it, and later versions replace rows one for one. A source
    # nobody has imported has no current rows, so its semi-joins are skipped.
    sizes = {
        source: int(rows or 0)
        for source, rows in db.session.execute(
            select(ImportBatch.source, func.sum(ImportBatch.rows_inserted))
            .where(ImportBatch.status == BatchStatus.IMPORTED)
            .group_by(ImportBatch.source)
        )
    }
    files, covered = _coverage(user, sizes)
    batches = _batches(user)
    batch_records, unmatched = _batch_records(batches)
    return CoverageFrames(
        scope_code=user.scope.code,
        scope_name=user.scope.name,
        child_prefix=PREFIX_LENGTH[child_level(user.scope.level)],
        villages=villages,
        children=children,
        files=files,
        covered=covered,
        batches=batches,
        batch_records=batch_records,
        unmatched=unmatched,
    )


def source_freshness(user: User) -> pd.DataFrame:
    """Per source: the newest period (year*100 + month) or date of its current records, and
    the last import, over the imports the user's freshness counts (their scope and the wider
    regions above it, as on the data-coverage page). One GROUP BY per record table."""
    batches = _batches(user)
    frames = []
    for record, table_sources in _TABLES:
        mine = batches.loc[batches["source"].isin([s.value for s in table_sources])]
        if mine.empty:
            continue
        name, latest = _freshness(record)
        frame = _frame(
            db.session.execute(
                select(record.batch_id, latest)
                .where(
                    record.superseded_by_id.is_(None),
                    record.batch_id.in_([int(i) for i in mine["id"]]),
                )
                .group_by(record.batch_id)
            ).all(),
            ["batch_id", name],
        )
        frames.append(frame)
    columns = ["batch_id", "period", "latest_date"]
    records = pd.concat([pd.DataFrame(columns=columns), *frames], ignore_index=True)
    records = records.merge(batches[["id", "source"]], left_on="batch_id", right_on="id")
    records["period"] = pd.to_numeric(records["period"])
    records["latest_date"] = pd.to_datetime(records["latest_date"])
    latest = records.groupby("source").agg(
        period=("period", "max"), latest_date=("latest_date", "max")
    )
    latest["last_import"] = pd.to_datetime(batches["finished_at"]).groupby(batches["source"]).max()
    return latest

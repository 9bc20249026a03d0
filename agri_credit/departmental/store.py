"""The database side of an import, all on one connection inside one transaction: subject keys,
a temporary staging table filled by the bulk path of each backend (SQLite executemany,
PostgreSQL COPY), and set-based SQL that merges the staged rows into the record table.

Merge rules (see models/departmental.py): a staged row whose natural key has no current record
is inserted; one whose current record has a different fingerprint supersedes it (the old row
is kept, marked `superseded_by_id`); one with the same fingerprint is left alone.
"""

import io
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Column, Connection, MetaData, String, Table, insert, select, text

from models import (
    AgriEntity,
    Enterprise,
    Household,
    IdCipher,
    SubjectKey,
    mask_id,
    node_prefix,
    utcnow,
)

from .sources import SourceSpec
from .validation import SUBJECT_ID, SUBJECT_USCC

STAGE = "import_stage"
BOOKKEEPING = ("id", "batch_id", "superseded_by_id")
LOOKUP_CHUNK = 1000
COUNTY_DIGITS = 6  # offices of a county or wider keep rows of numbers no file carries yet


@dataclass(frozen=True)
class Layout:
    """Column roles of one record table."""

    table: Table
    columns: tuple[str, ...]  # staged and written, in order
    key: tuple[str, ...]  # natural key, subject first

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.key + ("fingerprint", "row_number"))


def layout_of(spec: SourceSpec) -> Layout:
    table = spec.model.__table__
    columns = tuple(c.name for c in table.columns if c.name not in BOOKKEEPING)
    return Layout(table, columns, ("subject_key_id", *spec.key))


# --- subject keys -------------------------------------------------------------------------


def subject_lookups(rows: pd.DataFrame, cipher: IdCipher) -> dict[str, str]:
    """{number: what it is stored and looked up by}: the blind index of an ID number, the
    USCC itself. Each distinct number is hashed once, however many rows carry it."""
    subjects = rows.drop_duplicates("subject_code")
    lookups = {
        code: cipher.blind_index(code)
        for code in subjects.loc[subjects["subject_kind"] == SUBJECT_ID, "subject_code"]
    }
    lookups.update(
        (code, code)
        for code in subjects.loc[subjects["subject_kind"] == SUBJECT_USCC, "subject_code"]
    )
    return lookups


def outside_scope(
    conn: Connection,
    rows: pd.DataFrame,
    lookups: dict[str, str],
    scope_code: str,
    verdicts: dict[str, bool] | None = None,
) -> pd.Series:
    """True for each row an office of `scope_code` may not import: its number is carried by
    a file outside the scope, or (below a county, where an office imports only for files it
    keeps) by no file inside it. Both cases answer alike, so a rejection never tells the
    importer whether a number is filed elsewhere. One query per table and 1,000 numbers not
    yet in `verdicts` (the caller's cache across chunks: files repeat a subject monthly)."""
    verdicts = {} if verdicts is None else verdicts
    codes = rows["subject_code"]
    fresh = rows[~codes.isin(verdicts.keys())]
    if len(fresh):
        prefix = node_prefix(scope_code)
        low, high = prefix.ljust(12, "0"), prefix.ljust(12, "9")
        places = _filed_regions(conn, fresh, lookups)
        inside = places["region"].between(low, high)
        numbers = fresh["subject_code"].drop_duplicates()
        outside = numbers.isin(set(places.loc[~inside, "code"]))
        if len(prefix) > COUNTY_DIGITS:
            outside |= ~numbers.isin(set(places.loc[inside, "code"]))
        verdicts.update(zip(numbers, outside.astype(bool), strict=True))
    return codes.map(verdicts).astype(bool)


def _filed_regions(conn: Connection, rows: pd.DataFrame, lookups: dict[str, str]) -> pd.DataFrame:
    """(code, region) for every file carrying one of the rows' numbers."""
    kinds = rows.drop_duplicates("subject_code").set_index("subject_code")["subject_kind"]
    by_lookup = {lookups[c]: c for c in kinds.index}
    id_lookups = [lookups[c] for c in kinds.index[kinds == SUBJECT_ID]]
    usccs = [lookups[c] for c in kinds.index[kinds == SUBJECT_USCC]]
    found: list[tuple[str, str]] = []
    queries = (
        (id_lookups, Household.head_id_hash, Household.village_code, None),
        (
            id_lookups,
            AgriEntity.operator_id_hash,
            AgriEntity.village_code,
            AgriEntity.uscc.is_(None),
        ),
        (usccs, AgriEntity.uscc, AgriEntity.village_code, None),
        (usccs, Enterprise.uscc, Enterprise.region_code, None),
    )
    for values, column, region, extra in queries:
        for start in range(0, len(values), LOOKUP_CHUNK):
            query = select(column, region).where(column.in_(values[start : start + LOOKUP_CHUNK]))
            if extra is not None:
                query = query.where(extra)
            found.extend((by_lookup[value], code) for value, code in conn.execute(query))
    return pd.DataFrame(found, columns=["code", "region"], dtype=str)


def resolve_subject_keys(
    conn: Connection,
    rows: pd.DataFrame,
    cipher: IdCipher,
    batch_id: int,
    lookups: dict[str, str] | None = None,
    scope_code: str | None = None,
) -> pd.Series:
    """SubjectKey id per row, creating keys for numbers never seen before (holding the
    importing office's scope)."""
    lookups = lookups if lookups is not None else subject_lookups(rows, cipher)
    subjects = rows.drop_duplicates("subject_code")[
        ["subject_code", "subject_kind", "subject_name"]
    ]
    ids = subjects[subjects["subject_kind"] == SUBJECT_ID]
    usccs = subjects[subjects["subject_kind"] == SUBJECT_USCC]
    hashes = pd.Series([lookups[code] for code in ids["subject_code"]], index=ids.index, dtype=str)
    key_of: dict[str, int] = {}
    key_of.update(_existing(conn, SubjectKey.id_hash, ids["subject_code"], hashes))
    key_of.update(_existing(conn, SubjectKey.uscc, usccs["subject_code"], usccs["subject_code"]))

    now = utcnow()
    new_ids = ids[~ids["subject_code"].isin(key_of.keys())]
    new_usccs = usccs[~usccs["subject_code"].isin(key_of.keys())]
    fresh = [
        {
            "id_hash": hashes[i],
            "id_cipher": cipher.encrypt(code),
            "uscc": None,
            "masked": mask_id(code),
            "name": name[:100],
            "first_batch_id": batch_id,
            "scope_code": scope_code,
            "created_at": now,
        }
        for i, code, name in zip(
            new_ids.index, new_ids["subject_code"], new_ids["subject_name"], strict=True
        )
    ] + [
        {
            "id_hash": None,
            "id_cipher": None,
            "uscc": code,
            "masked": code,
            "name": name[:100],
            "first_batch_id": batch_id,
            "scope_code": scope_code,
            "created_at": now,
        }
        for code, name in zip(new_usccs["subject_code"], new_usccs["subject_name"], strict=True)
    ]
    if fresh:
        conn.execute(insert(SubjectKey.__table__), fresh)
        key_of.update(
            _existing(conn, SubjectKey.id_hash, new_ids["subject_code"], hashes[new_ids.index])
        )
        key_of.update(
            _existing(conn, SubjectKey.uscc, new_usccs["subject_code"], new_usccs["subject_code"])
        )
    return rows["subject_code"].map(key_of).astype("int64")


def _existing(conn: Connection, column, codes: pd.Series, lookups: pd.Series) -> dict[str, int]:
    """{code: key id} for the codes whose lookup value (hash or USCC) is already stored."""
    code_of = dict(zip(lookups, codes, strict=True))
    found: dict[str, int] = {}
    values = list(code_of)
    for start in range(0, len(values), LOOKUP_CHUNK):
        part = values[start : start + LOOKUP_CHUNK]
        for key_id, value in conn.execute(select(SubjectKey.id, column).where(column.in_(part))):
            found[code_of[value]] = key_id
    return found


# --- staging ------------------------------------------------------------------------------


def create_stage(conn: Connection, layout: Layout) -> Table:
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE}")
    stage = Table(
        STAGE,
        MetaData(),
        *(Column(c, layout.table.c[c].type) for c in layout.columns),
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    return stage


def drop_stage(conn: Connection) -> None:
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE}")


def stage_rows(conn: Connection, layout: Layout, rows: pd.DataFrame) -> None:
    """Bulk-load typed rows (all `layout.columns` present) into the staging table."""
    frame = rows.loc[:, list(layout.columns)]
    if conn.dialect.name == "postgresql":
        _copy(conn, layout, frame)
    else:
        _executemany(conn, layout, frame)


def _executemany(conn: Connection, layout: Layout, frame: pd.DataFrame) -> None:
    frame = _as_text_dates(frame)
    columns = []
    for name in layout.columns:
        series = frame[name]
        if series.dtype.kind == "f" and _is_integer_column(layout, name):
            series = series.astype("Int64")
        columns.append(series.astype(object).where(series.notna(), None).tolist())
    placeholders = ", ".join("?" for _ in layout.columns)
    conn.exec_driver_sql(
        f"INSERT INTO {STAGE} ({', '.join(layout.columns)}) VALUES ({placeholders})",
        list(zip(*columns, strict=True)),
    )


def _copy(conn: Connection, layout: Layout, frame: pd.DataFrame) -> None:
    frame = _as_text_dates(frame)
    for name in layout.columns:
        if frame[name].dtype.kind == "f" and _is_integer_column(layout, name):
            frame[name] = frame[name].astype("Int64")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="")
    # Unquoted empty fields are NULL in CSV COPY; text columns hold "" instead.
    texts = [c for c in layout.columns if isinstance(layout.table.c[c].type, String)]
    force = f", FORCE_NOT_NULL ({', '.join(texts)})" if texts else ""
    driver = conn.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(
            f"COPY {STAGE} ({', '.join(layout.columns)}) FROM STDIN (FORMAT csv{force})"
        ) as copy,
    ):
        copy.write(buffer.getvalue())


def _as_text_dates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for name in frame.columns:
        if frame[name].dtype.kind == "M":
            frame[name] = frame[name].dt.strftime("%Y-%m-%d")
    return frame


def _is_integer_column(layout: Layout, name: str) -> bool:
    try:
        return layout.table.c[name].type.python_type is int
    except NotImplementedError:
        return False


# --- merging ------------------------------------------------------------------------------


def index_stage(conn: Connection, layout: Layout) -> None:
    conn.exec_driver_sql(f"CREATE INDEX ix_{STAGE}_key ON {STAGE} ({', '.join(layout.key)})")
    if conn.dialect.name == "postgresql":
        # Autovacuum never analyses temporary tables; and when the record table is empty
        # PostgreSQL plans the anti-join as a nested loop that rescans the target (growing
        # under the insert) once per staged row: 10 s for 50,000 rows. Hash joins instead.
        conn.exec_driver_sql(f"ANALYZE {STAGE}")
        conn.exec_driver_sql("SET LOCAL enable_nestloop = off")


def duplicate_rows(conn: Connection, layout: Layout) -> list[tuple[int, int]]:
    """(row, first row with the same key) for every repeat of a natural key in the file."""
    key = ", ".join(layout.key)
    join = " AND ".join(f"s.{c} = f.{c}" for c in layout.key)
    return [
        (row, first)
        for row, first in conn.exec_driver_sql(
            f"SELECT s.row_number, f.first_row FROM {STAGE} s JOIN ("
            f" SELECT {key}, MIN(row_number) AS first_row FROM {STAGE}"
            f" GROUP BY {key} HAVING COUNT(*) > 1) f ON {join}"
            " WHERE s.row_number <> f.first_row ORDER BY s.row_number"
        )
    ]


def drop_staged(conn: Connection, row_numbers: list[int]) -> None:
    for start in range(0, len(row_numbers), LOOKUP_CHUNK):
        part = row_numbers[start : start + LOOKUP_CHUNK]
        conn.execute(text(f"DELETE FROM {STAGE} WHERE row_number IN ({', '.join(map(str, part))})"))


def merge(conn: Connection, layout: Layout, batch_id: int) -> tuple[int, int, int]:
    """Merge the stage into the record table: (inserted, updated, unchanged)."""
    table = layout.table.name
    match = " AND ".join(f"t.{c} = s.{c}" for c in layout.key)
    staged = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {STAGE}").scalar_one()
    updated = conn.execute(
        text(
            f"UPDATE {table} SET superseded_by_id = :batch WHERE id IN ("
            f" SELECT t.id FROM {STAGE} s JOIN {table} t ON {match}"
            " AND t.superseded_by_id IS NULL WHERE t.fingerprint <> s.fingerprint)"
        ),
        {"batch": batch_id},
    ).rowcount
    columns = ", ".join(layout.columns)
    written = conn.execute(
        text(
            f"INSERT INTO {table} ({columns}, batch_id)"
            f" SELECT {', '.join('s.' + c for c in layout.columns)}, :batch FROM {STAGE} s"
            f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match}"
            " AND t.superseded_by_id IS NULL)"
        ),
        {"batch": batch_id},
    ).rowcount
    return written - updated, updated, staged - written


def unmatched_rows(conn: Connection) -> int:
    return conn.exec_driver_sql(
        f"SELECT COUNT(*) FROM {STAGE} s JOIN subject_keys k ON k.id = s.subject_key_id"
        " WHERE k.household_id IS NULL AND k.entity_id IS NULL AND k.enterprise_id IS NULL"
    ).scalar_one()

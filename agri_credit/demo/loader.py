"""Write the generated county to the database: encrypt ID numbers, insert every frame with
Core bulk inserts in foreign-key order, in one transaction, committed once. Then, when asked,
the departments' files: written to a temporary folder and imported through the real importer
as the county credit office would (one committed batch per file, mappings saved for the
office), so the demo exercises the same path as a real upload.

Households, entities and users get explicit ids (their children point at them), counted on
from the highest id already present; on PostgreSQL the id sequences are moved past them
afterwards so the next row the ORM adds does not collide. Seeding is an administrator's
one-off command, so no other writer is expected meanwhile.
"""

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Table, bindparam, func, insert, select, text, update
from werkzeug.security import generate_password_hash

from agri_credit.departmental.importer import import_file
from agri_credit.departmental.matching import match_subject_keys
from agri_credit.extensions import id_cipher
from models import (
    AgriEntity,
    BatchStatus,
    ColumnMapping,
    CreditRecord,
    Enterprise,
    Household,
    HouseholdAsset,
    HouseholdLiability,
    HouseholdMember,
    IdCipher,
    ImportBatch,
    InsurancePolicy,
    ProductionItem,
    Region,
    RegionLevel,
    User,
    VillageEvaluation,
    clock,
    db,
    refresh_planner_statistics,
)

from . import DEMO_PASSWORD
from .departments import DepartmentFile, generate_department_files, write_department_file
from .enterprises import DEFAULT_COUNT, ENTERPRISE_COLUMNS, generate_enterprises
from .generator import COUNTY_CODE, CountySizes, DemoCounty, generate_county
from .timing import StepTimer

CHUNK_ROWS = 20_000  # rows converted and sent per executemany: bounds memory at 200k households

# Tables whose ids the loader assigns, so their sequences need moving on PostgreSQL.
_EXPLICIT_IDS = (User, Household, AgriEntity, Enterprise)
DEMO_IMPORTER = "county_office"  # the county credit office imports the departments' files
_LEVEL_ORDER = [level.value for level in RegionLevel]


class DemoSeedError(RuntimeError):
    """The demo cannot be written: the database already holds it, or a file was refused."""


@dataclass(frozen=True)
class DepartmentalSummary:
    files: int
    rows: int
    unmatched: int

    def __str__(self) -> str:
        return (
            f"{self.files} departmental files ({self.rows:,} rows, "
            f"{self.unmatched:,} matching no file)"
        )


@dataclass(frozen=True)
class DemoSummary:
    townships: int
    villages: int
    households: int
    members: int
    entities: int
    users: int
    enterprises: int = 0
    departmental: DepartmentalSummary | None = None

    def __str__(self) -> str:
        text = (
            f"{self.townships} townships, {self.villages} villages, "
            f"{self.households:,} households ({self.members:,} members), "
            f"{self.entities:,} entities, {self.enterprises} SMEs, {self.users} users"
        )
        return f"{text}; {self.departmental}" if self.departmental else text


@dataclass(frozen=True)
class DemoData:
    """Everything generated from one seed and reference date, before it is written."""

    county: DemoCounty
    enterprises: pd.DataFrame
    registered_households: pd.Series  # village code -> 户籍户数
    seed: int
    as_of: date

    def department_files(self) -> list[DepartmentFile]:
        return generate_department_files(self.county, self.enterprises, self.seed, self.as_of)


def generate_demo(
    seed: int,
    households: int = 30_000,
    *,
    sizes: CountySizes | None = None,
    as_of: date | None = None,
    enterprises: int = DEFAULT_COUNT,
) -> DemoData:
    as_of = as_of or clock.today()
    county = generate_county(seed, sizes or CountySizes(households=households), as_of)
    firms = generate_enterprises(
        seed,
        county.regions,
        as_of,
        taken_usccs=set(county.entities["uscc"].dropna()),
        count=enterprises,
    )
    return DemoData(county, firms, registered_households(county.households, seed), seed, as_of)


def registered_households(households: pd.DataFrame, seed: int) -> pd.Series:
    """户籍户数 per village: a little above the files built, so most villages have files for
    85-98 % of their households and a few lag well behind."""
    files = households.groupby("village_code").size()
    rng = np.random.default_rng([seed, 13])
    coverage = np.where(
        rng.random(len(files)) < 0.1,
        rng.uniform(0.62, 0.84, len(files)),
        rng.uniform(0.85, 0.98, len(files)),
    )
    return pd.Series(
        np.ceil(files.to_numpy() / coverage).astype(np.int64), index=files.index, name="registered"
    )


def load_demo_county(
    seed: int,
    households: int = 30_000,
    *,
    sizes: CountySizes | None = None,
    as_of: date | None = None,
    departmental: bool = False,
    enterprises: int = DEFAULT_COUNT,
    timer: StepTimer | None = None,
) -> DemoSummary:
    """Generate the demo county and write it, committing once; nothing is written on error.
    With `departmental`, then import the departments' files (see `import_department_files`).
    `timer` records each step's wall and CPU time (the command prints them).

    Regions that already exist (an imported division list, a test's tree) are kept as they
    are; the county must have no households or entities yet and no demo username may be taken.
    """
    timer = timer or StepTimer()
    with timer.step("generate county"):
        data = generate_demo(seed, households, sizes=sizes, as_of=as_of, enterprises=enterprises)
    with timer.step("write county"):
        try:
            summary = write_county(
                data.county,
                id_cipher(),
                generate_password_hash(DEMO_PASSWORD),
                enterprises=data.enterprises,
                registered=data.registered_households,
            )
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        refresh_planner_statistics()
    if departmental:
        with timer.step("department files (frames)"):
            files = data.department_files()
        with timer.step("department files (write + import)"):
            first_batch = int(
                db.session.scalar(select(func.coalesce(func.max(ImportBatch.id), 0)))
            )
            summary = replace(summary, departmental=import_department_files(files))
            _imported_on(data.as_of, first_batch)
            refresh_planner_statistics()
    return summary


def _imported_on(day: date, after_batch: int) -> None:
    """The demo's files are what the departments had sent by its reference date, the demo's
    "today": their batches are dated that morning (when that is not in the future), so a
    rating as of that date sees them (a batch imported after a run's data date never counts
    in its departmental indicators)."""
    moment = clock.utc_start_of(day) + timedelta(hours=9)
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id > after_batch, ImportBatch.finished_at > moment)
        .values(created_at=moment, finished_at=moment)
    )
    db.session.commit()


def import_department_files(
    files: list[DepartmentFile], username: str = DEMO_IMPORTER
) -> DepartmentalSummary:
    """Import each file through the real importer as `username` (the county office), saving
    the suggested column mapping for its source first, as the office would on the mapping
    page; then link every subject key. Each file is its own committed batch: a failure stops
    the seed with the earlier batches in place, and says which file failed and why."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise DemoSeedError(f"No user {username!r} to import the departments' files as")
    rows = unmatched = 0
    with tempfile.TemporaryDirectory(prefix="demo-departments-") as folder:
        for file in files:
            path = write_department_file(file, Path(folder))
            columns = file.mapping()
            save_column_mapping(user, file.source, columns)
            batch = import_file(
                path,
                source=file.source,
                columns=columns,
                user=user,
                scope_code=user.scope_code,
                filename=file.filename,
            )
            if batch.status != BatchStatus.IMPORTED:
                raise DemoSeedError(f"{file.filename}: {batch.status_label}. {batch.message}")
            rows += batch.rows_read
            unmatched += batch.rows_unmatched
    match_subject_keys()
    return DepartmentalSummary(files=len(files), rows=rows, unmatched=unmatched)


def save_column_mapping(user: User, source: str, columns: dict[str, str]) -> None:
    mapping = db.session.scalar(
        select(ColumnMapping).where(
            ColumnMapping.scope_code == user.scope_code, ColumnMapping.source == source
        )
    )
    if mapping is None:
        mapping = ColumnMapping(scope_code=user.scope_code, source=source)
        db.session.add(mapping)
    mapping.columns = dict(columns)
    mapping.updated_by_id = user.id
    db.session.commit()


def write_county(
    county: DemoCounty,
    cipher: IdCipher,
    password_hash: str,
    *,
    enterprises: pd.DataFrame | None = None,
    registered: pd.Series | None = None,
) -> DemoSummary:
    """Insert the frames (and the SMEs and villages' 户籍户数, when given) in the current
    transaction. The caller commits."""
    _refuse_if_present(county)
    _insert_missing_regions(county.regions)
    if registered is not None:
        _set_registered_households(registered)
    user_base, household_base, entity_base, enterprise_base = (
        _max_id(model) for model in _EXPLICIT_IDS
    )

    users = county.users.assign(
        id=county.users["id"] + user_base,
        password_hash=password_hash,
        subject_id=county.users["subject_id"] + household_base,
    )
    households = county.households.assign(
        id=county.households["id"] + household_base,
        updated_by_id=county.households["updated_by_id"] + user_base,
    )
    households = _encrypt(households, "head_id_number", "head_id_", cipher, tail=True)
    members = _encrypt(
        _shift(county.members, "household_id", household_base), "id_number", "id_", cipher
    )
    entities = county.entities.assign(id=county.entities["id"] + entity_base)
    entities = _encrypt(entities, "operator_id_number", "operator_id_", cipher)
    records = _shift(
        _shift(county.records, "household_id", household_base), "entity_id", entity_base
    )

    _insert(User, users)
    _insert(Household, households)
    _insert(HouseholdMember, members)
    for model, frame in (
        (HouseholdAsset, county.assets),
        (HouseholdLiability, county.liabilities),
        (ProductionItem, county.production),
        (InsurancePolicy, county.insurance),
        (VillageEvaluation, county.evaluations),
    ):
        _insert(model, _shift(frame, "household_id", household_base))
    _insert(AgriEntity, entities)
    _insert(CreditRecord, records)
    if enterprises is not None:
        firms = enterprises.loc[:, list(ENTERPRISE_COLUMNS)]
        _insert(Enterprise, firms.assign(id=firms["id"] + enterprise_base))
    _reset_sequences()

    levels = county.regions["level"].value_counts()
    return DemoSummary(
        townships=int(levels.get(RegionLevel.TOWNSHIP.value, 0)),
        villages=int(levels.get(RegionLevel.VILLAGE.value, 0)),
        households=len(households),
        members=len(members),
        entities=len(entities),
        users=len(users),
        enterprises=0 if enterprises is None else len(enterprises),
    )


def _set_registered_households(registered: pd.Series) -> None:
    """Only where unknown: a figure an office entered (or imported) stands."""
    regions = Region.__table__  # Core: an ORM update with a list would mean "by primary key"
    db.session.execute(
        update(regions)
        .where(regions.c.code == bindparam("village"), regions.c.registered_households.is_(None))
        .values(registered_households=bindparam("registered")),
        [{"village": code, "registered": int(count)} for code, count in registered.items()],
    )


def _refuse_if_present(county: DemoCounty) -> None:
    for model, label in ((Household, "household files"), (AgriEntity, "entity files")):
        count = db.session.scalar(
            select(func.count()).select_from(model).where(model.county_code == COUNTY_CODE)
        )
        if count:
            raise DemoSeedError(
                f"County {COUNTY_CODE} already has {count:,} {label}; "
                "the demo seed only fills an empty county (use `make demo-reset` for a fresh one)."
            )
    taken = db.session.scalars(
        select(User.username).where(User.username.in_(county.users["username"].tolist()))
    ).all()
    if taken:
        raise DemoSeedError(f"Demo usernames already taken: {', '.join(sorted(taken))}")


def _insert_missing_regions(regions: pd.DataFrame) -> None:
    existing = set(
        db.session.scalars(select(Region.code).where(Region.code.in_(regions["code"].tolist())))
    )
    missing = regions[~regions["code"].isin(existing)]
    # Parents first: one statement per level keeps the self-referencing foreign key satisfied.
    for level in _LEVEL_ORDER:
        _insert(Region, missing[missing["level"] == level])


def _max_id(model) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(model.id), 0))))


def _shift(frame: pd.DataFrame, column: str, base: int) -> pd.DataFrame:
    """Local ids to database ids; a nullable column (a record's subject) stays null."""
    if not base:
        return frame
    return frame.assign(**{column: frame[column] + base})


def _encrypt(
    frame: pd.DataFrame, source: str, prefix: str, cipher: IdCipher, tail: bool = False
) -> pd.DataFrame:
    """Replace plain ID numbers by the ciphertext, blind index and mask; blanks stay blank."""
    parts = ("cipher", "hash", "masked", "tail") if tail else ("cipher", "hash", "masked")
    protected = [
        cipher.protect(value) if isinstance(value, str) else None for value in frame[source]
    ]
    columns = {
        prefix + part: [p[part] if p else (None if part != "masked" else "") for p in protected]
        for part in parts
    }
    return frame.drop(columns=source).assign(**columns)


def _python_values(column: pd.Series) -> list:
    """Plain Python values for the driver: None for every kind of missing."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return [None if pd.isna(x) else x for x in column.dt.to_pydatetime()]
    return column.astype(object).where(column.notna(), None).tolist()


def _chunks(frame: pd.DataFrame) -> Iterator[list[dict]]:
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        names = list(part.columns)
        values = [_python_values(part[name]) for name in names]
        yield [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _insert(model, frame: pd.DataFrame) -> None:
    table: Table = model.__table__
    unknown = set(frame.columns) - set(table.c.keys())
    if unknown:  # a misspelt column would otherwise vanish silently
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
    for rows in _chunks(frame):
        db.session.execute(insert(table), rows)


def _reset_sequences() -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in _EXPLICIT_IDS:
        name = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )

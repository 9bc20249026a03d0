"""Write the generated county to the database: encrypt ID numbers, insert every frame with
Core bulk inserts in foreign-key order, in one transaction, committed once.

Households, entities and users get explicit ids (their children point at them), counted on
from the highest id already present; on PostgreSQL the id sequences are moved past them
afterwards so the next row the ORM adds does not collide. Seeding is an administrator's
one-off command, so no other writer is expected meanwhile.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Table, func, insert, select, text
from werkzeug.security import generate_password_hash

from agri_credit.extensions import id_cipher
from models import (
    AgriEntity,
    CreditRecord,
    Household,
    HouseholdAsset,
    HouseholdLiability,
    HouseholdMember,
    IdCipher,
    InsurancePolicy,
    ProductionItem,
    Region,
    RegionLevel,
    User,
    VillageEvaluation,
    db,
    refresh_planner_statistics,
)

from . import DEMO_PASSWORD
from .generator import COUNTY_CODE, CountySizes, DemoCounty, generate_county

CHUNK_ROWS = 20_000  # rows converted and sent per executemany: bounds memory at 200k households

# Tables whose ids the loader assigns, so their sequences need moving on PostgreSQL.
_EXPLICIT_IDS = (User, Household, AgriEntity)
_LEVEL_ORDER = [level.value for level in RegionLevel]


class DemoSeedError(RuntimeError):
    """The database already holds what the demo would write."""


@dataclass(frozen=True)
class DemoSummary:
    townships: int
    villages: int
    households: int
    members: int
    entities: int
    users: int

    def __str__(self) -> str:
        return (
            f"{self.townships} townships, {self.villages} villages, "
            f"{self.households:,} households ({self.members:,} members), "
            f"{self.entities:,} entities, {self.users} users"
        )


def load_demo_county(
    seed: int,
    households: int = 30_000,
    *,
    sizes: CountySizes | None = None,
    as_of: date | None = None,
) -> DemoSummary:
    """Generate the demo county and write it, committing once; nothing is written on error.

    Regions that already exist (an imported division list, a test's tree) are kept as they
    are; the county must have no households or entities yet and no demo username may be taken.
    """
    county = generate_county(seed, sizes or CountySizes(households=households), as_of)
    try:
        summary = write_county(county, id_cipher(), generate_password_hash(DEMO_PASSWORD))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    refresh_planner_statistics()
    return summary


def write_county(county: DemoCounty, cipher: IdCipher, password_hash: str) -> DemoSummary:
    """Insert the frames in the current transaction. The caller commits."""
    _refuse_if_present(county)
    _insert_missing_regions(county.regions)
    user_base, household_base, entity_base = (_max_id(model) for model in _EXPLICIT_IDS)

    users = county.users.assign(id=county.users["id"] + user_base, password_hash=password_hash)
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
    _reset_sequences()

    levels = county.regions["level"].value_counts()
    return DemoSummary(
        townships=int(levels.get(RegionLevel.TOWNSHIP.value, 0)),
        villages=int(levels.get(RegionLevel.VILLAGE.value, 0)),
        households=len(households),
        members=len(members),
        entities=len(entities),
        users=len(users),
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

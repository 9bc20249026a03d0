"""Linking departmental subject keys to credit files, within scopes.

Rows are matched by number, never by name: a household by its head's ID number, an entity by
its USCC (or, for a 种养大户 without one, its operator's ID number), an SME by its USCC. Rows
that match nobody keep their key, and the key remembers the scope of the offices whose imports
brought its rows (`SubjectKey.scope_code`).

Who may put rows on which file (README, Privacy):

* An import links its keys only to files inside the importing office's scope, and only keys
  whose rows all came from imports inside that scope (`match_batch_keys`); `store.outside_scope`
  has already rejected the rows of numbers filed outside it.
* Saving a file links the keys carrying its number (the session hook below) when the key is
  unclaimed (no import holds it and no other file has it) or lies in the saving user's scope:
  its rows came from imports of her office or below, and every file already holding it is
  hers to see. Otherwise typing the number hands nothing over: a `SubjectLinkRequest` waits
  for a credit office whose scope covers the file, the key's imports and those other files.
* `match_subject_keys` (after bulk loads that bypass the ORM) links a key only to files inside
  its own scope, and never a pair an office has been asked about.
"""

from sqlalchemy import Connection, delete, event, insert, or_, select, text, update
from sqlalchemy.orm import Session

from models import (
    AgriEntity,
    Enterprise,
    Household,
    LinkStatus,
    SubjectKey,
    SubjectLinkRequest,
    User,
    common_node,
    db,
    node_contains,
    node_prefix,
    utcnow,
)

LINK_COLUMNS = {
    "household": SubjectKey.household_id,
    "entity": SubjectKey.entity_id,
    "enterprise": SubjectKey.enterprise_id,
}
_KEY_COLUMNS = (
    SubjectKey.id,
    SubjectKey.scope_code,
    SubjectKey.household_id,
    SubjectKey.entity_id,
    SubjectKey.enterprise_id,
)
_REGION_OF = {
    "household": (Household, Household.village_code),
    "entity": (AgriEntity, AgriEntity.village_code),
    "enterprise": (Enterprise, Enterprise.region_code),
}
LINK_CHUNK = 1000
# The table, region column and alias of each kind of file, for the set-based statements.
_FILES = {
    "household": ("households", "village_code"),
    "entity": ("agri_entities", "village_code"),
    "enterprise": ("enterprises", "region_code"),
}
_ASKED = (
    "NOT EXISTS (SELECT 1 FROM subject_link_requests r WHERE r.subject_key_id = subject_keys.id"
    " AND r.subject_type = '{kind}' AND r.subject_id = {alias}.id)"
)

# Each first drops links whose file no longer carries the number (safe in any scope).
_UNLINK_STATEMENTS = (
    """UPDATE subject_keys SET household_id = NULL WHERE household_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM households h WHERE h.id = subject_keys.household_id
                       AND h.head_id_hash = subject_keys.id_hash)""",
    """UPDATE subject_keys SET entity_id = NULL WHERE entity_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM agri_entities e WHERE e.id = subject_keys.entity_id
                       AND (e.uscc = subject_keys.uscc
                            OR (e.uscc IS NULL AND e.operator_id_hash = subject_keys.id_hash)))""",
    """UPDATE subject_keys SET enterprise_id = NULL WHERE enterprise_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM enterprises x WHERE x.id = subject_keys.enterprise_id
                       AND x.uscc = subject_keys.uscc)""",
)
# {keys}: which keys may be linked; {h}/{e}/{x}: which files they may be linked to.
_LINK_STATEMENTS = (
    """UPDATE subject_keys SET household_id =
         (SELECT MIN(h.id) FROM households h WHERE h.head_id_hash = subject_keys.id_hash AND {h})
       WHERE household_id IS NULL AND id_hash IS NOT NULL AND {keys}
       AND EXISTS (SELECT 1 FROM households h WHERE h.head_id_hash = subject_keys.id_hash
                   AND {h})""",
    """UPDATE subject_keys SET entity_id =
         (SELECT MIN(e.id) FROM agri_entities e WHERE e.uscc = subject_keys.uscc AND {e})
       WHERE entity_id IS NULL AND uscc IS NOT NULL AND {keys}
       AND EXISTS (SELECT 1 FROM agri_entities e WHERE e.uscc = subject_keys.uscc AND {e})""",
    """UPDATE subject_keys SET entity_id =
         (SELECT MIN(e.id) FROM agri_entities e
          WHERE e.uscc IS NULL AND e.operator_id_hash = subject_keys.id_hash AND {e})
       WHERE entity_id IS NULL AND id_hash IS NOT NULL AND {keys}
       AND EXISTS (SELECT 1 FROM agri_entities e
                   WHERE e.uscc IS NULL AND e.operator_id_hash = subject_keys.id_hash AND {e})""",
    """UPDATE subject_keys SET enterprise_id =
         (SELECT MIN(x.id) FROM enterprises x WHERE x.uscc = subject_keys.uscc AND {x})
       WHERE enterprise_id IS NULL AND uscc IS NOT NULL AND {keys}
       AND EXISTS (SELECT 1 FROM enterprises x WHERE x.uscc = subject_keys.uscc AND {x})""",
)


def _link_statements(keys: str, files_between: bool) -> list[str]:
    """The link statements, files limited to :low..:high when `files_between`, and never a
    (key, file) pair an office has been asked to confirm."""

    def files(kind: str, alias: str) -> str:
        column = _FILES[kind][1]
        where = _ASKED.format(kind=kind, alias=alias)
        if files_between:
            where += f" AND {alias}.{column} BETWEEN :low AND :high"
        return where

    return [
        s.format(
            keys=keys, h=files("household", "h"), e=files("entity", "e"), x=files("enterprise", "x")
        )
        for s in _LINK_STATEMENTS
    ]


def match_subject_keys(conn: Connection | None = None) -> None:
    """Link every key to the files carrying its number inside its own scope (after bulk
    loads of files that bypass the ORM; a system task, no user is handed anything): inside
    an import's transaction (`conn`), or in a transaction of its own."""
    if conn is None:
        with db.engine.connect() as own, own.begin():
            match_subject_keys(own)
        return
    for statement in _UNLINK_STATEMENTS:
        conn.execute(text(statement))
    scopes = conn.execute(select(SubjectKey.scope_code).distinct()).scalars().all()
    for scope in scopes:
        if scope is None:
            for statement in _link_statements("scope_code IS NULL", files_between=False):
                conn.execute(text(statement))
            continue
        low, high = _range(scope)
        for statement in _link_statements("scope_code = :scope", files_between=True):
            conn.execute(text(statement), {"scope": scope, "low": low, "high": high})


def match_batch_keys(conn: Connection, stage: str, scope_code: str) -> None:
    """After an import by an office of `scope_code`: widen the scope of the keys its rows
    went to, then link those keys whose rows all came from inside that scope to the files
    inside it."""
    _widen_key_scopes(conn, stage, scope_code)
    for statement in _UNLINK_STATEMENTS:
        conn.execute(text(statement))
    low, high = _range(scope_code)
    keys = f"id IN (SELECT subject_key_id FROM {stage}) AND scope_code BETWEEN :low AND :high"
    for statement in _link_statements(keys, files_between=True):
        conn.execute(text(statement), {"low": low, "high": high})


def _widen_key_scopes(conn: Connection, stage: str, scope_code: str) -> None:
    """A key's scope covers every import that brought it rows: set-based, one statement per
    distinct scope the batch's keys had before (a handful), not one per key."""
    in_batch = f"id IN (SELECT subject_key_id FROM {stage})"
    conn.execute(
        text(
            f"UPDATE subject_keys SET scope_code = :scope WHERE scope_code IS NULL AND {in_batch}"
        ),
        {"scope": scope_code},
    )
    before = conn.execute(
        text(f"SELECT DISTINCT scope_code FROM subject_keys WHERE {in_batch}")
    ).scalars()
    for old in list(before):
        new = common_node([old, scope_code])
        if new != old:
            conn.execute(
                text(
                    f"UPDATE subject_keys SET scope_code = :new WHERE scope_code = :old AND {in_batch}"
                ),
                {"new": new, "old": old},
            )


def _range(node: str) -> tuple[str, str]:
    prefix = node_prefix(node)
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


# ---- a file saved through the ORM -----------------------------------------------------------


def link_file(
    conn: Connection,
    kind: str,
    file_id: int,
    region_code: str,
    numbers: dict[str, str | None],
    user_id: int | None,
) -> None:
    """Point the keys carrying the file's numbers at it where the saving user may be handed
    their rows, ask an office about the others, and drop links and open requests for
    numbers the file no longer carries."""
    column = LINK_COLUMNS[kind]
    wanted = [getattr(SubjectKey, attr) == number for attr, number in numbers.items() if number]
    carrying = conn.execute(select(*_KEY_COLUMNS).where(or_(*wanted))).all() if wanted else []
    carrying_ids = [k.id for k in carrying]
    conn.execute(
        update(SubjectKey)
        .where(column == file_id, SubjectKey.id.not_in(carrying_ids))
        .values({column.key: None})
    )
    conn.execute(
        delete(SubjectLinkRequest).where(
            SubjectLinkRequest.subject_type == kind,
            SubjectLinkRequest.subject_id == file_id,
            SubjectLinkRequest.status == LinkStatus.PENDING,
            SubjectLinkRequest.subject_key_id.not_in(carrying_ids),
        )
    )
    to_decide = [k for k in carrying if getattr(k, column.key) != file_id]
    if not to_decide:
        return
    asked = dict(
        conn.execute(
            select(SubjectLinkRequest.subject_key_id, SubjectLinkRequest.status).where(
                SubjectLinkRequest.subject_type == kind,
                SubjectLinkRequest.subject_id == file_id,
                SubjectLinkRequest.subject_key_id.in_([k.id for k in to_decide]),
            )
        ).all()
    )
    _decide(
        conn,
        kind,
        [(file_id, region_code, key, asked.get(key.id)) for key in to_decide],
        user_id,
    )


def link_new_households(conn: Connection, household_ids: list[int], user_id: int | None) -> None:
    """The same rule for households written in bulk (the sheet import bypasses the ORM hook):
    one query per 1,000 households finds those whose head's number has a key."""
    for start in range(0, len(household_ids), LINK_CHUNK):
        part = household_ids[start : start + LINK_CHUNK]
        pairs = conn.execute(
            select(Household.id, Household.village_code, *_KEY_COLUMNS)
            .join(SubjectKey, SubjectKey.id_hash == Household.head_id_hash)
            .where(Household.id.in_(part), SubjectKey.household_id.is_(None))
        ).all()
        _decide(conn, "household", [(p[0], p[1], p[2:], None) for p in pairs], user_id)


def _decide(conn: Connection, kind: str, candidates: list, user_id: int | None) -> None:
    """Link or ask, for (file id, file region, key row, earlier request status) candidates.
    A key row is (id, scope_code, household_id, entity_id, enterprise_id)."""
    if not candidates:
        return
    column = LINK_COLUMNS[kind]
    user_scope = (
        conn.execute(select(User.scope_code).where(User.id == user_id)).scalar_one_or_none()
        if user_id
        else None
    )
    regions = _holder_regions(conn, [key for _, _, key, _ in candidates])
    links, requests = [], []
    for file_id, region_code, key, status in candidates:
        if status is not None and status != LinkStatus.CONFIRMED:
            continue  # waiting for, or refused by, an office: typing again changes nothing
        key_id, scope = key[0], key[1]
        holders = [
            regions[(other, held)]
            for other, held in zip(LINK_COLUMNS, key[2:5], strict=True)
            if held is not None and (other, held) != (kind, file_id) and (other, held) in regions
        ]
        unclaimed = scope is None and not holders
        in_user_scope = user_scope is not None and all(
            node_contains(user_scope, code) for code in [*holders, scope] if code
        )
        if status == LinkStatus.CONFIRMED or unclaimed or in_user_scope:
            links.append({"key_id": key_id, "file_id": file_id})
            continue
        requests.append(
            {
                "subject_key_id": key_id,
                "subject_type": kind,
                "subject_id": file_id,
                "region_code": region_code,
                "scope_code": common_node([region_code, *holders, *([scope] if scope else [])]),
                "status": LinkStatus.PENDING.value,
                "requested_by_id": user_id,
                "created_at": utcnow(),
            }
        )
    if links:
        conn.execute(
            text(f"UPDATE subject_keys SET {column.key} = :file_id WHERE id = :key_id"), links
        )
    if requests:
        conn.execute(insert(SubjectLinkRequest), requests)


def _holder_regions(conn: Connection, keys: list) -> dict[tuple[str, int], str]:
    """{(kind, file id): region} of every file holding one of the keys."""
    wanted: dict[str, set[int]] = {kind: set() for kind in LINK_COLUMNS}
    for key in keys:
        for kind, held in zip(LINK_COLUMNS, key[2:5], strict=True):
            if held is not None:
                wanted[kind].add(held)
    found: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        model, region = _REGION_OF[kind]
        ids_list = sorted(ids)
        for start in range(0, len(ids_list), LINK_CHUNK):
            part = ids_list[start : start + LINK_CHUNK]
            for file_id, code in conn.execute(select(model.id, region).where(model.id.in_(part))):
                found[(kind, file_id)] = code
    return found


def file_numbers(obj) -> tuple[str, dict[str, str | None], str] | None:
    """(kind, numbers a key may carry, region) of a credit file, None for anything else."""
    if isinstance(obj, Household):
        return "household", {"id_hash": obj.head_id_hash}, obj.village_code
    if isinstance(obj, AgriEntity):
        operator = obj.operator_id_hash if not obj.uscc else None
        return "entity", {"uscc": obj.uscc, "id_hash": operator}, obj.village_code
    if isinstance(obj, Enterprise):
        return "enterprise", {"uscc": obj.uscc}, obj.region_code
    return None


@event.listens_for(Session, "after_flush")
def _link_saved_files(session: Session, _context) -> None:
    """The saving user is the file's `updated_by_id`, which every save_* service sets before
    it flushes; a file saved without one (a script) is handed only unclaimed keys."""
    for obj in list(session.new) + list(session.dirty):
        found = file_numbers(obj)
        if found is None or obj.id is None:
            continue
        kind, numbers, region = found
        link_file(session.connection(), kind, obj.id, region, numbers, obj.updated_by_id)

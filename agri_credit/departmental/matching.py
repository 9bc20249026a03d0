"""Linking departmental subject keys to credit files.

Rows are matched by number, never by name: a household by its head's ID number, an entity by
its USCC (or, for a 种养大户 without one, its operator's ID number), an SME by its USCC. Rows
that match nobody keep their key; the key is linked the moment a file with that number is
saved (the session hook below) or when `match_subject_keys` runs after a bulk load.
"""

from sqlalchemy import Connection, event, text, update
from sqlalchemy.orm import Session

from models import AgriEntity, Enterprise, Household, SubjectKey, db

# Set-based statements; each first drops links whose file no longer carries the number.
_MATCH_STATEMENTS = (
    """UPDATE subject_keys SET household_id = NULL WHERE household_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM households h WHERE h.id = subject_keys.household_id
                       AND h.head_id_hash = subject_keys.id_hash)""",
    """UPDATE subject_keys SET household_id =
         (SELECT MIN(h.id) FROM households h WHERE h.head_id_hash = subject_keys.id_hash)
       WHERE household_id IS NULL AND id_hash IS NOT NULL
       AND EXISTS (SELECT 1 FROM households h WHERE h.head_id_hash = subject_keys.id_hash)""",
    """UPDATE subject_keys SET entity_id = NULL WHERE entity_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM agri_entities e WHERE e.id = subject_keys.entity_id
                       AND (e.uscc = subject_keys.uscc
                            OR (e.uscc IS NULL AND e.operator_id_hash = subject_keys.id_hash)))""",
    """UPDATE subject_keys SET entity_id =
         (SELECT MIN(e.id) FROM agri_entities e WHERE e.uscc = subject_keys.uscc)
       WHERE entity_id IS NULL AND uscc IS NOT NULL
       AND EXISTS (SELECT 1 FROM agri_entities e WHERE e.uscc = subject_keys.uscc)""",
    """UPDATE subject_keys SET entity_id =
         (SELECT MIN(e.id) FROM agri_entities e
          WHERE e.uscc IS NULL AND e.operator_id_hash = subject_keys.id_hash)
       WHERE entity_id IS NULL AND id_hash IS NOT NULL
       AND EXISTS (SELECT 1 FROM agri_entities e
                   WHERE e.uscc IS NULL AND e.operator_id_hash = subject_keys.id_hash)""",
    """UPDATE subject_keys SET enterprise_id = NULL WHERE enterprise_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM enterprises x WHERE x.id = subject_keys.enterprise_id
                       AND x.uscc = subject_keys.uscc)""",
    """UPDATE subject_keys SET enterprise_id =
         (SELECT MIN(x.id) FROM enterprises x WHERE x.uscc = subject_keys.uscc)
       WHERE enterprise_id IS NULL AND uscc IS NOT NULL
       AND EXISTS (SELECT 1 FROM enterprises x WHERE x.uscc = subject_keys.uscc)""",
)


def match_subject_keys(conn: Connection | None = None) -> None:
    """Link every key to the files that carry its number: inside an import's transaction
    (`conn`), or in a transaction of its own after bulk loads that bypass the session hook."""
    if conn is None:
        with db.engine.connect() as own, own.begin():
            match_subject_keys(own)
        return
    for statement in _MATCH_STATEMENTS:
        conn.execute(text(statement))


def _link(session: Session, column, file_id: int, **numbers: str | None) -> None:
    """Point the keys carrying the file's numbers at it, and only those."""
    conn = session.connection()
    conn.execute(update(SubjectKey).where(column == file_id).values({column.key: None}))
    for attribute, number in numbers.items():
        if number:
            conn.execute(
                update(SubjectKey)
                .where(getattr(SubjectKey, attribute) == number)
                .values({column.key: file_id})
            )


@event.listens_for(Session, "after_flush")
def _link_saved_files(session: Session, _context) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Household) and obj.id is not None:
            _link(session, SubjectKey.household_id, obj.id, id_hash=obj.head_id_hash)
        elif isinstance(obj, AgriEntity) and obj.id is not None:
            operator = obj.operator_id_hash if not obj.uscc else None
            _link(session, SubjectKey.entity_id, obj.id, uscc=obj.uscc, id_hash=operator)
        elif isinstance(obj, Enterprise) and obj.id is not None:
            _link(session, SubjectKey.enterprise_id, obj.id, uscc=obj.uscc)

"""Data-coverage figures, computed once per state of the data (issue 12 point 19).

Counting which files each department's records reach takes a few dozen GROUP BYs over every
record of the county (a second or more at the demo county's size), yet the answer changes
only when data does: an import lands or is rolled back, a file is added, edited, moved or
removed, a subject key is linked, a village reports its 户籍户数. So the figures are kept per
process under a *data stamp*: one round trip of cheap aggregates over exactly those tables,
which moves whenever any of those events happens. A request reads the stamp first, then
either reuses the figures made under the same stamp or computes them afresh; figures are
therefore never older than the data the stamp saw (a change after the stamp was read shows on
the next request). Nothing is invalidated by hand, so no write path can forget to.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Integer, case, cast, func, select, true

from models import (
    AgriEntity,
    BatchStatus,
    Enterprise,
    Household,
    ImportBatch,
    Region,
    SubjectKey,
    db,
)

T = TypeVar("T")
MAX_ENTRIES = 64  # (figure, scope, day) kept per process; each entry is a few small frames
_entries: "OrderedDict[tuple, Any]" = OrderedDict()
_lock = threading.Lock()


def _linked(column: Any) -> tuple[Any, Any]:
    """Sums that move when a key is linked, unlinked or relinked: of the files linked and
    of the keys linking them (a link moved between two keys changes the second)."""
    return (
        func.coalesce(func.sum(column), 0),
        func.coalesce(func.sum(case((column.is_not(None), SubjectKey.id), else_=0)), 0),
    )


def _files(model: Any) -> Any:
    # updated_at moves on every save (onupdate, Core updates included); count and max(id)
    # catch a file added or removed.
    return select(func.count(), func.max(model.id), func.max(model.updated_at)).select_from(model)


def data_stamp() -> tuple:
    """Aggregates that change whenever an input of the coverage figures changes. A handful
    of scans of narrow columns: milliseconds, against a second for the figures."""
    imported = ImportBatch.status == BatchStatus.IMPORTED
    queries = [
        select(
            func.count(),
            func.max(ImportBatch.id),
            func.max(ImportBatch.finished_at),
            func.max(ImportBatch.rolled_back_at),
            func.coalesce(func.sum(case((imported, ImportBatch.id), else_=0)), 0),
        ),
        _files(Household),
        _files(AgriEntity),
        _files(Enterprise),
        select(
            func.count(),
            func.max(SubjectKey.id),
            *_linked(SubjectKey.household_id),
            *_linked(SubjectKey.entity_id),
            *_linked(SubjectKey.enterprise_id),
        ),
        select(
            func.count(),
            func.count(Region.registered_households),
            func.coalesce(func.sum(Region.registered_households), 0),
            func.coalesce(func.sum(func.length(Region.name)), 0),  # a village renamed
            # Weighted by the village's number: two villages trading figures still move it.
            func.coalesce(
                func.sum(
                    Region.registered_households * cast(func.substr(Region.code, 7, 6), Integer)
                ),
                0,
            ),
        ),
    ]
    # One round trip: the single-row aggregates side by side.
    parts = [query.subquery(f"stamp_{i}") for i, query in enumerate(queries)]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())
    columns = [column for part in parts for column in part.c]
    return tuple(db.session.execute(select(*columns).select_from(joined)).one())


def cached(what: tuple, compute: Callable[[], T]) -> T:
    """`compute()`'s answer for `what` (a name, the scope, maybe the day) under the current
    data stamp, computed now unless this process already holds it. The answer is shared by
    the requests that reuse it: callers only read it."""
    key = (db.engine.url.render_as_string(hide_password=True), *what, data_stamp())
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]
    value = compute()
    with _lock:
        _entries[key] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()

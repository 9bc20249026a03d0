"""Matching follows every committed change to its inputs, whichever write path made it.

- Needs and products: the session notes every FinancingNeed or LoanProduct it flushes (and
  every bulk INSERT, UPDATE or DELETE of their tables) and reruns matching just before the
  commit, in the same transaction, so a result is never older than the data it used. Needs
  and products are
  written by several features (posting, editing, maker-checker, withdrawal, claims); hooking
  the session keeps each of them from having to remember it.
- Grades and scores: the rating cycle and the scoring service send signals when they write
  them (`agri_credit.signals.grades_written`, `loans.scoring.signals.scores_stored`).
- 纳税信用等级: a departmental tax import (or its rollback) signals after its commit
  (`agri_credit.signals.records_changed`); the subjects it touched are matched again.

A GET writes none of these, so no page reruns matching.
"""

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from agri_credit.signals import grades_written, records_changed
from loans.scoring.signals import scores_stored
from models import FinancingNeed, LoanProduct, Source, db

from . import services

_NEEDS, _ALL, _BUSY = "matching.needs", "matching.all", "matching.busy"


def _note_flush(session: Session, _context: Any) -> None:
    if session.info.get(_BUSY):
        return
    changed = [*session.new, *session.dirty, *session.deleted]
    if any(isinstance(obj, LoanProduct) for obj in changed):
        session.info[_ALL] = True
    needs = {obj.id for obj in changed if isinstance(obj, FinancingNeed) and obj.id is not None}
    if needs:
        session.info.setdefault(_NEEDS, set()).update(needs)


def _note_bulk_update(state: ORMExecuteState) -> None:
    if state.session.info.get(_BUSY) or not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table.name in ("loan_products", "financing_needs"):
        state.session.info[_ALL] = True  # which rows is unknown here: rerun every open need


def _rematch_before_commit(session: Session) -> None:
    if session.info.get(_BUSY):
        return
    session.flush()  # the last changes are noted by _note_flush
    everything = session.info.pop(_ALL, False)
    needs = session.info.pop(_NEEDS, set())
    if not everything and not needs:
        return
    session.info[_BUSY] = True
    try:
        if everything:
            services.rematch_all()
        else:
            services.rematch_needs(needs)
        session.flush()
    finally:
        session.info.pop(_BUSY, None)


def _forget(session: Session) -> None:
    session.info.pop(_ALL, None)
    session.info.pop(_NEEDS, None)


def _on_grades(_sender: Any, households: list[int], entities: list[int], **_: Any) -> None:
    services.rematch_subjects("household", households)
    services.rematch_subjects("entity", entities)


def _on_scores(_sender: Any, subject_type: str, subject_ids: list[int] | None, **_: Any) -> None:
    services.rematch_subjects(subject_type, subject_ids)


log = logging.getLogger(__name__)


def _on_records(
    _sender: Any, source: str, batch_id: int, key_ids: list[int] | None = None, **_: Any
) -> None:
    """A tax import committed (or was rolled back): products may read 纳税信用等级, so the
    touched subjects' open needs are matched again, in a transaction of their own. Nothing
    else a department sends is read by matching."""
    if source != Source.TAX.value:
        return
    try:
        if services.products_read_tax_grade():
            services.rematch_after_tax_records(batch_id, key_ids)
        db.session.commit()
    except Exception:  # the import stands; the next change of these needs reruns them
        db.session.rollback()
        log.exception("matching after tax batch %s failed", batch_id)


def connect() -> None:
    """Wire matching to its inputs' write paths (idempotent; called by the app factory)."""
    if not event.contains(Session, "after_flush", _note_flush):
        event.listen(Session, "after_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_bulk_update)
        event.listen(Session, "before_commit", _rematch_before_commit)
        event.listen(Session, "after_rollback", _forget)
    grades_written.connect(_on_grades)
    scores_stored.connect(_on_scores)
    records_changed.connect(_on_records)

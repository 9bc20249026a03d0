"""Keeping match results in step with their data, from the write paths that change it.

Matching reruns when a need, a product, a rating or a score changes (`hooks.py` wires the
write paths to these functions); a page only reads. A product change reorders every need's
eligible products, so it reruns all open needs; a need or subject change reruns its needs.
"""

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import and_, delete, func, insert, or_, select, update

from loans.products.services import listed_products_query
from models import (
    FinancingNeed,
    LoanProduct,
    MatchResult,
    NeedStatus,
    SubjectKey,
    TaxRecord,
    db,
    today,
    utcnow,
)

from .engine import match
from .store import needs_frame, products_frame


def _store(need_ids: list[int] | None) -> int:
    """Rerun matching for these needs (all open needs when None) and replace their rows.
    Only the eligible pairs are stored: every page, the queue and the API read those, and
    why a product does not fit one need is recomputed when the applicant opens it
    (`applicant.need_matches`, milliseconds), so a product change writes the open needs'
    eligible pairs, not needs × products rows. Needs that are no longer open lose their
    rows. Returns the pairs written."""
    day = today()
    products = products_frame(day)
    needs = needs_frame(day, need_ids)
    if need_ids is None:
        db.session.execute(delete(MatchResult))
    elif need_ids:
        db.session.execute(delete(MatchResult).where(MatchResult.need_id.in_(need_ids)))
    if needs.empty or products.empty:
        return 0
    pairs = eligible_pairs(needs, products)
    if pairs.empty:
        return 0
    stamp = utcnow()
    points = pairs["score_points"].to_numpy(dtype=float)
    has_points = ~np.isnan(points)
    columns = {
        "need_id": pairs["need_id"].to_numpy(dtype=np.int64).tolist(),
        "product_id": pairs["product_id"].to_numpy(dtype=np.int64).tolist(),
        "bank_id": pairs["bank_id"].to_numpy(dtype=np.int64).tolist(),
        "rank": pairs["rank"].to_numpy(dtype=np.int64).tolist(),
        "bank_rank": pairs["bank_rank"].to_numpy(dtype=np.int64).tolist(),
        "queue_order": np.where(has_points, points, -1).astype(np.int64).tolist(),
        "rank_key": _nullable(pairs["rank_key"]),
        "approval_chance": _nullable(pairs["approval_chance"]),
        "need_version": pairs["need_version"].to_numpy(dtype=np.int64).tolist(),
        "product_version": pairs["product_version"].to_numpy(dtype=np.int64).tolist(),
        "score_points": [int(v) if ok else None for v, ok in zip(points, has_points, strict=True)],
        "credit_grade": [g if isinstance(g, str) else None for g in pairs["credit_grade"]],
    }
    names = list(columns)
    rows = [
        {**dict(zip(names, values, strict=True)), "failures": 0, "matched_at": stamp}
        for values in zip(*columns.values(), strict=True)
    ]
    db.session.execute(insert(MatchResult), rows)
    _note_first_match(pairs.loc[pairs["rank"] > 0, "need_id"].unique().tolist(), stamp)
    return len(rows)


def _note_first_match(need_ids: list[int], stamp) -> None:
    """Stamp needs found eligible for the first time. Through the connection, not the ORM
    session: this is matching's own bookkeeping, not a change to rerun matching for (the
    session hook watches ORM writes of the needs table), and `updated_at` stays as it was."""
    if not need_ids:
        return
    table = FinancingNeed.__table__
    if len(need_ids) <= 5_000:
        which = table.c.id.in_([int(i) for i in need_ids])
    else:  # a whole county's rerun: no parameter list that long (SQLite's limit)
        which = (
            select(MatchResult.need_id)
            .where(MatchResult.need_id == table.c.id, MatchResult.rank > 0)
            .exists()
        )
    db.session.connection().execute(
        update(table)
        .where(which, table.c.first_matched_at.is_(None))
        .values(first_matched_at=stamp, updated_at=table.c.updated_at)
    )
def _nullable(series: pd.Series) -> list[float | None]:
    values = series.to_numpy(dtype=float)
    return [None if np.isnan(v) else float(v) for v in values]


def eligible_pairs(needs: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """The engine's eligible pairs with what the stored row keeps beside them: the product's
    bank and version, the need's version, score and grade, and the pair's bank rank."""
    pairs = match(needs, products).eligible
    by_need = needs.set_index("need_id")
    by_product = products.set_index("product_id")
    need_index = by_need.index.get_indexer(pairs["need_id"])
    product_index = by_product.index.get_indexer(pairs["product_id"])
    pairs["bank_id"] = by_product["bank_id"].to_numpy()[product_index]
    pairs["product_version"] = by_product["product_version"].to_numpy()[product_index]
    pairs["need_version"] = by_need["need_version"].to_numpy()[need_index]
    pairs["score_points"] = by_need["score_points"].to_numpy(dtype=float)[need_index]
    pairs["credit_grade"] = by_need["credit_grade"].to_numpy(dtype=object)[need_index]
    pairs["bank_rank"] = bank_ranks(pairs)
    return pairs


def bank_ranks(pairs: pd.DataFrame) -> np.ndarray:
    """Per eligible pair, its place among the need's eligible products of the same bank
    (1 = the bank's best product for the need, the one its queue shows)."""
    ordered = pairs.sort_values(["need_id", "bank_id", "rank"])
    ranks = pd.Series(0, index=pairs.index, dtype=np.int64)
    ranks[ordered.index] = ordered.groupby(["need_id", "bank_id"]).cumcount().to_numpy() + 1
    return ranks.to_numpy()


def rematch_needs(need_ids: Iterable[int]) -> int:
    """A need was posted, edited, withdrawn or closed: rerun it against every listed product."""
    ids = sorted({int(i) for i in need_ids})
    return _store(ids) if ids else 0


def rematch_all() -> int:
    """A product was listed, changed or delisted (or the day moved a product's validity):
    rerun every open need."""
    return _store(None)


def rematch_subjects(subject_type: str, subject_ids: Iterable[int] | None = None) -> int:
    """A subject's grade or score changed: rerun its open needs (every subject of the type
    when `subject_ids` is None, as after scoring a whole county)."""
    query = select(FinancingNeed.id).where(FinancingNeed.subject_type == subject_type)
    if subject_ids is not None:
        ids = [int(i) for i in subject_ids]
        if not ids:
            return 0
        query = query.where(FinancingNeed.subject_id.in_(ids))
    return rematch_needs(db.session.scalars(query))


def open_need_count(product_id: int) -> int:
    """How many open needs the product matches now (its eligible stored pairs)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(MatchResult)
            .join(FinancingNeed, FinancingNeed.id == MatchResult.need_id)
            .where(
                MatchResult.product_id == product_id,
                MatchResult.rank > 0,
                FinancingNeed.status == NeedStatus.OPEN.value,
            )
        )
        or 0
    )


def eligible_count(need_id: int) -> int:
    """How many listed products the need fits now."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(MatchResult)
            .where(MatchResult.need_id == need_id, MatchResult.rank > 0)
        )
        or 0
    )


def products_read_tax_grade() -> bool:
    """Whether any product listed today accepts only some 纳税信用等级 (then a tax import can
    change a match; otherwise nothing it brings is read by matching)."""
    grades = db.session.scalars(
        listed_products_query(today()).with_only_columns(LoanProduct.tax_grades)
    )
    return any(grades)


def rematch_after_tax_records(batch_id: int, key_ids: list[int] | None = None) -> int:
    """A tax import (or its rollback) changed the 纳税信用等级 of some subjects: rerun the
    open needs of the subjects it touched — those of the batch's rows and of the rows it
    superseded (`key_ids` when the rows are gone) — in one query, not every open need."""
    if key_ids is None:
        keys = select(TaxRecord.subject_key_id).where(
            or_(TaxRecord.batch_id == batch_id, TaxRecord.superseded_by_id == batch_id)
        )
    elif key_ids:
        keys = [int(k) for k in key_ids]
    else:
        return 0
    owners = [
        and_(
            FinancingNeed.subject_type == kind,
            FinancingNeed.subject_id.in_(
                select(column).where(SubjectKey.id.in_(keys), column.is_not(None))
            ),
        )
        for kind, column in (
            ("household", SubjectKey.household_id),
            ("entity", SubjectKey.entity_id),
            ("enterprise", SubjectKey.enterprise_id),
        )
    ]
    needs = db.session.scalars(
        select(FinancingNeed.id).where(FinancingNeed.status == NeedStatus.OPEN.value, or_(*owners))
    )
    return rematch_needs(needs)

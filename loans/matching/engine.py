"""Matching open financing needs against listed loan products: every hard rule evaluated for
every (need, product) pair at once with numpy broadcasting, a failure bitmask per pair
(`rules.Rule` bits; 0 means eligible) and a rank key that orders a need's eligible products.

Plain functions over DataFrames, no database and no Flask, so the 100,000 × 800 benchmark
and the one-need explanation run the very same code.

Needs frame, one row per need:
    need_id, subject_type ("household" / "entity" / "enterprise"), region_code (12 digits),
    amount (yuan), term_months, has_collateral, has_guarantee (bool),
    credit_grade ("AAA" / "AA" / "A" or missing), score_points (NaN without a score:
    no minimum score applies to it),
    tax_grade ("A" … "D" or missing), years_operating (NaN when unknown)
Products frame, one row per listed product:
    product_id, amount_min, amount_max, term_min, term_max, rate_min, rate_max,
    subject_types (list of types; empty: all), region_codes (list of 12-digit node codes;
    empty: everywhere), min_grade (missing: none), min_score (NaN: none),
    tax_grades (list of accepted letters; empty: any), min_years (NaN or 0: none),
    requires_collateral, requires_guarantee (bool)
A missing bound (NaN) sets no limit.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.regions import node_prefix

from .rules import (
    ALL_SUBJECT_TYPES,
    GRADE_ORDER,
    SUBJECT_TYPE_BITS,
    TAX_GRADE_BITS,
    Rule,
)

PREFIX_LENGTHS = (2, 4, 6, 9, 12)  # province, city, county, township, village
CHUNK_ROWS = 4096  # needs per block: keeps each temporary (block × products) in cache range


@dataclass(frozen=True)
class RankingWeights:
    """How a need's eligible products are ordered: a weighted sum of four parts in [0, 1]."""

    rate: float = 0.4  # the lower the product's lowest rate among listed products, the better
    approval: float = 0.3  # estimated approval chance from the applicant's score
    amount_fit: float = 0.15  # the need sits in the middle of the product's amount range
    term_fit: float = 0.15  # the need sits in the middle of the product's term range
    # Approval chance: logistic in (points - the product's minimum score, or this reference
    # when it sets none) over `approval_scale` points.
    reference_points: float = 600.0
    approval_scale: float = 40.0
    no_score_chance: float = 0.5  # stands in for the chance in the key when there is no score


DEFAULT_WEIGHTS = RankingWeights()


@dataclass(frozen=True)
class ProductArrays:
    """A listed-products frame encoded once as numpy vectors (one entry per product)."""

    product_ids: np.ndarray
    amount_min: np.ndarray
    amount_max: np.ndarray
    term_min: np.ndarray
    term_max: np.ndarray
    rate_score: np.ndarray
    subject_mask: np.ndarray
    min_grade: np.ndarray
    min_score: np.ndarray  # NaN: none
    tax_mask: np.ndarray
    min_years: np.ndarray
    has_min_years: np.ndarray
    requires_collateral: np.ndarray
    requires_guarantee: np.ndarray
    log_amount_min: np.ndarray
    log_amount_span: np.ndarray
    term_span: np.ndarray
    region_nodes: dict[str, int]  # significant prefix of a covered node -> row of `coverage`
    coverage: np.ndarray  # (nodes + 1, products) bool; the last row: no node
    everywhere: np.ndarray  # products without a region list


@dataclass(frozen=True)
class NeedArrays:
    """Needs encoded against one product encoding.

    The rules on categories (subject type, grade, tax grade, collateral, guarantee) and on the
    region depend on a handful of distinct values, so they are evaluated once per distinct
    value into small tables of failure bits and gathered per need; only the numeric rules are
    compared pair by pair."""

    need_ids: np.ndarray
    amount: np.ndarray
    term: np.ndarray
    points: np.ndarray  # NaN without a score
    years: np.ndarray  # NaN when unknown
    category_rows: np.ndarray  # (needs,) row of `category_failures`
    category_failures: np.ndarray  # (distinct categories, products) uint16
    region_rows: np.ndarray  # (needs,) row of `region_failures`
    region_failures: np.ndarray  # (distinct region codes, products) uint16


@dataclass(frozen=True)
class MatchResult:
    """Every pair's failure bitmask, plus the eligible pairs ranked with their rank keys."""

    need_ids: np.ndarray  # (needs,)
    product_ids: np.ndarray  # (products,)
    failures: np.ndarray  # (needs, products) uint16, Rule bits; 0: eligible
    eligible: pd.DataFrame  # need_id, product_id, rank (1 = best), rank_key, approval_chance

    def pairs(self) -> pd.DataFrame:
        """Every pair in long form (need_id, product_id, failures, rank, rank_key,
        approval_chance), the shape the match-result table stores; rank 0 and a missing
        key for a pair that is not eligible."""
        n, m = self.failures.shape
        frame = pd.DataFrame(
            {
                "need_id": np.repeat(self.need_ids, m),
                "product_id": np.tile(self.product_ids, n),
                "failures": self.failures.ravel().astype(np.int32),
            }
        )
        frame = frame.merge(self.eligible, on=["need_id", "product_id"], how="left")
        frame["rank"] = frame["rank"].fillna(0).astype(np.int32)
        return frame


def _list_mask(values: Iterable, bits: dict[str, int], empty: int) -> int:
    mask = 0
    for value in values if values is not None else ():
        mask |= bits.get(str(value), 0)
    return mask or empty


def _float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def encode_products(products: pd.DataFrame) -> ProductArrays:
    """Encode the listed products once; matching many needs reuses the result."""
    m = len(products)
    amount_min, amount_max = _float(products["amount_min"]), _float(products["amount_max"])
    term_min, term_max = _float(products["term_min"]), _float(products["term_max"])
    rate = _float(products["rate_min"])
    low, high = np.nanmin(rate, initial=np.inf), np.nanmax(rate, initial=-np.inf)
    spread = high - low if np.isfinite(low) and high > low else np.inf  # one rate: all equal
    rate_score = np.nan_to_num(
        (high - rate) / spread if np.isfinite(spread) else np.ones(m), nan=0.5
    )

    # Region coverage: one row per distinct covered node, one column per product.
    region_lists = [list(r) if r is not None else [] for r in products["region_codes"]]
    nodes: dict[str, int] = {}
    for codes in region_lists:
        for code in codes:
            nodes.setdefault(node_prefix(str(code)), len(nodes))
    coverage = np.zeros((len(nodes) + 1, m), dtype=bool)
    for column, codes in enumerate(region_lists):
        for code in codes:
            coverage[nodes[node_prefix(str(code))], column] = True
    everywhere = np.array([not codes for codes in region_lists], dtype=bool)

    min_score, min_years = _float(products["min_score"]), _float(products["min_years"])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_min = np.log(np.where(amount_min > 0, amount_min, np.nan))
        log_span = np.log(np.where(amount_max > 0, amount_max, np.nan)) - log_min
    return ProductArrays(
        product_ids=products["product_id"].to_numpy(dtype=np.int64),
        amount_min=amount_min,
        amount_max=amount_max,
        term_min=term_min,
        term_max=term_max,
        rate_score=rate_score.astype(np.float32),
        subject_mask=np.array(
            [
                _list_mask(t, SUBJECT_TYPE_BITS, ALL_SUBJECT_TYPES)
                for t in products["subject_types"]
            ],
            dtype=np.uint8,
        ),
        min_grade=products["min_grade"]
        .map(GRADE_ORDER)
        .fillna(0)
        .to_numpy(dtype=np.int8, na_value=0),
        min_score=min_score,
        tax_mask=np.array(
            [_list_mask(t, TAX_GRADE_BITS, 0) for t in products["tax_grades"]], dtype=np.uint8
        ),
        min_years=min_years,
        has_min_years=np.nan_to_num(min_years, nan=0.0) > 0,
        requires_collateral=products["requires_collateral"].fillna(False).to_numpy(dtype=bool),
        requires_guarantee=products["requires_guarantee"].fillna(False).to_numpy(dtype=bool),
        log_amount_min=log_min,
        log_amount_span=log_span,
        term_span=term_max - term_min,
        region_nodes=nodes,
        coverage=coverage,
        everywhere=everywhere,
    )


def _bits(failed: np.ndarray, rule: Rule) -> np.ndarray:
    return failed.astype(np.uint16) << np.uint16(rule)


def _category_table(
    subject_bit: np.ndarray,
    grade: np.ndarray,
    tax_bit: np.ndarray,
    collateral: np.ndarray,
    guarantee: np.ndarray,
    p: ProductArrays,
) -> np.ndarray:
    col = np.s_[:, None]
    return (
        _bits((subject_bit[col] & p.subject_mask) == 0, Rule.SUBJECT_TYPE)
        | _bits(grade[col] < p.min_grade, Rule.GRADE)
        | _bits((p.tax_mask != 0) & ((tax_bit[col] & p.tax_mask) == 0), Rule.TAX_GRADE)
        | _bits(p.requires_collateral & ~collateral[col], Rule.COLLATERAL)
        | _bits(p.requires_guarantee & ~guarantee[col], Rule.GUARANTEE)
    )


def _region_table(codes: np.ndarray, p: ProductArrays) -> np.ndarray:
    missing = len(p.region_nodes)  # the all-False coverage row
    rows = np.array(
        [
            [p.region_nodes.get(str(c)[:length], missing) for length in PREFIX_LENGTHS]
            for c in codes
        ],
        dtype=np.int32,
    ).reshape(len(codes), len(PREFIX_LENGTHS))
    covered = np.broadcast_to(p.everywhere, (len(codes), len(p.everywhere))).copy()
    for level in range(len(PREFIX_LENGTHS)):
        covered |= p.coverage[rows[:, level]]
    return _bits(~covered, Rule.REGION)


def encode_needs(needs: pd.DataFrame, products: ProductArrays) -> NeedArrays:
    """Encode needs against one product encoding (see NeedArrays)."""
    subject_bit = (
        needs["subject_type"].map(SUBJECT_TYPE_BITS).fillna(0).to_numpy(np.uint8, na_value=0)
    )
    grade = needs["credit_grade"].map(GRADE_ORDER).fillna(0).to_numpy(np.uint8, na_value=0)
    tax_bit = needs["tax_grade"].map(TAX_GRADE_BITS).fillna(0).to_numpy(np.uint8, na_value=0)
    collateral = needs["has_collateral"].fillna(False).to_numpy(dtype=bool)
    guarantee = needs["has_guarantee"].fillna(False).to_numpy(dtype=bool)
    category = (
        subject_bit.astype(np.int32)
        | grade.astype(np.int32) << 3
        | tax_bit.astype(np.int32) << 5
        | collateral.astype(np.int32) << 10
        | guarantee.astype(np.int32) << 11
    )
    categories, category_rows = np.unique(category, return_inverse=True)
    category_failures = _category_table(
        (categories & 7).astype(np.uint8),
        (categories >> 3 & 3).astype(np.uint8),
        (categories >> 5 & 31).astype(np.uint8),
        (categories >> 10 & 1).astype(bool),
        (categories >> 11 & 1).astype(bool),
        products,
    )
    region_rows, codes = pd.factorize(needs["region_code"].astype(str))
    return NeedArrays(
        need_ids=needs["need_id"].to_numpy(dtype=np.int64),
        amount=_float(needs["amount"]),
        term=_float(needs["term_months"]),
        points=_float(needs["score_points"]),
        years=_float(needs["years_operating"]),
        category_rows=category_rows.astype(np.int32),
        category_failures=category_failures,
        region_rows=region_rows.astype(np.int32),
        region_failures=_region_table(np.asarray(codes, dtype=object), products),
    )


def block_failures(n: NeedArrays, p: ProductArrays, rows: slice) -> np.ndarray:
    """Failure bitmask of the needs in `rows` against every product, (block, products)."""
    mask = n.category_failures[n.category_rows[rows]]
    mask |= n.region_failures[n.region_rows[rows]]
    col = np.s_[:, None]
    amount, term = n.amount[rows][col], n.term[rows][col]
    points, years = n.points[rows][col], n.years[rows][col]
    failed = np.empty(mask.shape, dtype=bool)
    bits = np.empty(mask.shape, dtype=np.uint16)

    def add(rule: Rule) -> None:
        np.left_shift(failed, np.uint16(rule), out=bits, dtype=np.uint16)
        mask.__ior__(bits)

    # A missing bound is NaN, and NaN compares False: no limit.
    np.less(amount, p.amount_min, out=failed)
    add(Rule.AMOUNT_BELOW_MIN)
    np.greater(amount, p.amount_max, out=failed)
    add(Rule.AMOUNT_ABOVE_MAX)
    np.less(term, p.term_min, out=failed)
    add(Rule.TERM_BELOW_MIN)
    np.greater(term, p.term_max, out=failed)
    add(Rule.TERM_ABOVE_MAX)
    # An applicant without a score is not held to a minimum score (the product form tells the
    # bank so): before any model is trained nobody has one. NaN compares False.
    np.less(points, p.min_score, out=failed)
    add(Rule.SCORE)
    np.greater_equal(years, p.min_years, out=failed)
    np.logical_not(failed, out=failed)
    failed &= p.has_min_years
    add(Rule.YEARS_OPERATING)
    return mask


def _fit(position: np.ndarray) -> np.ndarray:
    """1 in the middle of a range, 0 at its ends (and outside); 0.5 where unknown."""
    fit = 1.0 - np.abs(position - 0.5) * 2.0
    return np.nan_to_num(np.clip(fit, 0.0, 1.0), nan=0.5)


def approval_chance(
    points: np.ndarray, min_score: np.ndarray, weights: RankingWeights = DEFAULT_WEIGHTS
) -> np.ndarray:
    """Estimated approval chance, elementwise, from the score points and the product's
    minimum score (or the reference points where it sets none); NaN without a score."""
    reference = np.where(np.isnan(min_score), weights.reference_points, min_score)
    return 1.0 / (1.0 + np.exp(-(points - reference) / weights.approval_scale))


def pair_rank_keys(
    n: NeedArrays,
    p: ProductArrays,
    rows: np.ndarray,
    cols: np.ndarray,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank key and approval chance of the pairs (rows[i], cols[i]); only eligible pairs are
    ranked, so this runs on the few percent of pairs that pass every rule."""
    amount = n.amount[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        amount_pos = (np.log(amount) - p.log_amount_min[cols]) / p.log_amount_span[cols]
        term_pos = (n.term[rows] - p.term_min[cols]) / p.term_span[cols]
    chance = approval_chance(n.points[rows], p.min_score[cols], weights)
    key = (
        weights.rate * p.rate_score[cols]
        + weights.approval * np.nan_to_num(chance, nan=weights.no_score_chance)
        + weights.amount_fit * _fit(amount_pos)
        + weights.term_fit * _fit(term_pos)
    )
    return key.astype(np.float32), chance.astype(np.float32)


def rank_eligible(
    n: NeedArrays,
    p: ProductArrays,
    rows: np.ndarray,
    cols: np.ndarray,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> pd.DataFrame:
    """The eligible pairs (rows[i], cols[i]), in row-major order as np.nonzero gives them,
    with their rank inside each need (1 = best; ties by product order)."""
    keys, chances = pair_rank_keys(n, p, rows, cols, weights)
    # One stable sort: by need, then by key descending (keys lie in [0, 1]); equal keys
    # keep the product order np.nonzero produced.
    order = np.argsort(rows * 2.0 + (1.0 - keys.astype(np.float64)), kind="stable")
    rows, cols, keys, chances = rows[order], cols[order], keys[order], chances[order]
    starts = np.flatnonzero(np.r_[True, np.diff(rows) != 0]) if rows.size else rows
    first = np.repeat(starts, np.diff(np.r_[starts, rows.size]))
    return pd.DataFrame(
        {
            "need_id": n.need_ids[rows],
            "product_id": p.product_ids[cols],
            "rank": (np.arange(rows.size) - first + 1).astype(np.int32),
            "rank_key": keys,
            "approval_chance": chances,
        }
    )


def match(
    needs: pd.DataFrame,
    products: pd.DataFrame | ProductArrays,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> MatchResult:
    """Match every need against every listed product: failure bitmasks, then the eligible
    pairs ranked."""
    p = products if isinstance(products, ProductArrays) else encode_products(products)
    n = encode_needs(needs, p)
    failures = np.empty((len(n.need_ids), len(p.product_ids)), dtype=np.uint16)
    rows, cols = [], []
    for start in range(0, len(n.need_ids), CHUNK_ROWS):
        block = slice(start, min(start + CHUNK_ROWS, len(n.need_ids)))
        failures[block] = block_failures(n, p, block)
        r, c = np.nonzero(failures[block] == 0)
        rows.append(r + start)
        cols.append(c)
    eligible = rank_eligible(n, p, np.concatenate(rows), np.concatenate(cols), weights)
    return MatchResult(n.need_ids, p.product_ids, failures, eligible)

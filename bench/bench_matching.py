"""信易贷 matching of 100,000 open financing needs against 800 listed loan products: every hard
rule, a failure bitmask and a rank key per pair, the eligible products ranked per need; then
the reasons for one need against all 800 products, as the applicant's match page shows them.

Targets (issue 15): full matching under 10 s, peak memory under 2 GB, one need's reasons
under 50 ms, on a 2-core machine.
Run: .venv/bin/python -m bench.bench_matching [--needs N] [--products N]

No database: the frames are generated with numpy in the shape `loans.matching.engine`
documents (a county of 9 townships × 10 villages plus two neighbouring counties).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script as well as with -m
    sys.path.insert(0, str(ROOT))

from bench.memory import peak_rss_mb  # noqa: E402
from loans.matching.engine import encode_products, match  # noqa: E402
from loans.matching.reasons import explain_need  # noqa: E402

TARGET_SECONDS, TARGET_MB, TARGET_REASONS_MS = 10.0, 2048, 50.0
COUNTIES = ("610528", "610526", "610522")
TYPES = np.array(["household", "entity", "enterprise"])
GRADES = np.array(["AAA", "AA", "A", None], dtype=object)
TAX = np.array(["A", "B", "M", "C", "D", None], dtype=object)


def villages() -> np.ndarray:
    return np.array(
        [f"{c}{100 + t:03d}{1 + v:03d}" for c in COUNTIES for t in range(9) for v in range(10)]
    )


def synthetic_needs(count: int, seed: int = 15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, count, p=[0.75, 0.15, 0.10])
    scored = rng.random(count) < 0.85
    return pd.DataFrame(
        {
            "need_id": np.arange(1, count + 1),
            "subject_type": TYPES[kind],
            "subject_id": rng.integers(1, 200_000, count),
            "region_code": rng.choice(villages(), count),
            "amount": np.round(rng.lognormal(11.5, 1.0, count), -3) + 5_000,
            "term_months": rng.choice([6, 12, 24, 36, 48, 60], count),
            "has_collateral": rng.random(count) < 0.3,
            "has_guarantee": rng.random(count) < 0.4,
            "credit_grade": rng.choice(GRADES, count, p=[0.2, 0.35, 0.25, 0.2]),
            "score_points": np.where(scored, rng.normal(640, 50, count).round(), np.nan),
            "tax_grade": np.where(kind == 0, None, rng.choice(TAX, count)),
            "years_operating": np.where(kind == 0, np.nan, rng.uniform(0, 15, count).round(1)),
        }
    )


def synthetic_products(count: int, seed: int = 800) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = villages()
    low = np.round(rng.choice([1e4, 3e4, 5e4, 1e5, 3e5], count), -3)
    county_only = rng.random(count)
    regions = [
        []
        if r < 0.4
        else [f"{rng.choice(COUNTIES)}000000"]
        if r < 0.8
        else list(rng.choice(codes, 5).astype(str))
        for r in county_only
    ]
    types = [list(rng.choice(TYPES, rng.integers(1, 4), replace=False)) for _ in range(count)]
    taxes = [[] if rng.random() < 0.6 else ["A", "B"] for _ in range(count)]
    rate = rng.uniform(3.45, 9.0, count).round(2)
    return pd.DataFrame(
        {
            "product_id": np.arange(1, count + 1),
            "amount_min": low,
            "amount_max": low * rng.choice([5, 10, 20, 50], count),
            "term_min": rng.choice([1, 3, 6, 12], count),
            "term_max": rng.choice([12, 24, 36, 60], count),
            "rate_min": rate,
            "rate_max": rate + 2,
            "subject_types": types,
            "region_codes": regions,
            "min_grade": rng.choice(np.array([None, "A", "AA", "AAA"], dtype=object), count),
            "min_score": np.where(rng.random(count) < 0.5, np.nan, rng.choice([550, 600], count)),
            "tax_grades": taxes,
            "min_years": np.where(rng.random(count) < 0.7, np.nan, rng.choice([1, 2, 3], count)),
            "requires_collateral": rng.random(count) < 0.15,
            "requires_guarantee": rng.random(count) < 0.15,
        }
    )


def main(needs_count: int = 100_000, products_count: int = 800) -> None:
    started = time.perf_counter()
    needs, products = synthetic_needs(needs_count), synthetic_products(products_count)
    generated = time.perf_counter() - started
    rss_inputs = peak_rss_mb()
    print(
        f"\n[matching] {needs_count:,} needs × {products_count:,} products "
        f"= {needs_count * products_count:,} pairs "
        f"(generated in {generated:.1f} s, peak RSS so far {rss_inputs:.0f} MB)"
    )

    started, cpu_started = time.perf_counter(), time.process_time()
    result = match(needs, products)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = peak_rss_mb()
    eligible = len(result.eligible)
    print(
        f"  full matching (rules, bitmasks, rank keys, ranks) {seconds:6.2f} s "
        f"(CPU {cpu:.2f} s, load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  eligible pairs {eligible:,} ({eligible / result.failures.size:.1%}), "
        f"needs with at least one product {result.eligible['need_id'].nunique():,}"
    )
    print(f"  peak RSS {peak:.0f} MB (inputs alone {rss_inputs:.0f} MB)")

    encoded = encode_products(products)
    timings, cpu_timings = [], []
    for need in needs.sample(50, random_state=1).to_dict("records"):
        started, cpu_started = time.perf_counter(), time.process_time()
        explained = explain_need(need, products, encoded)
        timings.append((time.perf_counter() - started) * 1000)
        cpu_timings.append((time.process_time() - cpu_started) * 1000)
    median = statistics.median(timings)
    sample = next(e for e in explained if not e.eligible)
    print(
        f"  reasons for one need vs all {products_count} products: median {median:.1f} ms "
        f"(CPU {statistics.median(cpu_timings):.1f} ms), max {max(timings):.1f} ms (e.g. product {sample.product_id}: {sample.reasons[0]})"
    )
    verdict = (
        "OK"
        if seconds < TARGET_SECONDS and peak < TARGET_MB and median < TARGET_REASONS_MS
        else "OVER TARGET"
    )
    print(
        f"  target < {TARGET_SECONDS:.0f} s, < {TARGET_MB} MB peak, reasons "
        f"< {TARGET_REASONS_MS:.0f} ms: {verdict}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=800)
    args = parser.parse_args()
    main(args.needs, args.products)

"""Rating engine on 1,000,000 synthetic households in ~1,000 villages: every household scored
with its per-indicator breakdown, then villages, townships and the county rated.

Target (issue 4): scoring under 5 s, peak memory under 2 GB, on a 2-core machine.
Run: .venv/bin/python -m bench.bench_rating_engine [--households N] [--villages N]

No database: the frames are generated with numpy the way a run would build them (categorical
village codes, numeric columns, one loan row for about a third of the households).
"""

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script as well as with -m
    sys.path.insert(0, str(ROOT))

from agri_credit.ratings import engine  # noqa: E402
from agri_credit.ratings.default_rules import default_rule_set  # noqa: E402
from bench.memory import peak_rss_mb  # noqa: E402

AS_OF = date(2025, 12, 31)
TARGET_SECONDS, TARGET_MB = 5.0, 2048
VILLAGES_PER_TOWNSHIP = 12
COUNTY = "610528"


def village_codes(villages: int) -> list[str]:
    return [
        f"{COUNTY}{100 + v // VILLAGES_PER_TOWNSHIP:03d}{1 + v % VILLAGES_PER_TOWNSHIP:03d}"
        for v in range(villages)
    ]


def synthetic_inputs(
    households: int, villages: int, seed: int = 20251231
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Households, loans, negative records and village facts, shaped like a real county."""
    rng = np.random.default_rng(seed)
    codes = village_codes(villages)
    village = rng.integers(0, villages, households)
    size = rng.integers(1, 7, households)
    assets = rng.lognormal(12, 0.8, households)
    # Villages differ: a well-run one evaluates better and repays better, so that some pass.
    quality = rng.random(villages)
    good = quality[village]
    draw = rng.random(households)
    evaluation = sum(  # 0 优秀 … 3 差, 4: not evaluated yet
        (draw >= cut).astype(np.int8)
        for cut in (0.2 + 0.3 * good, 0.6 + 0.25 * good, 0.85 + 0.1 * good, 0.9 + 0.08 * good)
    )
    frame = pd.DataFrame(
        {
            "household_id": np.arange(1, households + 1),
            "village_code": pd.Categorical.from_codes(village, categories=codes),
            "household_size": size,
            "labour_count": np.minimum(size, rng.integers(0, 4, households)),
            "total_assets": assets,
            "total_liabilities": assets * rng.uniform(0, 0.6, households),
            "coop_shares": np.where(rng.random(households) < 0.3, rng.uniform(0, 20000), 0.0),
            "net_income": np.where(
                rng.random(households) < 0.03, np.nan, rng.normal(40000, 20000, households)
            ),
            "evaluation_overall": pd.Categorical.from_codes(
                np.where(evaluation == 4, -1, evaluation), categories=["优秀", "较好", "一般", "差"]
            ),
        }
    )

    borrowers = rng.choice(households, households // 3, replace=False)
    n_loans = borrowers.size
    overdue_rate = 0.005 + 0.12 * (1 - good[borrowers]) ** 3
    days = np.where(rng.random(n_loans) < overdue_rate, rng.integers(1, 400, n_loans), 0)
    status = np.select(
        [days > 360, days > 180, days > 90, days > 0],
        ["loss", "doubtful", "substandard", "special_mention"],
        "normal",
    )
    loan_village = pd.Categorical.from_codes(village[borrowers], categories=codes)
    repaid = np.where(
        rng.random(n_loans) < 0.3,
        np.datetime64("2025-03-01") + rng.integers(0, 300, n_loans).astype("timedelta64[D]"),
        np.datetime64("NaT"),
    )
    loans = pd.DataFrame(
        {
            "borrower_id": borrowers + 1,
            "balance": np.where(np.isnat(repaid), rng.uniform(1e4, 2e5, n_loans), 0.0),
            "status": status,
            "days_overdue": days,
            "repaid_on": repaid,
            "village_code": loan_village.astype(str),
        }
    )
    loans["township_code"] = loans["village_code"].str.slice(0, 9) + "000"

    n_records = households // 50
    records = pd.DataFrame(
        {
            "subject_id": rng.integers(1, households + 1, n_records),
            "category": rng.choice(["行政处罚", "违反村规民约", "失信被执行人"], n_records),
            "occurred_on": np.datetime64("2018-01-01")
            + rng.integers(0, 2900, n_records).astype("timedelta64[D]"),
            "ended_on": np.datetime64("NaT"),
        }
    )
    facts = pd.DataFrame(
        {
            "village_code": codes,
            "registered_households": np.bincount(village, minlength=villages)
            + rng.integers(0, 60, villages),
        }
    )
    return frame, loans, records, facts


def main(households: int = 1_000_000, villages: int = 1_000) -> None:
    rules = default_rule_set()
    started = time.perf_counter()
    frame, loans, records, facts = synthetic_inputs(households, villages)
    generated = time.perf_counter() - started
    rss_inputs = peak_rss_mb()
    print(
        f"\n[rating engine] {households:,} households, {villages:,} villages, "
        f"{len(loans):,} loans, {len(records):,} negative records "
        f"(generated in {generated:.1f} s, peak RSS so far {rss_inputs:.0f} MB)"
    )

    timings = {}
    started = time.perf_counter()
    prepared = engine.attach_loan_facts(frame, loans, rules, AS_OF)
    prepared = engine.attach_record_facts(prepared, records, rules, AS_OF)
    timings["attach loan and record facts"] = time.perf_counter() - started

    started = time.perf_counter()
    scored = engine.score_households(prepared, rules, AS_OF)
    timings["score households (breakdown, gates, grades)"] = time.perf_counter() - started

    started = time.perf_counter()
    by_village = engine.summarise_loans(loans, "village_code", rules, AS_OF)
    by_township = engine.summarise_loans(loans, "township_code", rules, AS_OF)
    villages_rated = engine.rate_villages(scored, by_village, facts, rules)
    townships_rated = engine.rate_townships(villages_rated, by_township, rules)
    county = engine.rate_counties(villages_rated, townships_rated, rules)
    timings["summarise loans, rate villages/townships/county"] = time.perf_counter() - started

    total = sum(timings.values())
    for label, seconds in timings.items():
        print(f"  {label:<52} {seconds:6.2f} s")
    print(f"  {'total':<52} {total:6.2f} s")
    peak = peak_rss_mb()
    print(f"  peak RSS {peak:.0f} MB (inputs alone {rss_inputs:.0f} MB)")

    grades = scored["grade"].value_counts().reindex(["AAA", "AA", "A"]).to_dict()
    print(
        f"  grades {grades}, 信用户 {scored['is_credit_household'].mean():.1%}, "
        f"disqualified {(scored['gates'] != '').mean():.1%}; "
        f"信用村 {int(villages_rated['is_credit_village'].sum())}/{len(villages_rated)}, "
        f"信用乡镇 {int(townships_rated['is_credit_township'].sum())}/{len(townships_rated)}, "
        f"county 信用村 share {county['credit_village_share'].iloc[0]:.1f}%"
    )
    verdict = "OK" if total < TARGET_SECONDS and peak < TARGET_MB else "OVER TARGET"
    print(f"  target < {TARGET_SECONDS:.0f} s and < {TARGET_MB} MB peak: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--villages", type=int, default=1_000)
    args = parser.parse_args()
    main(args.households, args.villages)

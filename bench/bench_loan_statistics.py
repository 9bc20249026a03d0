"""信易贷统计 computed in memory for a large county: 100,000 needs over two years, current
matches to 4 banks, 30,000 claims, 40,000 decisions and the ledger's first loans, filtered to
twelve months — every figure of the page (totals, by month, bank, product type, subject type,
township, rejection reasons).

Run: .venv/bin/python -m bench.bench_loan_statistics [--needs N]

No database: the rows are generated with numpy in the shape `loans.statistics.sources` reads.
"""

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.memory import peak_rss_mb  # noqa: E402
from loans.statistics.figures import Filters, compute  # noqa: E402
from loans.statistics.sources import Sources  # noqa: E402

TYPES = np.array(["household", "entity", "enterprise"], dtype=object)
OUTCOMES = np.array(["approved", "rejected", "more_material"], dtype=object)
REASONS = np.array(["high_debt", "credit_record", "purpose", "collateral", None], dtype=object)


def sources(n: int, seed: int = 7) -> Sources:
    rng = np.random.default_rng(seed)
    villages = np.array([f"610528{100 + t:03d}{1 + v:03d}" for t in range(9) for v in range(10)])
    start = pd.Timestamp("2025-01-01")
    created = start + pd.to_timedelta(rng.uniform(0, 730, n), unit="D")
    needs = pd.DataFrame(
        {
            "need_id": np.arange(1, n + 1),
            "subject_type": rng.choice(TYPES, n, p=[0.7, 0.1, 0.2]),
            "subject_id": rng.integers(1, n // 2, n),
            "region_code": rng.choice(villages, n),
            "created_at": created,
            "first_matched_at": pd.Series(created).where(rng.random(n) < 0.6).to_numpy(),
        }
    )
    products = {
        p: t
        for p, t in zip(
            range(1, 41), np.resize(["credit", "tax", "village", "farmer_micro"], 40), strict=True
        )
    }
    open_ids = needs["need_id"].to_numpy()[rng.random(n) < 0.3]
    matches = pd.DataFrame(
        {
            "need_id": np.repeat(open_ids, 2),
            "bank_id": np.tile([1, 2], len(open_ids)),
            "product_id": rng.integers(1, 41, 2 * len(open_ids)),
        }
    )
    claimed = rng.choice(needs["need_id"].to_numpy(), 30_000, replace=False)
    claims = pd.DataFrame(
        {
            "need_id": claimed,
            "bank_id": rng.integers(1, 5, len(claimed)),
            "product_id": rng.integers(1, 41, len(claimed)),
        }
    )
    k = 40_000
    decided = rng.choice(needs["need_id"].to_numpy(), k)
    outcome = rng.choice(OUTCOMES, k, p=[0.6, 0.3, 0.1])
    decided_at = created[decided - 1] + pd.to_timedelta(rng.uniform(1, 30, k), unit="D")
    decisions = pd.DataFrame(
        {
            "decision_id": np.arange(1, k + 1),
            "need_id": decided,
            "bank_id": rng.integers(1, 5, k),
            "product_id": rng.integers(1, 41, k),
            "outcome": outcome,
            "amount": np.where(outcome == "approved", rng.integers(1, 100, k) * 10_000.0, np.nan),
            "reason_code": np.where(outcome == "rejected", rng.choice(REASONS, k), None),
            "decided_at": decided_at,
            "review_requested_at": pd.Series(decided_at).where(rng.random(k) < 0.05).to_numpy(),
        }
    )
    subjects = (
        needs[["subject_type", "subject_id"]].drop_duplicates().sample(frac=0.3, random_state=1)
    )
    ledger = subjects.assign(first_start=date(2024, 1, 1))
    return Sources(
        needs, matches, claims, decisions, products, {1: "A", 2: "B", 3: "C", 4: "D"}, ledger
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=100_000)
    args = parser.parse_args()
    data = sources(args.needs)
    filters = Filters(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    runs = []
    for _ in range(3):
        began = time.perf_counter()
        figures = compute(data, filters, "Asia/Shanghai")
        runs.append(time.perf_counter() - began)
    one_bank = Filters(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31), bank_id=2)
    began = time.perf_counter()
    compute(data, one_bank, "Asia/Shanghai")
    bank_seconds = time.perf_counter() - began
    t = figures.totals
    print(f"needs {args.needs:,}, decisions {len(data.decisions):,}, claims {len(data.claims):,}")
    print(
        f"all figures of 12 months: median {sorted(runs)[1]:.2f} s (runs {', '.join(f'{r:.2f}' for r in runs)})"
    )
    print(f"one bank's figures: {bank_seconds:.2f} s")
    print(
        f"posted {t['posted']:,}, matched {t['matched']:,}, approved {t['approved']:,}, first loans {t['first_loans']:,}"
    )
    print(f"peak memory {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

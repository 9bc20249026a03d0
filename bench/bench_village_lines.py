"""整村授信 lines: one village's grant, and the line rules on a whole county's households.

Prints (1) the time to compute lines for N households in memory (grade → amount, score cap,
summary by grade), and (2) on SQLite, the time of the approval's bulk INSERT of one large
village's lines (no loop over ORM rows).
Run: .venv/bin/python -m bench.bench_village_lines [--households N] [--village N]
"""

import argparse
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script as well as with -m
    sys.path.insert(0, str(ROOT))

from bench.memory import peak_rss_mb  # noqa: E402
from loans.village_lines.lines import LineTerms, compute_lines, summarise  # noqa: E402

TERMS = LineTerms(
    {"AAA": Decimal(100_000), "AA": Decimal(50_000), "A": Decimal(30_000)},
    545,
    Decimal(10_000),
    Decimal("0.20"),
    Decimal("0.10"),
)


def households(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    grade = rng.choice(
        np.array(["AAA", "AA", "A", None], dtype=object), n, p=[0.2, 0.35, 0.3, 0.15]
    )
    points = rng.normal(600, 30, n).round()
    points[rng.random(n) < 0.2] = np.nan  # 暂无评分
    return pd.DataFrame({"household_id": np.arange(1, n + 1), "grade": grade, "points": points})


def bench_memory(n: int) -> None:
    frame = households(n)
    started = time.perf_counter()
    lines = compute_lines(frame, TERMS)
    figures = summarise(frame, lines)
    seconds = time.perf_counter() - started
    print(
        f"lines for {n:,} households in memory: {seconds:.2f} s, {len(lines):,} lines, "
        f"{int(lines['capped'].sum()):,} capped, total {lines['amount'].sum():,.0f} 元; "
        f"by grade {[(f.grade, f.lines) for f in figures]}"
    )


def bench_insert(n: int) -> None:
    from app import create_app
    from loans.village_lines.services import write_lines
    from models import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                "SECRET_KEY": "bench",
                "ID_ENCRYPTION_KEY": "A" * 43 + "=",
            }
        )
        with app.app_context():
            db.create_all()
            lines = compute_lines(households(n), TERMS)
            db.session.execute(db.text("PRAGMA foreign_keys=OFF"))
            started = time.perf_counter()
            write_lines(1, lines, Decimal("5.20"))
            db.session.commit()
            seconds = time.perf_counter() - started
            print(
                f"approval INSERT of {len(lines):,} lines of one village on SQLite: {seconds:.2f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--village", type=int, default=2_000)
    args = parser.parse_args()
    bench_memory(args.households)
    bench_insert(args.village)
    print(f"peak memory: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark: a full rating run (`start_run`) with the departmental indicators (水电气按时缴费率,
纳税信用等级, 社保连续缴纳月数 of the example rule set) against the same run with the default
rule set, at the demo county's size (30,000 households) and at bench_rating_run's
(200,000), on SQLite and on PostgreSQL when reachable. Prints each run's read / score / write
seconds and the grade distribution both rule sets give.

The database holds the demo county (`seeded_app`), bench_rating_run's loans and public
records, and household departmental rows written in bulk, landed before the data date:
12 monthly electricity bills for 97 % of the households (about 6 % of them paid late by
some, a few households often late), a yearly tax grade for 5 % (个体户), and 24 months of
social insurance for 15 % (a few with a month in arrears or stopped).

    python -m bench.bench_departmental_indicators [--households 30000 200000] [--no-postgres]

Measured 2026-12-03 on the shared 2-core machine (load average 15–20), total seconds of one
run, default rule set → example with departmental indicators:
SQLite 30,000: 16.3 → 36.6 (read 7.2 → 24.5); PostgreSQL 30,000: 15.3 → 29.0 (read 7.2 →
16.3); SQLite 200,000: 49.4 → 117.9 (read 36.2 → 101.5, 3.0 M departmental rows; peak RSS
394 → 1,131 MB). Reading the rows dominates: aggregating the bills per household in SQL is
the next step if a county needs it faster.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import func, select, text, update  # noqa: E402

from agri_credit.demo.generator import COUNTY_CODE  # noqa: E402
from agri_credit.ratings.departmental_rules import departmental_example_rule_set  # noqa: E402
from bench.bench_rating_run import AS_OF, YEAR, _batch, _insert, seed_departmental  # noqa: E402
from bench.fixtures import backends, bench_app, seeded_app  # noqa: E402
from bench.memory import peak_rss_mb  # noqa: E402
from models import (  # noqa: E402
    Household,
    ImportBatch,
    RuleSet,
    RuleSetStatus,
    SocialInsuranceRecord,
    Source,
    SubjectKey,
    TaxRecord,
    User,
    UtilityRecord,
    db,
)

LANDED = datetime(2025, 12, 20, 2, 0)  # the batches landed before the data date


def _key_every_household() -> None:
    """A subject key for each household seed_departmental left without one."""
    keyed = select(SubjectKey.household_id).where(SubjectKey.household_id.is_not(None))
    rows = db.session.execute(
        select(
            Household.id,
            Household.head_id_hash,
            Household.head_id_cipher,
            Household.head_id_masked,
            Household.head_name,
        )
        .where(Household.id.not_in(keyed))
        .order_by(Household.id)
    ).all()
    base = int(db.session.scalar(select(func.coalesce(func.max(SubjectKey.id), 0))))
    _insert(
        SubjectKey,
        [
            {
                "id": base + 1 + i,
                "id_hash": h,
                "id_cipher": c,
                "masked": m,
                "name": name,
                "household_id": hid,
            }
            for i, (hid, h, c, m, name) in enumerate(rows)
        ],
    )
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('subject_keys', 'id'), "
                "(SELECT MAX(id) FROM subject_keys))"
            )
        )


def seed_household_records(user_id: int, seed: int = 7) -> dict[str, int]:
    """Electricity, tax and social insurance rows for the households with a subject key
    (seed_departmental keyed 30 % of them), plus keys for the rest; and the example rule
    set, published."""
    rng = np.random.default_rng(seed)
    office = db.session.get(User, user_id)
    _key_every_household()
    keys = pd.DataFrame(
        db.session.execute(
            select(SubjectKey.id, SubjectKey.household_id)
            .where(SubjectKey.household_id.is_not(None))
            .order_by(SubjectKey.id)  # the same draws on both backends
        ).all(),
        columns=["key", "household"],
    )
    n = len(keys)
    batches = {
        s: _batch(s, office) for s in (Source.ELECTRICITY, Source.TAX, Source.SOCIAL_INSURANCE)
    }
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id.in_(list(batches.values())))
        .values(created_at=LANDED, finished_at=LANDED)
    )
    billed = keys[rng.random(n) < 0.97].reset_index(drop=True)
    habit = rng.beta(0.4, 6, len(billed))  # most pay on time, a few are often late
    rows = []
    fingerprint = 0
    for month in range(1, 13):
        late = rng.random(len(billed)) < habit
        paid = [date(2026, 1, 5) if month == 12 else date(2025, month + 1, 5)] * len(billed)
        for key, is_late, paid_on in zip(billed["key"], late, paid, strict=True):
            fingerprint += 1
            rows.append(
                {
                    "batch_id": batches[Source.ELECTRICITY],
                    "subject_key_id": int(key),
                    "fingerprint": fingerprint,
                    "utility": "electricity",
                    "account_no": "",
                    "year": 2025,
                    "month": month,
                    "consumption": 150,
                    "billed": 75,
                    "paid_on": None
                    if month == 12
                    else paid_on + timedelta(days=20 * bool(is_late)),
                    "days_late": 20 if is_late else 0,
                }
            )
    _insert(UtilityRecord, rows)
    bills = len(rows)

    graded = keys[rng.random(n) < 0.05]
    grades = rng.choice(["A", "B", "M", "C", "D"], len(graded), p=[0.25, 0.55, 0.1, 0.07, 0.03])
    rows = [
        {
            "batch_id": batches[Source.TAX],
            "subject_key_id": int(key),
            "fingerprint": i + 1,
            "year": 2024,
            "month": 0,
            "tax_paid": 1000,
            "tax_grade": grade,
        }
        for i, (key, grade) in enumerate(zip(graded["key"], grades, strict=True))
    ]
    _insert(TaxRecord, rows)
    taxed = len(rows)

    insured = keys[rng.random(n) < 0.15].reset_index(drop=True)
    stopped = rng.random(len(insured)) < 0.1
    rows = []
    fingerprint = 0
    for k, (key, stop) in enumerate(zip(insured["key"], stopped, strict=True)):
        for back in range(24):
            year, month = divmod(2025 * 12 + 10 - back, 12)
            if stop and back < 6:
                continue
            fingerprint += 1
            rows.append(
                {
                    "batch_id": batches[Source.SOCIAL_INSURANCE],
                    "subject_key_id": int(key),
                    "fingerprint": fingerprint,
                    "year": year,
                    "month": month + 1,
                    "insured_count": 1,
                    "months_paid": 1,
                    "arrears": 500 if (k % 9 == 0 and back == 8) else 0,
                }
            )
    _insert(SocialInsuranceRecord, rows)
    rule_set = RuleSet(
        name="富平县农户信用等级评定办法（含部门数据试行版，基准测试）",
        version=1,
        status=RuleSetStatus.PUBLISHED,
        scope_code=COUNTY_CODE + "000000",
        body=departmental_example_rule_set().to_dict(),
        created_by_id=office.id,
        published_by_id=office.id,
    )
    db.session.add(rule_set)
    db.session.commit()
    return {"bills": bills, "tax": taxed, "social": len(rows), "rule_set": rule_set.id}


def child(url: str, user_id: int, rule_set_ids: list[int]) -> None:
    from agri_credit.rating_cycle.runs.services import start_run

    app = bench_app(url)
    figures = []
    with app.app_context():
        user = db.session.get(User, user_id)
        for rule_set_id in rule_set_ids:
            rule_set = db.session.get(RuleSet, rule_set_id)
            started = time.perf_counter()
            run = start_run(COUNTY_CODE + "000000", YEAR, AS_OF, rule_set, user)
            summary = run.summary
            figures.append(
                {
                    "seconds": time.perf_counter() - started,
                    **summary["timings"],
                    "grades": summary["household"]["grades"],
                    "total": summary["household"]["total"],
                    "credit_share": summary["household"]["credit_share"],
                    "villages": summary["regions"]["village"],
                    "peak_mb": peak_rss_mb(),
                }
            )
    print("FIGURES " + json.dumps(figures), flush=True)


def _distribution(fig: dict) -> str:
    total = fig["total"] or 1
    parts = [
        f"{grade or '未达'} {count / total * 100:.1f}%"
        for grade, count in sorted(fig["grades"].items(), key=lambda kv: (kv[0] == "", kv[0]))
    ]
    return "，".join(parts)


def run(label: str, url: str, households: int) -> None:
    started = time.perf_counter()
    app = seeded_app(url, households=households)
    with app.app_context():
        seeded = seed_departmental()
        records = seed_household_records(seeded["user"])
        db.session.remove()
        db.engine.dispose()
    print(
        f"{label:10} {seeded['households']:,} households, {records['bills']:,} bills, "
        f"{records['tax']:,} tax grades, {records['social']:,} social insurance months, "
        f"seeded in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_departmental_indicators",
            "--child",
            url,
            str(seeded["user"]),
            str(seeded["rule_set"]),
            str(records["rule_set"]),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("FIGURES ")), None)
    if line is None:
        print(result.stdout[-2000:], result.stderr[-4000:])
        raise SystemExit(f"{label}: the rating child failed")
    for name, fig in zip(
        ("default", "with dept."), json.loads(line[len("FIGURES ") :]), strict=True
    ):
        print(
            f"{label:10} {households:>7,} {name:10} read {fig['read']:.1f} s, score "
            f"{fig['score']:.1f} s, write {fig['write']:.1f} s, total {fig['seconds']:.1f} s; "
            f"peak RSS {fig['peak_mb']:.0f} MB; 信用户 {fig['credit_share']}%, 信用村 "
            f"{fig['villages']['passed']}/{fig['villages']['total']}; {_distribution(fig)}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[30_000, 200_000])
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args(argv if argv is not None else [])
    if args.child:
        url, user_id, *rule_sets = args.child
        child(url, int(user_id), [int(r) for r in rule_sets])
        return
    for households in args.households:
        for label, url in backends():
            if args.no_postgres and label == "PostgreSQL":
                continue
            run(label, url, households)


if __name__ == "__main__":
    main(sys.argv[1:])
    os._exit(0)

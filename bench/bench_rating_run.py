"""Benchmark: a full rating run (`start_run`) for a 200,000-household county on SQLite and on
PostgreSQL when reachable: read every household, entity, loan and negative record from the
database, score them, write a result row with its breakdown per subject and the village,
township and county ratings, in one transaction. Target: under 60 s per backend.

The database holds the demo county (`seeded_app`) plus departmental rows written in bulk with
Core inserts: bank loans for about 30 % of the households (some repaid, some overdue, a few
non-performing) and public credit records (行政处罚, 失信被执行人) for about 1 %.

    python -m bench.bench_rating_run [--households 200000] [--no-postgres]

The run happens in a child process so its peak RSS is the run's own, not the seeding's; the
child runs it twice, the second time over unchanged data (same digest, earlier run superseded).
Each line gives wall and CPU seconds of read / score / write, the load average and peak RSS.

Measured 2026-12-03 (load 12–16), SQLite: 34.3 s, CPU 10.2 (read 23.1, of which 15.2 s the
negative records: a search of every public record per file record) → 18.3 s, CPU 5.3 (read
8.4, CPU 2.4) once a file's copies of public records are found set-based (same digest).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script as well as with -m
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from agri_credit.demo.generator import COUNTY_CODE  # noqa: E402
from agri_credit.ratings.default_rules import default_rule_set  # noqa: E402
from bench.fixtures import backends, bench_app, seeded_app  # noqa: E402
from bench.memory import peak_rss_mb  # noqa: E402
from models import (  # noqa: E402
    BatchStatus,
    Household,
    ImportBatch,
    LoanRecord,
    PublicRecord,
    RuleSet,
    RuleSetStatus,
    Source,
    SubjectKey,
    User,
    clock,
    db,
)

TARGET_SECONDS = 60.0
YEAR = 2025
AS_OF = date(2025, 12, 31)
BORROWER_SHARE = 0.30
RECORD_SHARE = 0.01
CHUNK = 20_000
BANKS = ("富平县农村信用合作联社", "中国邮政储蓄银行富平县支行", "中国农业银行富平县支行")


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model.__table__), rows[start : start + CHUNK])


def _batch(source: Source, user: User) -> int:
    batch = ImportBatch(
        source=source.value,
        user_id=user.id,
        scope_code=user.scope_code,
        filename=f"{source.value}.xlsx",
        sha256="0" * 64,
        status=BatchStatus.IMPORTED,
    )
    db.session.add(batch)
    db.session.flush()
    return batch.id


def household_identities(*where: Any) -> pd.DataFrame:
    """The households (matching `where`) with their heads' ID number forms, in id order:
    what link_keys needs."""
    return pd.DataFrame(
        db.session.execute(
            select(
                Household.id,
                Household.head_id_hash,
                Household.head_id_cipher,
                Household.head_id_masked,
                Household.head_name,
            )
            .where(*where)
            .order_by(Household.id)
        ).all(),
        columns=["id", "hash", "cipher", "masked", "name"],
    )


def link_keys(households: pd.DataFrame) -> np.ndarray:
    """A subject key for each household (columns id, hash, cipher, masked, name), numbered
    after the existing ones; their ids."""
    base = int(db.session.scalar(select(func.coalesce(func.max(SubjectKey.id), 0))))
    key_ids = base + 1 + np.arange(len(households))
    _insert(
        SubjectKey,
        [
            {
                "id": int(k),
                "id_hash": h,
                "id_cipher": c,
                "masked": m,
                "name": name,
                "household_id": int(hid),
            }
            for k, h, c, m, name, hid in zip(
                key_ids,
                households["hash"],
                households["cipher"],
                households["masked"],
                households["name"],
                households["id"],
                strict=True,
            )
        ],
    )
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('subject_keys', 'id'), "
                "(SELECT MAX(id) FROM subject_keys))"
            )
        )
    return key_ids


def run_child(module: str, *args: object) -> Any:
    """Run `python -m module --child args…` (a fresh process, so its peak RSS is the run's
    own, not the seeding's) and return the figures it printed as JSON after "FIGURES "."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--child", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("FIGURES ")), None)
    if line is None:
        print(result.stdout[-2000:], result.stderr[-4000:])
        raise SystemExit(f"{module}: the child failed")
    return json.loads(line[len("FIGURES ") :])


def figures_of_run(run, started: float, started_cpu: float) -> dict:
    """A finished run's wall and CPU seconds, its phases (the run's summary), the 1-minute
    load average and this process's peak RSS."""
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - started_cpu,
        **run.summary["timings"],
        "load": os.getloadavg()[0],
        "peak_mb": peak_rss_mb(),
    }


def phases(fig: dict) -> str:
    """ "read 12.3 s (CPU 10.1), score …, total … (CPU …); load 9.8; peak RSS … MB"."""
    cpu = fig.get("cpu", {})
    parts = [
        f"{name} {fig[name]:.1f} s (CPU {cpu.get(name, float('nan')):.1f})"
        for name in ("read", "score", "write")
    ]
    return (
        f"{', '.join(parts)}, total {fig['seconds']:.1f} s (CPU {fig['cpu_seconds']:.1f}); "
        f"load {fig['load']:.1f}; peak RSS {fig['peak_mb']:.0f} MB"
    )


def seed_departmental(seed: int = 4) -> dict[str, int]:
    """Subject keys linked to ~30 % of the households, one or two loans each, and negative
    public records for ~1 % of the households; plus a published default rule set."""
    rng = np.random.default_rng(seed)
    office = db.session.scalar(select(User).where(User.username == "county_office"))
    households = household_identities()
    n = len(households)
    chosen = np.sort(rng.choice(n, int(n * BORROWER_SHARE), replace=False))
    key_ids = link_keys(households.iloc[chosen])

    loan_batch, record_batch = (
        _batch(Source.BANK_LOAN, office),
        _batch(Source.PUBLIC_RECORD, office),
    )
    second = rng.random(len(key_ids)) < 0.25
    borrower = np.concatenate([key_ids, key_ids[second]])
    bank = np.concatenate([np.zeros(len(key_ids), dtype=int), 1 + rng.integers(0, 2, second.sum())])
    m = len(borrower)
    start = rng.integers(30, 1500, m)
    term = rng.choice([365, 730, 1095], m)
    repaid = rng.random(m) < 0.35
    overdue = np.where(
        ~repaid & (rng.random(m) < 0.015), rng.integers(1, 400, m), 0
    )  # 1.5 % of the outstanding ones are late
    status = np.select(
        [overdue >= 180, overdue >= 90, overdue > 0],
        ["doubtful", "substandard", "special_mention"],
        "normal",
    )
    amount = rng.integers(1, 31, m) * 10_000
    loans = []
    for i in range(m):
        started = AS_OF - timedelta(days=int(start[i]))
        loans.append(
            {
                "batch_id": loan_batch,
                "subject_key_id": int(borrower[i]),
                "fingerprint": i + 1,
                "bank": BANKS[bank[i]],
                "contract_no": f"JK{i:08d}",
                "amount": int(amount[i]),
                "balance": 0 if repaid[i] else int(amount[i] * 0.6),
                "start_on": started,
                "due_on": started + timedelta(days=int(term[i])),
                "status": status[i],
                "days_overdue": int(overdue[i]),
                "repaid_on": started + timedelta(days=int(term[i]) - 10) if repaid[i] else None,
                "as_of": AS_OF,
            }
        )
    _insert(LoanRecord, loans)

    noted = rng.choice(len(key_ids), int(n * RECORD_SHARE), replace=False)
    records = []
    for j, k in enumerate(noted):
        dishonest = rng.random() < 0.3
        decided = AS_OF - timedelta(days=int(rng.integers(20, 2500)))
        records.append(
            {
                "batch_id": record_batch,
                "subject_key_id": int(key_ids[k]),
                "fingerprint": j + 1,
                "kind": "dishonest" if dishonest else "penalty",
                "document_no": f"（{decided.year}）陕0528执{j}号"
                if dishonest
                else f"富市监罚〔{decided.year}〕{j}号",
                "title": "被列为失信被执行人" if dishonest else "未按规定使用农药",
                "authority": "富平县人民法院" if dishonest else "富平县农业农村局",
                "decided_on": decided,
                "ended_on": None if dishonest else decided + timedelta(days=30),
                "severity": "general",
            }
        )
    _insert(PublicRecord, records)

    rule_set = RuleSet(
        name="富平县信用评定办法（基准测试）",
        version=1,
        status=RuleSetStatus.PUBLISHED,
        scope_code=COUNTY_CODE + "000000",
        body=default_rule_set().to_dict(),
        created_by_id=office.id,
        published_by_id=office.id,
    )
    db.session.add(rule_set)
    db.session.commit()
    return {
        "households": n,
        "loans": m,
        "borrowers": len(key_ids),
        "records": len(records),
        "rule_set": rule_set.id,
        "user": office.id,
    }


def child(url: str, user_id: int, rule_set_id: int) -> None:
    """Two runs of the county, the second over the same data; print figures as JSON."""
    from agri_credit.rating_cycle.runs.services import start_run

    app = bench_app(url)
    figures = []
    with app.app_context():
        user = db.session.get(User, user_id)
        rule_set = db.session.get(RuleSet, rule_set_id)
        for _ in range(2):
            started, started_cpu = time.perf_counter(), time.process_time()
            run = start_run(COUNTY_CODE + "000000", YEAR, AS_OF, rule_set, user)
            summary = run.summary
            figures.append(
                {
                    **figures_of_run(run, started, started_cpu),
                    "digest": run.input_digest,
                    "results": summary["household"]["total"] + summary["entity"]["total"],
                    "credit_share": summary["household"]["credit_share"],
                    "villages": summary["regions"]["village"],
                }
            )
        figures.append(time_exports(run, user, app.config["ASSET_ROOT"]))
    print("FIGURES " + json.dumps(figures), flush=True)


def time_exports(run, user: User, asset_root) -> dict:
    """The dashboard's two downloads for the whole county: the XLSX of every result and the
    PDF report, each from reading the run to the finished bytes."""
    from agri_credit.rating_cycle.reports.exports import report_pdf, results_frame, results_workbook
    from agri_credit.rating_cycle.reports.services import run_figures

    started = time.perf_counter()
    figures = run_figures(run, user)
    results = results_frame(figures, user)
    xlsx = results_workbook(figures, results, clock.now())
    xlsx_seconds = time.perf_counter() - started
    started = time.perf_counter()
    pdf = report_pdf(run_figures(run, user), asset_root, clock.now())
    return {
        "xlsx_seconds": xlsx_seconds,
        "xlsx_rows": len(results),
        "xlsx_mb": len(xlsx) / 1e6,
        "pdf_seconds": time.perf_counter() - started,
        "pdf_kb": len(pdf) / 1e3,
        "peak_mb": peak_rss_mb(),
    }


def run(label: str, url: str, households: int) -> None:
    started = time.perf_counter()
    app = seeded_app(url, households=households)
    with app.app_context():
        seeded = seed_departmental()
        db.session.remove()
        db.engine.dispose()
    print(
        f"{label:10} seeded {seeded['households']:,} households, {seeded['loans']:,} loans of "
        f"{seeded['borrowers']:,} borrowers, {seeded['records']:,} public records "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    first, again, exports = run_child(
        "bench.bench_rating_run", url, seeded["user"], seeded["rule_set"]
    )
    for name, fig in (("run", first), ("re-run", again)):
        verdict = "OK" if fig["seconds"] < TARGET_SECONDS else f"OVER {TARGET_SECONDS:.0f} s"
        print(
            f"{label:10} {name:7} {fig['results']:,} results: {phases(fig)} [{verdict}]; "
            f"信用户 {fig['credit_share']}%, 信用村 {fig['villages']['passed']}/"
            f"{fig['villages']['total']}",
            flush=True,
        )
    same = "same" if first["digest"] == again["digest"] else "DIFFERENT"
    print(f"{label:10} input digest of the re-run: {same} ({first['digest'][:12]}…)")
    print(
        f"{label:10} exports: XLSX of {exports['xlsx_rows']:,} results in "
        f"{exports['xlsx_seconds']:.1f} s ({exports['xlsx_mb']:.1f} MB), PDF report in "
        f"{exports['pdf_seconds']:.1f} s ({exports['pdf_kb']:.0f} KB); peak RSS "
        f"{exports['peak_mb']:.0f} MB",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("URL", "USER", "RULE_SET"))
    args = parser.parse_args(argv if argv is not None else [])
    if args.child:
        url, user_id, rule_set_id = args.child
        child(url, int(user_id), int(rule_set_id))
        return
    for label, url in backends():
        if args.no_postgres and label == "PostgreSQL":
            continue
        run(label, url, args.households)


if __name__ == "__main__":
    main(sys.argv[1:])
    os._exit(0)

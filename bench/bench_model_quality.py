"""Model quality on the demo county's loan history (issue 14): the same steps `flask seed-demo`
runs (the county with its departments' files, then `demo_history.write_demo_history`), then the
training `flask model train` runs, judged on the held-out (most recent) loans.

Targets (issue 14): LightGBM AUC ≥ 0.97 × the AUC of the generator's true probability on the
same loans, and ≥ the WOE-logistic baseline's AUC; calibration within 2 percentage points of
the observed default rate in every decile (of predicted probability) holding ≥ 200 loans.

Run: .venv/bin/python -m bench.bench_model_quality [--households N] [--enterprises N]
     [--base PATH]  (reuse / keep a seeded county without history at PATH, to iterate faster)
     [--history-seed N]  (another draw of the history and its outcomes on the same county)
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script as well as with -m
    sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from agri_credit.demo.departments import reference_date  # noqa: E402
from agri_credit.demo.loader import load_demo_county  # noqa: E402
from bench.fixtures import bench_app  # noqa: E402
from bench.memory import peak_rss_mb  # noqa: E402
from models import User, db  # noqa: E402

MIN_DECILE_LOANS = 200


def calibration_gap(calibration: list[dict], min_loans: int = MIN_DECILE_LOANS) -> float:
    """The largest |predicted − observed| over the deciles holding at least `min_loans`."""
    return max((row["gap"] for row in calibration if row["loans"] >= min_loans), default=0.0)


def _seed_county(url: str, households: int, enterprises: int) -> None:
    app = bench_app(url)
    with app.app_context():
        upgrade()
        seed = app.config["DEMO_SEED"]
        load_demo_county(
            seed=seed,
            households=households,
            as_of=reference_date(seed),
            departmental=True,
            enterprises=enterprises,
        )
        db.session.remove()
        db.engine.dispose()


def measure(url: str, history_seed: int | None = None) -> dict:
    from loans.scoring.demo_history import DEMO_IMPORTER, write_demo_history
    from loans.scoring.service import train_county

    app = bench_app(url)
    with app.app_context():
        seed = app.config["DEMO_SEED"]
        as_of = reference_date(seed)
        user = db.session.scalar(select(User).where(User.username == DEMO_IMPORTER))
        started = time.perf_counter()
        truth = write_demo_history(seed if history_seed is None else history_seed, as_of, user)
        written = time.perf_counter() - started
        started = time.perf_counter()
        _, report = train_county(as_of, user, app.config, truth=truth)
        trained = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return {"report": report, "history_loans": len(truth), "written": written, "trained": trained}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=30_000)
    parser.add_argument("--enterprises", type=int, default=3_000)
    parser.add_argument("--base", type=Path, default=None)
    parser.add_argument(
        "--history-seed", type=int, default=None, help="Draw another history (default: DEMO_SEED)"
    )
    args = parser.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory(prefix="agri_bench_quality_") as folder:
        db_file = Path(folder) / "quality.db"
        started = time.perf_counter()
        if args.base and args.base.exists():
            shutil.copy(args.base, db_file)
        else:
            _seed_county(f"sqlite:///{db_file}", args.households, args.enterprises)
            if args.base:
                shutil.copy(db_file, args.base)
        seeded = time.perf_counter() - started
        result = measure(f"sqlite:///{db_file}", args.history_seed)
    r = result["report"]
    print(
        f"demo county ({args.households:,} households, {args.enterprises:,} SMEs) ready in "
        f"{seeded:.0f} s; loan history of {result['history_loans']:,} loans written in "
        f"{result['written']:.0f} s; features, training and baseline {result['trained']:.0f} s"
    )
    print(
        f"labelled loans {r['rows']:,} (train {r['rows_train']:,}, valid {r['rows_valid']:,}, "
        f"held-out {r['rows_test']:,}); held-out default rate {r['default_rate']:.3f}"
    )
    true_auc = r.get("true_probability_auc")
    ratio = r["auc"] / true_auc if true_auc else float("nan")
    print(
        f"held-out AUC {r['auc']:.4f}, true-probability AUC {true_auc:.4f} "
        f"(ratio {ratio:.3f}, target ≥ 0.97), WOE-logistic AUC {r['baseline_auc']:.4f} "
        f"(target: LightGBM ≥ it); KS {r['ks']:.3f}, Brier {r['brier']:.4f}"
    )
    gap = calibration_gap(r["calibration"])
    floor = calibration_gap(r.get("true_probability_calibration", []))
    print(
        f"calibration: largest gap {gap * 100:.2f} pp over deciles with ≥ {MIN_DECILE_LOANS} "
        f"loans (target: within 2 pp); the true probability's own largest gap on the same "
        f"loans (chance alone): {floor * 100:.2f} pp"
    )
    for row in r["calibration"]:
        print(
            f"  decile {row['decile']:>2}: {row['loans']:>5} loans, predicted "
            f"{row['predicted'] * 100:5.2f} %, observed {row['observed'] * 100:5.2f} %"
        )
    for kind, figures in r.get("by_subject_type", {}).items():
        print(f"  {kind}: AUC {figures['auc']} on {figures['rows']:,} held-out loans")
    print(f"trees {r.get('trees', '?')}; peak memory {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])

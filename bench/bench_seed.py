"""Seeding the demo county: time and peak memory on fresh SQLite and PostgreSQL databases.

Target (issue): the default county of 30,000 households in under 60 s on SQLite.
Run: .venv/bin/python -m bench.bench_seed [--households N]
"""

import argparse
import resource
import time

from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from agri_credit.demo import DEMO_PASSWORD
from agri_credit.demo.generator import CountySizes, generate_county
from agri_credit.demo.loader import write_county
from agri_credit.extensions import id_cipher
from bench.fixtures import backends, bench_app
from models import db

TARGET_SECONDS = 60


def peak_memory_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the peak of this whole process so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_and_time(url: str, households: int) -> dict[str, float]:
    app = bench_app(url)
    timings = {}
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        county = generate_county(app.config["DEMO_SEED"], CountySizes(households=households))
        timings["generate"] = time.perf_counter() - started
        started = time.perf_counter()
        write_county(county, id_cipher(), generate_password_hash(DEMO_PASSWORD))
        db.session.commit()
        timings["write"] = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    timings["total"] = timings["generate"] + timings["write"]
    return timings


def main(households: int = 30_000) -> None:
    for name, url in backends():
        timings = seed_and_time(url, households)
        verdict = "OK" if timings["total"] < TARGET_SECONDS else "OVER TARGET"
        print(
            f"\n[seed demo] {name}, {households:,} households\n"
            f"  generate frames  {timings['generate']:6.1f} s\n"
            f"  encrypt + insert {timings['write']:6.1f} s\n"
            f"  total            {timings['total']:6.1f} s (target < {TARGET_SECONDS} s on SQLite)"
            f"{': ' + verdict if name == 'SQLite' else ''}\n"
            f"  peak memory      {peak_memory_mb():6.0f} MB (whole process so far)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=30_000)
    main(parser.parse_args().households)

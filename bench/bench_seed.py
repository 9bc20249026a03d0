"""Seeding the demo county: time and peak memory on fresh SQLite and PostgreSQL databases.

Target (issue): the default county of 30,000 households, with its departmental files imported
through the importer, in under 45 s on SQLite.
Run: .venv/bin/python -m bench.bench_seed [--households N]
"""

import argparse
import time

from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from agri_credit.demo import DEMO_PASSWORD
from agri_credit.demo.departments import reference_date
from agri_credit.demo.loader import generate_demo, import_department_files, write_county
from agri_credit.extensions import id_cipher
from bench.fixtures import backends, bench_app
from bench.memory import peak_rss_mb
from models import db

TARGET_SECONDS = 45


def seed_and_time(url: str, households: int) -> dict[str, float]:
    app = bench_app(url)
    timings = {}
    with app.app_context():
        upgrade()
        seed = app.config["DEMO_SEED"]
        started = time.perf_counter()
        data = generate_demo(seed, households, as_of=reference_date(seed))
        timings["generate"] = time.perf_counter() - started
        started = time.perf_counter()
        write_county(
            data.county,
            id_cipher(),
            generate_password_hash(DEMO_PASSWORD),
            enterprises=data.enterprises,
            registered=data.registered_households,
        )
        db.session.commit()
        timings["write"] = time.perf_counter() - started
        started = time.perf_counter()
        files = data.department_files()
        timings["departments"] = time.perf_counter() - started
        started = time.perf_counter()
        summary = import_department_files(files)
        timings["import"] = time.perf_counter() - started
        timings["rows"] = summary.rows
        db.session.remove()
        db.engine.dispose()
    timings["total"] = sum(timings[k] for k in ("generate", "write", "departments", "import"))
    return timings


def main(households: int = 30_000) -> None:
    for name, url in backends():
        timings = seed_and_time(url, households)
        verdict = "OK" if timings["total"] < TARGET_SECONDS else "OVER TARGET"
        print(
            f"\n[seed demo] {name}, {households:,} households\n"
            f"  generate frames  {timings['generate']:6.1f} s\n"
            f"  encrypt + insert {timings['write']:6.1f} s\n"
            f"  department files {timings['departments']:6.1f} s\n"
            f"  write + import   {timings['import']:6.1f} s ({timings['rows']:,.0f} rows, 10 files)\n"
            f"  total            {timings['total']:6.1f} s (target < {TARGET_SECONDS} s on SQLite)"
            f"{': ' + verdict if name == 'SQLite' else ''}\n"
            f"  peak memory      {peak_rss_mb():6.0f} MB (whole process so far)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=30_000)
    main(parser.parse_args().households)

"""Every page a user reaches from the menu, for each demo role, on the demo county.

Target (issue 12 point 19): every page under 300 ms median for one user at the demo county's
size (exports excepted: large exports run as jobs). The benchmark seeds the demo county as
`flask seed-demo` does (ratings included), logs in as each demo role, opens every page of its
menu and a sample of the pages those link to (files, villages, runs), three times each, and
prints the slowest twenty with their medians, on SQLite and on PostgreSQL.

Run: .venv/bin/python -m bench.bench_pages [--households N] [--per-shape K]
"""

import argparse
import os
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from flask_migrate import upgrade

from agri_credit.demo import DEMO_PASSWORD
from bench.fixtures import backends, bench_app
from models import generate_master_key

ROLES = (
    "county_office",
    "county_reviewer",
    "town_zhuangli",
    "cadre",
    "officer",
    "applicant",
    "applicant_sme",
)
REPEATS = 3
TARGET_MS = 300
SLOWEST = 20
NAV = re.compile(r"<nav\b.*?</nav>", re.S)
HREF = re.compile(r'href="(/[^"#]*)"')
# Not pages: sign-out, the language switch, assets and downloads (exports run as jobs).
SKIP = re.compile(
    r"^/(logout|static|vendor|lang|set-locale)|\.(xlsx|pdf|csv|png|js|css)(\?|$)|/(export|download)"
)


def _shape(path: str) -> str:
    """A URL with its numbers and codes blanked: pages of one kind share a shape."""
    return re.sub(r"\d+", "#", urlsplit(path).path)


def _links(html: str, only_nav: bool = False) -> list[str]:
    if only_nav:
        html = "".join(NAV.findall(html))
    return [h.replace("&amp;", "&") for h in HREF.findall(html) if not SKIP.search(h)]


def pages_of(client, per_shape: int) -> list[str]:
    """The role's menu pages, then up to `per_shape` pages of each kind they link to."""
    home = client.get("/dashboard", follow_redirects=True).get_data(as_text=True)
    menu = list(dict.fromkeys(["/dashboard", *_links(home, only_nav=True)]))
    seen: dict[str, int] = defaultdict(int)
    pages = list(menu)
    for shape in map(_shape, menu):
        seen[shape] += 1
    for url in menu:
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for link in _links(response.get_data(as_text=True)):
            shape = _shape(link)
            if link in pages or seen[shape] >= per_shape:
                continue
            seen[shape] += 1
            pages.append(link)
    return pages


def time_pages(client, pages: list[str]) -> list[tuple[float, float, int, str]]:
    """(median wall ms, median CPU ms, status, url) per page. The machine may be shared: the
    CPU time of this process (the whole request on SQLite; without the database server's
    share on PostgreSQL) says what the page costs when wall time also counts waiting."""
    timed = []
    for url in pages:
        wall, cpu, status = [], [], 0
        for _ in range(REPEATS):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            status = response.status_code
        timed.append((statistics.median(wall), statistics.median(cpu), status, url))
    return timed


def _seeded(url: str, households: int, keep: bool):
    """The app on `url`, seeding the demo county unless it already holds one (a GET changes
    no domain state, so one kept database serves any number of runs; its ID-number key is
    kept beside, in the instance folder)."""
    key_file = Path(__file__).resolve().parent.parent / "instance" / "bench_pages.key"
    if keep and not key_file.exists():
        key_file.parent.mkdir(exist_ok=True)
        key_file.write_text(generate_master_key())
    app = bench_app(url, key_file.read_text().strip() if keep else None)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        from models import Household, db

        if db.session.scalar(db.select(db.func.count()).select_from(Household)):
            return app
        result = app.test_cli_runner().invoke(args=["seed-demo", "--households", str(households)])
    assert result.exit_code == 0, (result.output, result.exception)
    print(f"demo county seeded in {time.perf_counter() - started:.0f} s")
    return app


def main(households: int = 30_000, per_shape: int = 3, url: str | None = None) -> None:
    for label, database in [("given database", url)] if url else backends():
        app = _seeded(database, households, keep=url is not None)
        rows = []
        for username in ROLES:
            client = app.test_client()
            response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 302, f"{username} could not log in"
            pages = pages_of(client, per_shape)
            rows += [
                (ms, cpu, status, username, page)
                for ms, cpu, status, page in time_pages(client, pages)
            ]
        rows.sort(reverse=True)
        slow = sum(ms >= TARGET_MS for ms, *_ in rows)
        errors = [r for r in rows if r[2] >= 500]
        print(
            f"{label}: {len(rows)} pages over {len(ROLES)} roles; "
            f"{slow} at or over {TARGET_MS} ms median; {len(errors)} answered 5xx; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(f"  slowest {SLOWEST} (median of {REPEATS}; wall, then CPU of this process):")
        for ms, cpu, status, username, page in rows[:SLOWEST]:
            flag = "  " if ms < TARGET_MS else "! "
            print(f"  {flag}{ms:7.0f} ms  cpu {cpu:6.0f} ms  {status}  {username:<14} {page}")
        with app.app_context():
            from models import db

            db.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=30_000)
    parser.add_argument("--per-shape", type=int, default=3)
    parser.add_argument("--url", help="an already seeded database to reuse (seeded if empty)")
    args = parser.parse_args()
    main(args.households, args.per_shape, args.url)

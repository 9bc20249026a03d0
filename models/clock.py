"""One clock for the whole platform.

Timestamps are stored as naive UTC (`utcnow`). Calendar dates — 公示 periods, objection and
repair deadlines, "today" on every page — are dates in the county's zone, the app's
`BABEL_DEFAULT_TIMEZONE` (Asia/Shanghai by default), whatever zone the server process runs in.
Everything that needs "today" or "now" asks here; nothing calls `date.today()` or
`datetime.now()`, which read the server's zone (on a UTC server they are 8 hours behind
Beijing, so a 公示 would end at 08:00 local time).
"""

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    """The configured zone; outside an app (a benchmark, a pure function's default) the
    default zone."""
    name = DEFAULT_ZONE
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_ZONE
    return _zone(name)


def utcnow() -> datetime:
    """Naive UTC timestamp; both SQLite and PostgreSQL columns store it as-is."""
    return datetime.now(UTC).replace(tzinfo=None)


def now() -> datetime:
    """The current moment in the configured zone (timezone-aware), for what a user reads
    (a report's "generated at"). Store `utcnow()` instead."""
    return datetime.now(local_zone())


def today() -> date:
    """Today's date in the configured zone: the calendar of every deadline and period."""
    return now().date()


def local_time(moment: datetime) -> datetime:
    """A naive-UTC timestamp in the configured zone."""
    return moment.replace(tzinfo=UTC).astimezone(local_zone())


def local_date(moment: datetime) -> date:
    """The configured zone's calendar date of a naive-UTC timestamp."""
    return local_time(moment).date()


def utc_start_of(day: date) -> datetime:
    """The naive-UTC instant at which `day` begins in the configured zone."""
    start = datetime.combine(day, time(), tzinfo=local_zone())
    return start.astimezone(UTC).replace(tzinfo=None)

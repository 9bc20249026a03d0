"""Every deadline of the rating cycle, counted in one place.

A credit-repair decision is due in working days (工作日): Mondays to Fridays, without the
public holidays the State Council announces each year and with the weekend days worked in
exchange (调休). Those come from the `chinesecalendar` package; for a year it does not cover
yet (the State Council publishes the next year's plan in November or December) a day counts
as a working day when it is Monday to Friday, and pages say so (`holidays_known`).

The 公示 period and the objection answer are counted in calendar days (DOMAIN.md: 7 days of
公示; 征信业管理条例 art. 25: answered within 20 days); "due within N working days" on the
dashboards uses the same working-day count for both kinds.
"""

from datetime import date, timedelta

import chinese_calendar

# The first and last year the installed calendar holds the official holiday plan for.
_HOLIDAY_YEARS = {d.year for d in chinese_calendar.holidays}
FIRST_YEAR, LAST_YEAR = min(_HOLIDAY_YEARS), max(_HOLIDAY_YEARS)


def holidays_known(*days: date) -> bool:
    """Whether the official holiday plan of every day's year is known."""
    return all(FIRST_YEAR <= day.year <= LAST_YEAR for day in days)


def is_working_day(day: date) -> bool:
    """A working day by the official plan, or Monday to Friday for a year it lacks."""
    if holidays_known(day):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (`start` itself never counts: an application
    made on a Friday evening or a holiday is counted from the next working day)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def working_days_left(today: date, deadline: date) -> int:
    """Working days from tomorrow up to and including `deadline`; 0 when it is today or
    past. Deadlines are a few weeks away at most, so the loop is short."""
    count, day = 0, today
    while day < deadline:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def due_within_working_days(today: date, days: int) -> date:
    """The last deadline that counts as "due within `days` working days" of `today`."""
    return add_working_days(today, days)


def repair_decide_by(applied_on: date, working_days: int) -> date:
    """A credit-repair decision is due `working_days` working days after the application."""
    return add_working_days(applied_on, working_days)


def publicity_ends_on(published_on: date, days: int) -> date:
    """The last day of a 公示 that starts on `published_on` and lasts `days` calendar days."""
    return published_on + timedelta(days=days)


def objection_due_on(raised_on: date, days: int) -> date:
    """An objection is answered within `days` calendar days of being raised."""
    return raised_on + timedelta(days=days)

"""Rating runs: score every household and entity of a county or township with a published
rule set, rate its villages (信用村), townships (信用乡镇) and the county, and store it all in
one transaction with the digest of what the engine saw, so a run can be repeated and checked.

    run = start_run("610528000000", 2025, date(2025, 12, 31), rule_set, user)
    rerate_result(result, user, cause=RerateCause.OBJECTION)  # one subject, the run's village

The scoring is `score_inputs`, a pure function of the input frames (`run_inputs`) and the rule
set; this module adds the database around it: reading, bulk writing (COPY on PostgreSQL,
executemany of plain tuples on SQLite) and the summary shown on the run pages.
"""

import json
import time
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Select, case, func, insert, or_, select, update

from agri_credit.audit import record_event
from agri_credit.ratings import engine
from agri_credit.ratings.departmental_facts import attach_departmental_facts
from agri_credit.ratings.rules import RatingRules
from models import (
    RERATE_CAUSE_LABELS,
    Objection,
    ObjectionStatus,
    RatingResult,
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    RerateCause,
    Rerating,
    ResultStatus,
    Role,
    RuleSet,
    RuleSetStatus,
    RunStatus,
    User,
    ancestor_codes,
    clock,
    code_range,
    db,
    utcnow,
)

from ..publication.services import write_grades
from ..rulesets.services import RuleSetRefused, rules_of
from .departmental_inputs import read_departmental, sources_read
from .inputs import RunInputs, read_inputs
from .source_dates import late_import_notes, source_dates, stale_notes

RUN_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP)
TEXT_LIMIT = 300  # RatingResult.gate_reasons and .missing
# Figures kept on each RegionRating: the metrics the pages show, and the counts a re-rating
# of one household needs to rate its township and county again without the whole run.
REGION_FIGURES = (
    "households",
    "credit_households",
    "registered_households",
    "borrowers",
    "borrowers_overdue",
    "loan_balance",
    "npl_balance",
    "new_npl_balance",
    "has_loan_data",
    "villages",
    "credit_villages",
    "townships",
    "credit_townships",
    "credit_household_share",
    "file_coverage",
    "borrowers_not_overdue_share",
    "npl_ratio",
    "new_npl_ratio",
    "credit_village_share",
    "credit_township_share",
    "thresholds_missed",
)
LOAN_FIGURES = ("borrowers", "borrowers_overdue", "loan_balance", "npl_balance", "new_npl_balance")
NO_LOANS_NOTE = "尚无银行贷款数据：还款记录未计入总分，逾期未还贷款未核查，贷款类指标无法评定"
NO_PUBLIC_RECORDS_NOTE = "尚无公共信用记录数据：失信被执行人、行政处罚仅按档案中的不良记录核查"


class RunRefused(ValueError):
    """The run cannot be started or the result re-rated; the message is Chinese."""


# ---- the rule set --------------------------------------------------------------------------


def usable_rules(rule_set: RuleSet) -> RatingRules:
    """The stored rule set as the engine's rules; refused unless published and valid."""
    if rule_set.status != RuleSetStatus.PUBLISHED:
        raise RunRefused(f"评定办法「{rule_set.name}」尚未发布，不能用于评定")
    try:
        rules = rules_of(rule_set)
    except RuleSetRefused as refused:
        raise RunRefused(str(refused)) from refused
    problems = rules.validate()
    if problems:
        raise RunRefused(f"评定办法「{rule_set.name}」有误：{'；'.join(problems)}")
    return rules


def rule_set_applies(rule_set: RuleSet, region_code: str) -> bool:
    """A rule set is made by an office for its own subtree (a county's serves its townships)."""
    owner = db.session.get(Region, rule_set.scope_code)
    return owner is not None and owner.contains(region_code)


def usable_rule_sets(region: Region) -> list[RuleSet]:
    """Published rule sets a run of `region` may use (the newest version first)."""
    owners = [region.code, *ancestor_codes(region.code)]
    return list(
        db.session.scalars(
            select(RuleSet)
            .where(RuleSet.status == RuleSetStatus.PUBLISHED, RuleSet.scope_code.in_(owners))
            .order_by(RuleSet.name, RuleSet.version.desc(), RuleSet.id.desc())
        )
    )


# ---- scoring (pure) ------------------------------------------------------------------------


@dataclass
class Scored:
    households: pd.DataFrame  # engine.score_households output
    entities: pd.DataFrame  # engine.score_entities output
    villages: pd.DataFrame  # engine.rate_villages output
    townships: pd.DataFrame
    counties: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    # Per indicator, how its missing-data reading was applied: engine attrs "missing_counts".
    missing_counts: list[dict[str, Any]] = field(default_factory=list)
    # Village code -> {"<sheet>:<field>": average}: what the relative indicators compared with.
    village_means: dict[str, dict[str, float]] = field(default_factory=dict)


def _means_by_village(used: dict[str, pd.Series]) -> dict[str, dict[str, float]]:
    """{"<sheet>:<field>": Series by village} as {village: {"<sheet>:<field>": mean}}, NaN
    left out (JSON has none; a missing average is averaged from the rows again)."""
    if not used:
        return {}
    frame = pd.DataFrame(used)
    out: dict[str, dict[str, float]] = {}
    for village, row in zip(frame.index.astype("str"), frame.to_dict("records"), strict=True):
        out[village] = {k: float(v) for k, v in row.items() if not np.isnan(v)}
    return out


def _subject_part(frame: pd.DataFrame | None, column: str, as_name: str) -> pd.DataFrame | None:
    """Rows of a loans or records frame that belong to households (or entities), with the
    subject id under the name the engine reads."""
    if frame is None:
        return None
    part = frame[frame[column].notna()]
    return part.assign(**{as_name: part[column].astype(np.int64).to_numpy()})


def _with_facts(
    subjects: pd.DataFrame, inputs: RunInputs, rules: RatingRules, as_of: date, column: str
) -> pd.DataFrame:
    loans = _subject_part(inputs.loans, column, "borrower_id")
    records = _subject_part(inputs.records, column, "subject_id")
    subjects = engine.attach_loan_facts(subjects, loans, rules, as_of, column)
    subjects = engine.attach_record_facts(subjects, records, rules, as_of, column)
    if column == "household_id":
        subjects = attach_departmental_facts(subjects, inputs.departmental, rules, as_of)
    if not inputs.has_public_records:
        # Without the court's list, "not listed" is unknown; a file's own 失信 record stands.
        listed = subjects["is_dishonest"].to_numpy(dtype=np.float64)
        subjects = subjects.assign(is_dishonest=np.where(listed > 0, 1.0, np.nan))
    return subjects


def _loan_summary(
    loans: pd.DataFrame | None, codes: pd.Series, by: str, rules: RatingRules, as_of: date
) -> pd.DataFrame | None:
    """Loan figures per area; every area of the run is present (zero without borrowers) once
    there is loan data at all, so "no loans here" is not mistaken for "no data"."""
    if loans is None:
        return None
    names = list(LOAN_FIGURES)
    if len(loans):
        summary = engine.summarise_loans(loans, by, rules, as_of).set_index(by)[names]
    else:
        summary = pd.DataFrame({n: pd.Series([], dtype=np.float64) for n in names})
    index = pd.Index(codes.astype("str").drop_duplicates(), name=by)
    return summary.reindex(index, fill_value=0).reset_index()


MONEY_FIGURES = ("loan_balance", "npl_balance", "new_npl_balance")


def area_loans(
    inputs: RunInputs, codes: pd.Series, by: str, rules: RatingRules, as_of: date
) -> pd.DataFrame | None:
    """Loan figures per area for 信用村 and 信用乡镇: borrowers are households (they measure
    农户); balances, and so the NPL ratios, are households' loans, or everyone's when the
    rule set counts entities' loans too (Readings.npl_includes_entities)."""
    household_loans = _subject_part(inputs.loans, "household_id", "borrower_id")
    summary = _loan_summary(household_loans, codes, by, rules, as_of)
    if summary is None or not rules.readings.npl_includes_entities:
        return summary
    loans = inputs.loans
    household = loans["household_id"]
    # Entities as negative ids, apart from households' (only balances are read from this).
    everyone = loans.assign(
        borrower_id=np.where(
            household.notna(), household.fillna(0), -loans["entity_id"].fillna(0)
        ).astype(np.int64)
    )
    money = _loan_summary(everyone, codes, by, rules, as_of).set_index(by)[list(MONEY_FIGURES)]
    summary = summary.set_index(by)
    summary[list(MONEY_FIGURES)] = money.reindex(summary.index).to_numpy()
    return summary.reset_index()


def score_inputs(
    inputs: RunInputs,
    rules: RatingRules,
    as_of: date,
    benchmarks: dict[str, engine.Benchmarks] | None = None,
) -> Scored:
    """Score every household and entity and rate every area of the inputs. Village and
    township loan figures count households' loans: 信用村 and 信用乡镇 measure 农户.
    `benchmarks` ({"household": …, "entity": …}): a run's village averages and absent
    indicators, when one subject is scored again (`rerate_result`)."""
    benchmarks = benchmarks or {}
    used: dict[str, pd.Series] = {}
    households = engine.score_households(
        _with_facts(inputs.households, inputs, rules, as_of, "household_id"),
        rules,
        as_of,
        benchmarks.get("household"),
        used,
        inputs.villages,
    )
    entities = engine.score_entities(
        _with_facts(inputs.entities, inputs, rules, as_of, "entity_id"),
        rules,
        as_of,
        benchmarks.get("entity"),
        used,
    )
    villages = engine.rate_villages(
        households,
        area_loans(inputs, inputs.villages["village_code"], "village_code", rules, as_of),
        inputs.villages,
        rules,
    )
    townships = engine.rate_townships(
        villages,
        area_loans(inputs, inputs.villages["township_code"], "township_code", rules, as_of),
        rules,
    )
    counties = engine.rate_counties(villages, townships, rules)
    notes = []
    if inputs.loans is None:
        notes.append(NO_LOANS_NOTE)
    if not inputs.has_public_records:
        notes.append(NO_PUBLIC_RECORDS_NOTE)
    missing = []
    for label, frame in (("农户", households), ("经营主体", entities)):
        if len(frame):
            notes += [f"{label}：{note}" for note in frame.attrs.get("notes", [])]
            missing += [
                {**row, "subject": label}
                for row in frame.attrs.get("missing_counts", [])
                if row["subjects"]
            ]
    return Scored(
        households,
        entities,
        villages,
        townships,
        counties,
        notes,
        missing,
        _means_by_village(used),
    )


# ---- results as rows -----------------------------------------------------------------------


def _texts(values: pd.Series) -> list[str]:
    return [t[:TEXT_LIMIT] for t in values.astype("str").fillna("").tolist()]


def _breakdowns(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """Each row's {indicator: points} as JSON; an indicator left out for want of data in the
    whole run is null. Points come from a few bands per indicator, so a county has far fewer
    distinct breakdowns than households: each is written once and handed out by row."""
    if not len(frame):
        return []
    columns = [engine.POINTS_PREFIX + k for k in keys]
    points = np.round(frame[columns].to_numpy(dtype=np.float64, na_value=np.nan), 2)
    points = np.where(np.isnan(points), -1.0, points + 0.0)  # never negative; no -0.0
    # Rows as opaque byte strings: factorizing those is several times faster than
    # np.unique(axis=0), which sorts.
    rows = np.ascontiguousarray(points)
    codes, uniques = pd.factorize(rows.view(np.dtype((np.void, rows.strides[0]))).ravel())
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    combos = points[first]
    texts = np.array(
        [
            json.dumps(
                {k: (None if v < 0 else float(v)) for k, v in zip(keys, row, strict=True)},
                separators=(",", ":"),
            )
            for row in combos.tolist()
        ],
        dtype=object,
    )
    return texts[codes].tolist()


def _entity_breakdowns(frame: pd.DataFrame, rules: RatingRules) -> list[str]:
    """As `_breakdowns`, each entity with the indicators of its own type's sheet."""
    out = [json.dumps({})] * len(frame)
    types = frame["entity_type"].astype("str").to_numpy()
    for sheet in rules.entity_sheets:
        rows = np.flatnonzero(types == sheet.entity_type)
        if rows.size:
            texts = _breakdowns(frame.iloc[rows], [i.key for i in sheet.indicators])
            for row, text in zip(rows.tolist(), texts, strict=True):
                out[row] = text
    return out


def _plain_value(value: Any) -> Any:
    """A departmental value for JSON: None for no records, a float to 4 decimals, a text."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.floating | float | np.integer | int):
        return round(float(value), 4)
    return str(value)


def _indicator_values(frame: pd.DataFrame, rules: RatingRules) -> list[str | None]:
    """Each household's {indicator: value} of the departmental indicators as JSON (None
    without any). Written once per distinct combination, like the breakdowns."""
    keys = [i.key for i in rules.household_indicators if i.departmental]
    columns = [engine.VALUE_PREFIX + k for k in keys if engine.VALUE_PREFIX + k in frame]
    if not len(frame) or not columns:
        return [None] * len(frame)
    part = frame[columns].astype(object)
    joined = part.iloc[:, 0].map(repr)
    for column in columns[1:]:
        joined = joined + "|" + part[column].map(repr)
    codes, uniques = pd.factorize(joined.to_numpy(dtype=object))
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    rows = part.iloc[first].to_numpy()
    texts = np.array(
        [
            json.dumps(
                {
                    k[len(engine.VALUE_PREFIX) :]: _plain_value(v)
                    for k, v in zip(columns, row, strict=True)
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for row in rows.tolist()
        ],
        dtype=object,
    )
    return texts[codes].tolist()


def _grades(frame: pd.DataFrame) -> list[str | None]:
    grade = frame["grade"].astype(object)
    return grade.where(grade.notna(), None).tolist()


def result_rows(scored: Scored, rules: RatingRules) -> dict[str, list]:
    """Column lists of the RatingResult rows of a run, households then entities."""
    households, entities = scored.households, scored.entities
    n_h, n_e = len(households), len(entities)
    return {
        "household_id": households["household_id"].astype(np.int64).tolist() + [None] * n_e,
        "entity_id": [None] * n_h + entities["entity_id"].astype(np.int64).tolist(),
        "village_code": households["village_code"].astype("str").tolist()
        + entities["village_code"].astype("str").tolist(),
        "score": np.round(
            np.concatenate([households["total_score"], entities["total_score"]]), 2
        ).tolist(),
        "grade": _grades(households) + _grades(entities),
        "breakdown": _breakdowns(households, [i.key for i in rules.household_indicators])
        + _entity_breakdowns(entities, rules),
        "gate_reasons": _texts(households["gate_reasons"]) + _texts(entities["gate_reasons"]),
        "missing": _texts(households["missing_labels"]) + _texts(entities["missing_labels"]),
        "indicator_values": _indicator_values(households, rules) + [None] * n_e,
    }


RESULT_COLUMNS = (
    "run_id",
    "household_id",
    "entity_id",
    "village_code",
    "score",
    "grade",
    "breakdown",
    "gate_reasons",
    "missing",
    "status",
    "indicator_values",
)


def insert_results(run_id: int, columns: dict[str, list]) -> None:
    """Bulk-write result rows in the session's transaction: COPY on PostgreSQL, one
    executemany of plain tuples on SQLite (no ORM objects, no per-row statements)."""
    n = len(columns["score"])
    if not n:
        return
    rows = zip(
        [run_id] * n,
        columns["household_id"],
        columns["entity_id"],
        columns["village_code"],
        columns["score"],
        columns["grade"],
        columns["breakdown"],
        columns["gate_reasons"],
        columns["missing"],
        ["proposed"] * n,
        columns["indicator_values"],
        strict=True,
    )
    connection = db.session.connection()
    names = ", ".join(RESULT_COLUMNS)
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY rating_results ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        placeholders = ", ".join("?" for _ in RESULT_COLUMNS)
        connection.exec_driver_sql(
            f"INSERT INTO rating_results ({names}) VALUES ({placeholders})", list(rows)
        )


# ---- areas as rows -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if np.isnan(value) else round(float(value), 4)
    return value


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(row[k]) for k in REGION_FIGURES if k in row}


def _reasons(text: Any) -> list[str]:
    return [r for r in str(text or "").split("；") if r] if isinstance(text, str) else []


def region_rows(scored: Scored, run: RatingRun, region: Region) -> list[dict[str, Any]]:
    """RegionRating rows: every village, every township, and the county when the run is a
    county's (a township run's county figures would cover one township only)."""
    rows = []
    for level, frame, code, passed in (
        (RegionLevel.VILLAGE, scored.villages, "village_code", "is_credit_village"),
        (RegionLevel.TOWNSHIP, scored.townships, "township_code", "is_credit_township"),
        (RegionLevel.COUNTY, scored.counties, "county_code", "is_credit_county"),
    ):
        for row in frame.to_dict("records"):
            if level == RegionLevel.COUNTY and (
                region.level != RegionLevel.COUNTY or row[code] != region.code
            ):
                continue
            rows.append(
                {
                    "run_id": run.id,
                    "region_code": row[code],
                    "level": level.value,
                    "passed": bool(row[passed]),
                    "metrics": _figures(row),
                    "reasons": _reasons(row["reasons"]),
                    "status": "proposed",
                    "village_means": scored.village_means.get(row[code], {})
                    if level == RegionLevel.VILLAGE
                    else None,
                }
            )
    return rows


# ---- summary -------------------------------------------------------------------------------


def result_counts(run_id: int) -> dict[str, Any]:
    """Counts per grade, gated and with missing data, for households and entities."""
    is_household = RatingResult.household_id.is_not(None)
    rows = db.session.execute(
        select(
            is_household.label("household"),
            RatingResult.grade,
            func.count(),
            func.sum(case((RatingResult.gate_reasons != "", 1), else_=0)),
            func.sum(case((RatingResult.missing != "", 1), else_=0)),
        )
        .where(RatingResult.run_id == run_id)
        .group_by(is_household, RatingResult.grade)
    ).all()
    counts: dict[str, Any] = {}
    for kind in ("household", "entity"):
        counts[kind] = {"total": 0, "credit": 0, "gated": 0, "missing": 0, "grades": {}}
    for household, grade, total, gated, missing in rows:
        part = counts["household" if household else "entity"]
        part["total"] += total
        part["gated"] += int(gated or 0)
        part["missing"] += int(missing or 0)
        part["grades"][grade or ""] = part["grades"].get(grade or "", 0) + total
        if grade:
            part["credit"] += total
    for part in counts.values():
        part["credit_share"] = (
            round(part["credit"] / part["total"] * 100, 2) if part["total"] else None
        )
    return counts


def region_counts(run_id: int) -> dict[str, Any]:
    rows = db.session.execute(
        select(RegionRating.level, RegionRating.passed, func.count())
        .where(RegionRating.run_id == run_id)
        .group_by(RegionRating.level, RegionRating.passed)
    ).all()
    counts = {
        level.value: {"total": 0, "passed": 0}
        for level in (RegionLevel.VILLAGE, RegionLevel.TOWNSHIP, RegionLevel.COUNTY)
    }
    for level, passed, total in rows:
        counts[level]["total"] += total
        if passed:
            counts[level]["passed"] += total
    return counts


def refresh_summary(run: RatingRun, **extra: Any) -> None:
    summary = dict(run.summary or {})
    summary.update(result_counts(run.id))
    summary["regions"] = region_counts(run.id)
    summary.update(extra)
    run.summary = summary


# ---- starting a run ------------------------------------------------------------------------


def _region_for_run(region_code: str, user: User) -> Region:
    region = db.session.get(Region, region_code)
    if region is None or region.level not in RUN_LEVELS:
        raise RunRefused("请选择县或乡镇进行评定")
    if not user.scope.contains(region.code):
        raise RunRefused("无权对该地区进行评定")
    return region


def _supersede(region: Region, year: int, run_id: int) -> None:
    """Earlier runs of the region and year, and of any part of it, are replaced."""
    low, high = code_range(region.code, region.level)
    db.session.execute(
        update(RatingRun)
        .where(
            RatingRun.year == year,
            RatingRun.region_code.between(low, high),
            RatingRun.status != RunStatus.SUPERSEDED,
            RatingRun.id != run_id,
        )
        .values(status=RunStatus.SUPERSEDED)
        .execution_options(synchronize_session="fetch")
    )


def start_run(region_code: str, year: int, as_of: date, rule_set: RuleSet, user: User) -> RatingRun:
    """Score a county or township for `year` with departmental data as of `as_of`, store the
    results and region ratings, supersede earlier runs of the same region and year, and
    commit, all in one transaction (nothing is stored on error). Refused with a Chinese
    message (RunRefused) for a draft rule set, a region outside the user's scope, or a rule
    set made for another region."""
    region = _region_for_run(region_code, user)
    rules = usable_rules(rule_set)
    if not rule_set_applies(rule_set, region.code):
        raise RunRefused(f"评定办法「{rule_set.name}」不适用于{region.name}")
    try:
        started, started_cpu = time.perf_counter(), time.process_time()
        inputs = read_inputs(region, year, as_of, readings=rules.readings)
        inputs = replace(inputs, departmental=read_departmental(region, as_of, rules))
        read, read_cpu = time.perf_counter(), time.process_time()
        scored = score_inputs(inputs, rules, as_of)
        columns = result_rows(scored, rules)
        scoring, scoring_cpu = time.perf_counter(), time.process_time()

        # Earlier runs go first: the new run is the region and year's only proposed one
        # (a unique index), and a second submit racing this one fails on that index.
        _supersede(region, year, 0)
        run = RatingRun(
            rule_set_id=rule_set.id,
            region_code=region.code,
            year=year,
            as_of=as_of,
            status=RunStatus.PROPOSED,
            input_digest=inputs.digest(rule_set.body, as_of.isoformat(), year, region.code),
            started_by_id=user.id,
        )
        db.session.add(run)
        db.session.flush()
        insert_results(run.id, columns)
        db.session.execute(insert(RegionRating.__table__), region_rows(scored, run, region))
        written, written_cpu = time.perf_counter(), time.process_time()
        dates = source_dates(region, inputs.loans)
        refresh_summary(
            run,
            notes=list(
                dict.fromkeys(
                    scored.notes
                    + stale_notes(dates, as_of)
                    + late_import_notes(dates, as_of, sources_read(rules))
                )
            ),
            sources={
                "loans": inputs.loans is not None,
                "public_records": inputs.has_public_records,
            },
            source_dates=dates,
            missing_counts=scored.missing_counts,
            # Left out of the total for want of data anywhere in the run: a re-rating of one
            # subject leaves out the same ones.
            absent_indicators={
                "household": list(scored.households.attrs.get("absent_indicators", [])),
                "entity": list(scored.entities.attrs.get("absent_indicators", [])),
            },
            timings={
                "read": round(read - started, 2),
                "score": round(scoring - read, 2),
                "write": round(written - scoring, 2),
                # This process's CPU seconds: on a loaded machine the wall time says little.
                "cpu": {
                    "read": round(read_cpu - started_cpu, 2),
                    "score": round(scoring_cpu - read_cpu, 2),
                    "write": round(written_cpu - scoring_cpu, 2),
                },
            },
        )
        run.finished_at = utcnow()
        record_event(
            "rating.run",
            "rating_run",
            run.id,
            f"信用评定：{region.name} {year}年，数据截至{as_of.isoformat()}",
            {"rule_set": [None, f"{rule_set.name} v{rule_set.version}"]},
            user=user,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return run


def rerun(run: RatingRun, user: User) -> RatingRun:
    """The same region, year, data date and rule set again (重新评定)."""
    return start_run(run.region_code, run.year, run.as_of, run.rule_set, user)


# ---- re-rating one subject -----------------------------------------------------------------


def _village_households(run_id: int, village_code: str) -> pd.DataFrame:
    """The run's stored household results of a village, as rate_villages reads them."""
    rows = db.session.execute(
        select(RatingResult.household_id, RatingResult.grade).where(
            RatingResult.run_id == run_id,
            RatingResult.village_code == village_code,
            RatingResult.household_id.is_not(None),
        )
    ).all()
    return pd.DataFrame(
        {
            "household_id": [r[0] for r in rows],
            "village_code": [village_code] * len(rows),
            "is_credit_household": [r[1] is not None for r in rows],
        }
    )


def _stored(run_id: int, level: RegionLevel) -> list[RegionRating]:
    return list(
        db.session.scalars(
            select(RegionRating)
            .where(RegionRating.run_id == run_id, RegionRating.level == level)
            .order_by(RegionRating.region_code)
        )
    )


def _parents(codes: list[str]) -> dict[str, str]:
    parents = dict(
        db.session.execute(
            select(Region.code, Region.parent_code).where(Region.code.in_(codes))
        ).all()
    )
    return {c: parents.get(c) or c[:9] + "000" for c in codes}


def _village_frame(ratings: list[RegionRating]) -> pd.DataFrame:
    """Stored village ratings as rate_villages returned them (the columns the township and
    county ratings read)."""
    parents = _parents([r.region_code for r in ratings])
    rows = []
    for r in ratings:
        m = r.metrics or {}
        registered = m.get("registered_households")
        rows.append(
            {
                "village_code": r.region_code,
                "township_code": parents[r.region_code],
                "is_credit_village": bool(r.passed),
                "households": int(m.get("households") or 0),
                "credit_households": int(m.get("credit_households") or 0),
                "registered_households": np.nan if registered is None else float(registered),
            }
        )
    return pd.DataFrame(rows)


def _stored_loans(rating: RegionRating, key: str) -> pd.DataFrame | None:
    """An area's loan figures as the run computed them (None: the run had no loan data)."""
    figures = rating.metrics or {}
    if not figures.get("has_loan_data"):
        return None
    values = {k: np.nan if figures.get(k) is None else float(figures[k]) for k in LOAN_FIGURES}
    return pd.DataFrame([{key: rating.region_code, **values}])


def _apply(rating: RegionRating, row: dict[str, Any], passed: str) -> None:
    rating.passed = bool(row[passed])
    rating.metrics = _figures(row)
    rating.reasons = _reasons(row["reasons"])


def _rerate_areas(run: RatingRun, rules: RatingRules, village: RegionRating) -> None:
    """The village's rating again from the run's stored results (one of them just changed)
    and the loan figures and 户籍户数 the run used, then its township's and the county's from
    the stored village ratings: nothing is read from today's files or ledgers."""
    stored = village.metrics or {}
    registered = stored.get("registered_households")
    township_code = _parents([village.region_code])[village.region_code]
    facts = pd.DataFrame(
        {
            "village_code": [village.region_code],
            "township_code": [township_code],
            "registered_households": [np.nan if registered is None else float(registered)],
        }
    )
    rated = engine.rate_villages(
        _village_households(run.id, village.region_code),
        _stored_loans(village, "village_code"),
        facts,
        rules,
    )
    _apply(village, rated.to_dict("records")[0], "is_credit_village")
    db.session.flush()

    township = db.session.scalar(
        select(RegionRating).where(
            RegionRating.run_id == run.id, RegionRating.region_code == township_code
        )
    )
    villages = _village_frame(_stored(run.id, RegionLevel.VILLAGE))
    if township is not None:
        mine = villages[villages["township_code"] == township_code]
        rated = engine.rate_townships(mine, _stored_loans(township, "township_code"), rules)
        _apply(township, rated.to_dict("records")[0], "is_credit_township")
        db.session.flush()
    county = db.session.scalar(
        select(RegionRating).where(
            RegionRating.run_id == run.id, RegionRating.level == RegionLevel.COUNTY
        )
    )
    if county is not None:
        townships = pd.DataFrame(
            [
                {"township_code": t.region_code, "is_credit_township": bool(t.passed)}
                for t in _stored(run.id, RegionLevel.TOWNSHIP)
            ]
        )
        rated = engine.rate_counties(villages, townships, rules)
        mine = rated[rated["county_code"] == county.region_code].to_dict("records")
        if mine:
            _apply(county, mine[0], "is_credit_county")


def run_benchmarks(run: RatingRun, village: RegionRating | None) -> dict[str, engine.Benchmarks]:
    """What the run compared the village's subjects with: its village averages and the
    indicators it left out for want of data. Runs made before these were kept get none
    (their re-ratings average today's files of the village, as they always did)."""
    absent = (run.summary or {}).get("absent_indicators") or {}
    means = None
    if village is not None and village.village_means is not None:
        means = pd.DataFrame([village.village_means], index=[village.region_code], dtype="float")
    return {
        kind: engine.Benchmarks(village_means=means, absent=absent.get(kind))
        for kind in ("household", "entity")
    }


def rerate_result(
    result: RatingResult,
    user: User,
    *,
    cause: RerateCause,
    reason: str = "",
    objection_id: int | None = None,
    repair_id: int | None = None,
    repairs_until: date | None = None,
) -> Rerating:
    """Score one household or entity of a run again, as the run would have scored it with
    this subject's data as it stands now and everything else as the run saw it: its file as
    now, departmental rows as of the run's date, every credit repair approved by
    `repairs_until` (default today); the village averages, 户籍户数, loan figures and the
    indicators left out are the run's own (`RegionRating.village_means`, the run's summary),
    so the other households' points and today's files of the village play no part. Updates
    the score, grade and breakdown, keeps a Rerating (before and after, why), rates the
    village, township and county again from the stored results, and writes the grade to the
    file if the result is already effective. Flushes; the caller commits with its change."""
    run = db.session.get(RatingRun, result.run_id)
    rules = usable_rules(run.rule_set)
    village = db.session.get(Region, result.village_code)
    if village is None:
        raise RunRefused("找不到该评定结果所在的村")
    village_rating = db.session.scalar(
        select(RegionRating).where(
            RegionRating.run_id == run.id, RegionRating.region_code == result.village_code
        )
    )
    inputs = read_inputs(
        village,
        run.year,
        run.as_of,
        repairs_until=max(run.as_of, repairs_until or clock.today()),
        readings=rules.readings,
    )
    inputs = replace(inputs, departmental=read_departmental(village, run.as_of, rules))
    scored = score_inputs(inputs, rules, run.as_of, run_benchmarks(run, village_rating))
    if result.household_id is not None:
        frame = scored.households
        subject = frame[frame["household_id"].to_numpy() == result.household_id]
        one = replace(scored, households=subject, entities=scored.entities.iloc[0:0])
    else:
        frame = scored.entities
        subject = frame[frame["entity_id"].to_numpy() == result.entity_id]
        one = replace(scored, households=scored.households.iloc[0:0], entities=subject)
    if len(subject) == 0:
        raise RunRefused("该主体已不在本村，请重新评定整个地区")
    values = result_rows(one, rules)
    rerating = Rerating(
        result_id=result.id,
        cause=cause,
        reason=reason.strip(),
        objection_id=objection_id,
        repair_id=repair_id,
        score_before=result.score,
        grade_before=result.grade,
        gate_reasons_before=result.gate_reasons,
        rerated_by_id=user.id,
    )
    result.score = Decimal(str(values["score"][0]))
    result.grade = values["grade"][0]
    result.breakdown = json.loads(values["breakdown"][0])
    result.gate_reasons = values["gate_reasons"][0]
    result.missing = values["missing"][0]
    stated = values["indicator_values"][0]
    result.indicator_values = None if stated is None else json.loads(stated)
    rerating.score_after = result.score
    rerating.grade_after = result.grade
    rerating.gate_reasons_after = result.gate_reasons
    db.session.add(rerating)
    db.session.flush()
    if result.household_id is not None and village_rating is not None:
        _rerate_areas(run, rules, village_rating)
    if result.status == ResultStatus.EFFECTIVE:
        write_grades([result], run.year)
    refresh_summary(run)
    record_event(
        "rating.rerate",
        "rating_result",
        result.id,
        f"重新评定（{RERATE_CAUSE_LABELS[RerateCause(cause)]}）"
        + (f"：{reason.strip()}" if reason.strip() else ""),
        {
            "score": [str(rerating.score_before), str(result.score)],
            "grade": [rerating.grade_before, result.grade],
        },
        user=user,
    )
    db.session.flush()
    return rerating


def may_rerate(result: RatingResult, run: RatingRun, user: User) -> bool:
    """A credit office over the result's village re-rates it while its run is open."""
    return (
        user.role == Role.OFFICE
        and user.scope.contains(result.village_code)
        and run.status == RunStatus.PROPOSED
    )


def rerate_after_correction(result: RatingResult, user: User, reason: str) -> Rerating:
    """An office corrected the subject's file and re-rates it, saying why. Refused (Chinese
    RunRefused) in a run no longer open, outside the office's scope, without a reason, and
    while an objection is open: its written answer is where that correction belongs."""
    run = db.session.get(RatingRun, result.run_id)
    if user.role != Role.OFFICE or not user.scope.contains(result.village_code):
        raise RunRefused("只有该村所属乡镇或县信用办可以重新评定")
    if run.status != RunStatus.PROPOSED:
        raise RunRefused("该次评定已审定或已被取代，不能再重新评定单个主体")
    if not reason.strip():
        raise RunRefused("请写明更正了哪些档案信息、为何重新评定")
    if db.session.scalar(
        select(Objection.id).where(
            Objection.result_id == result.id, Objection.status == ObjectionStatus.OPEN
        )
    ):
        raise RunRefused("该结果有待答复的异议，请在答复异议时更正档案并重新评定")
    return rerate_result(result, user, cause=RerateCause.CORRECTION, reason=reason)


def open_results_of(kind: str, subject_id: int) -> list[RatingResult]:
    """The subject's results in every run still open (proposed: not yet approved by the
    county, not superseded), oldest run first."""
    column = RatingResult.household_id if kind == "household" else RatingResult.entity_id
    return list(
        db.session.scalars(
            select(RatingResult)
            .join(RatingRun, RatingRun.id == RatingResult.run_id)
            .where(column == subject_id, RatingRun.status == RunStatus.PROPOSED)
            .order_by(RatingRun.id)
        )
    )


def reratings_of(result: RatingResult) -> list[Rerating]:
    """The result's history of re-ratings, newest first."""
    return list(
        db.session.scalars(
            select(Rerating)
            .where(Rerating.result_id == result.id)
            .order_by(Rerating.rerated_at.desc(), Rerating.id.desc())
        )
    )


# ---- what a user may see -------------------------------------------------------------------


def runs_reaching(user: User) -> ColumnElement[bool]:
    """Runs whose region is inside the user's scope, or contains it (a township office and a
    village cadre see their part of a county run)."""
    low, high = code_range(user.scope_code, user.scope.level)
    return or_(
        RatingRun.region_code.between(low, high),
        RatingRun.region_code.in_(ancestor_codes(user.scope_code)),
    )


def runs_for(user: User) -> Select[tuple[RatingRun]]:
    return (
        select(RatingRun)
        .where(runs_reaching(user))
        .order_by(RatingRun.year.desc(), RatingRun.started_at.desc(), RatingRun.id.desc())
    )


def current_runs(user: User) -> list[RatingRun]:
    """The runs a user picks from: reaching into her scope, superseded ones left out, newest
    year first."""
    return list(db.session.scalars(runs_for(user).where(RatingRun.status != RunStatus.SUPERSEDED)))


def may_start_runs(user: User) -> bool:
    """Credit offices of a county or township (or above) start runs."""
    return user.role == Role.OFFICE and user.scope.level not in (RegionLevel.VILLAGE,)


def run_regions(user: User) -> list[Region]:
    """Regions the user may start a run for: her own county or township, and the townships
    under it."""
    low, high = code_range(user.scope_code, user.scope.level)
    return list(
        db.session.scalars(
            select(Region)
            .where(
                Region.level.in_([lvl.value for lvl in RUN_LEVELS]), Region.code.between(low, high)
            )
            .order_by(Region.code)
        )
    )


__all__ = [
    "RunRefused",
    "Scored",
    "rerate_result",
    "rerun",
    "rule_set_applies",
    "usable_rules",
    "runs_for",
    "score_inputs",
    "start_run",
]

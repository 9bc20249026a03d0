"""The rating engine scores households and entities on the rule set's sheet, lets a gate
override any score, says which data was missing, and rates villages, townships and the county
with the reason for every threshold missed. Plain DataFrames in, DataFrames out."""

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from agri_credit.ratings import engine
from agri_credit.ratings.default_rules import default_rule_set
from agri_credit.ratings.rules import Band, GradeBand, InvalidRuleSet, Threshold

AS_OF = date(2025, 6, 30)
VILLAGE_A, VILLAGE_B, VILLAGE_C = "610528100001", "610528100002", "610528101001"
TOWNSHIP_A, TOWNSHIP_B = "610528100000", "610528101000"
RULES = default_rule_set()
CLEAN = {"max_days_overdue_unpaid": 0, "is_dishonest": False, "disqualifying_negative_count": 0}


def household(household_id: int, village: str = VILLAGE_A, **values) -> dict:
    row = {
        "household_id": household_id,
        "village_code": village,
        "household_size": 5,
        "labour_count": 3,
        "total_assets": 300_000.0,
        "total_liabilities": 60_000.0,
        "coop_shares": 6_000.0,
        "net_income": 60_000.0,
        "evaluation_overall": "优秀",
        "worst_days_overdue": 0.0,
        **CLEAN,
    }
    row.update(values)
    return row


def yang_li_wang() -> pd.DataFrame:
    """Three households of one village, the worked example of the sheet."""
    return pd.DataFrame(
        [
            household(1),  # 杨
            household(
                2,
                household_size=3,
                labour_count=2,
                total_assets=150_000.0,
                total_liabilities=30_000.0,
                coop_shares=0.0,
                net_income=30_000.0,
                evaluation_overall="较好",
                worst_days_overdue=15.0,
            ),  # 李
            household(
                3,
                household_size=2,
                labour_count=1,
                total_assets=150_000.0,
                total_liabilities=150_000.0,
                coop_shares=2_000.0,
                net_income=30_000.0,
                evaluation_overall="一般",
                worst_days_overdue=45.0,
            ),  # 王
        ]
    )


def scored_by_id(frame: pd.DataFrame, rules=RULES) -> pd.DataFrame:
    return engine.score_households(frame, rules, AS_OF).set_index("household_id")


def grades(values) -> list[str | None]:
    return [None if pd.isna(g) else g for g in values]


def points(row: pd.Series) -> dict[str, float]:
    return {k.removeprefix("points_"): v for k, v in row.items() if k.startswith("points_")}


# --- households ---------------------------------------------------------------------------


def test_households_are_scored_exactly_per_the_sheet():
    # Village averages: total assets 200,000; net assets (240,000 + 120,000 + 0) / 3 = 120,000;
    # net income 40,000. 杨 holds 1.5 x the average assets: the top band starts at 1.5.
    result = scored_by_id(yang_li_wang())
    assert points(result.loc[1]) == {
        "household_size": 8,  # 5 people: 4+
        "labour_count": 8,  # 3 workers: 3+
        "total_assets": 13,  # 1.5 x average
        "net_assets": 13,  # 2.0 x average
        "coop_shares": 4,  # 6,000 yuan: 5,000+
        "net_income": 14,  # 1.5 x average
        "evaluation": 30,  # 优秀
        "repayment": 10,  # never overdue
    }
    assert points(result.loc[2]) == {
        "household_size": 6,  # 3 people
        "labour_count": 6,  # 2 workers
        "total_assets": 8,  # 0.75 x
        "net_assets": 11,  # 1.0 x
        "coop_shares": 0,
        "net_income": 9,  # 0.75 x
        "evaluation": 25,  # 较好
        "repayment": 6,  # 15 days overdue once
    }
    assert points(result.loc[3]) == {
        "household_size": 4,
        "labour_count": 4,
        "total_assets": 8,  # 0.75 x
        "net_assets": 2,  # 0: below 0.4 x, not negative
        "coop_shares": 2,  # 2,000 yuan
        "net_income": 9,
        "evaluation": 15,  # 一般
        "repayment": 3,  # 45 days overdue once
    }
    assert result["total_score"].to_dict() == {1: 100, 2: 71, 3: 47}
    assert grades(result["grade"]) == ["AAA", "AA", None]
    assert result["is_credit_household"].to_dict() == {1: True, 2: True, 3: False}
    assert (result["gate_reasons"] == "").all() and (result["missing"] == "").all()


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "AAA"),
        (80, "AAA"),
        (79.99, "AA"),
        (70, "AA"),
        (69.99, "A"),
        (60, "A"),
        (59.99, None),
        (0, None),
    ],
)
def test_grade_bands_start_at_their_minimum_score(score, grade):
    assert grades(engine.assign_grades(np.array([score]), RULES)) == [grade]


def test_grade_bands_come_from_the_rule_set():
    stricter = dataclasses.replace(
        RULES,
        grade_bands=(
            GradeBand("AAA", "优秀", 90),
            GradeBand("AA", "良好", 80),
            GradeBand("A", "一般", 70),
        ),
    )
    assigned = engine.assign_grades(np.array([85.0, 75.0, 65.0]), stricter)
    assert grades(assigned) == ["AA", "A", None]


def test_grades_compare_in_rank_order():
    result = scored_by_id(yang_li_wang())
    assert result["grade"].loc[1] > result["grade"].loc[2]
    assert list(result.index[result["grade"] >= "AA"]) == [1, 2]


@pytest.mark.parametrize(
    ("column", "value", "gate", "reason"),
    [
        ("max_days_overdue_unpaid", 90, "overdue_90", "有逾期90天以上未还的贷款"),
        ("is_dishonest", True, "dishonest", "被列为失信被执行人"),
        ("disqualifying_negative_count", 1, "negative_record", "近5年内有取消评定资格的不良记录"),
    ],
)
def test_a_gate_overrides_a_perfect_score(column, value, gate, reason):
    frame = pd.DataFrame([household(1, **{column: value}), household(2)])
    result = scored_by_id(frame)
    # Both score 94 (each at the village average); the gate withholds only the one's grade.
    assert result.loc[1, "total_score"] == result.loc[2, "total_score"] == 94
    assert pd.isna(result.loc[1, "grade"])
    assert not result.loc[1, "is_credit_household"]
    assert result.loc[1, "gates"] == gate
    assert result.loc[1, "gate_reasons"] == reason
    assert result.loc[2, "grade"] == "AAA" and result.loc[2, "gate_reasons"] == ""


def test_a_loan_89_days_overdue_does_not_disqualify():
    result = scored_by_id(pd.DataFrame([household(1, max_days_overdue_unpaid=89)]))
    assert result.loc[1, "is_credit_household"]


def test_every_failed_gate_is_named():
    frame = pd.DataFrame([household(1, max_days_overdue_unpaid=200, is_dishonest=True)])
    result = scored_by_id(frame)
    assert result.loc[1, "gate_reasons"] == "有逾期90天以上未还的贷款；被列为失信被执行人"
    assert result.loc[1, "gates"] == "overdue_90,dishonest"


def test_missing_data_scores_zero_and_is_flagged():
    frame = yang_li_wang()
    frame.loc[1, "evaluation_overall"] = None  # 李 not yet evaluated
    frame.loc[2, "net_income"] = np.nan  # 王's income not recorded
    result = scored_by_id(frame)
    assert result.loc[2, "points_evaluation"] == 0
    assert result.loc[2, "missing"] == "evaluation"
    assert result.loc[2, "missing_labels"] == "村评议品行"
    assert result.loc[3, "points_net_income"] == 0
    assert result.loc[3, "missing_labels"] == "家庭纯收入"
    assert result.loc[1, "missing"] == ""
    # The village average is taken over the households that have the figure.
    assert result.loc[1, "points_net_income"] == 12  # 60,000 vs (60,000 + 30,000) / 2: 1.33 x


def test_an_evaluation_the_sheet_does_not_know_is_flagged_not_silently_zero():
    result = scored_by_id(pd.DataFrame([household(1, evaluation_overall="良好")]))
    assert result.loc[1, "points_evaluation"] == 0
    assert result.loc[1, "missing"] == "evaluation"


def test_no_repayment_data_in_the_run_is_reported_not_punished():
    frame = yang_li_wang().assign(worst_days_overdue=np.nan)
    result = engine.score_households(frame, RULES, AS_OF).set_index("household_id")
    assert result["points_repayment"].isna().all()  # "no data", not 0 points
    assert (result["missing"] == "").all()
    # The other 90 points are scaled back to 100: 杨 90 -> 100, 李 65 -> 72.22.
    assert result["total_score"].to_dict() == {1: 100, 2: 72.22, 3: 48.89}
    assert result.attrs["absent_indicators"] == ["repayment"]
    assert "还款记录：本次评定尚无数据，未计入总分，其余指标折算为百分制" in result.attrs["notes"]


def test_gates_without_data_are_reported_as_not_checked():
    frame = yang_li_wang().drop(columns=["is_dishonest"])
    result = engine.score_households(frame, RULES, AS_OF)
    assert result.attrs["unevaluated_gates"] == ["dishonest"]
    assert "否决条件「被列为失信被执行人」：尚无数据，未核查" in result.attrs["notes"]
    assert result["is_credit_household"].sum() == 2


def test_each_village_is_compared_with_its_own_average():
    frame = pd.concat(
        [
            yang_li_wang(),
            pd.DataFrame([household(4, VILLAGE_B, total_assets=30_000.0, total_liabilities=0.0)]),
        ]
    )
    result = scored_by_id(frame)
    assert result.loc[4, "points_total_assets"] == 11  # average of its own village: 1.0 x


def test_a_village_with_negative_average_income_still_ranks_its_households():
    frame = pd.DataFrame(
        [
            household(1, net_income=-10_000.0),
            household(2, net_income=-30_000.0),
            household(3, net_income=10_000.0),
        ]
    )  # average -10,000
    result = scored_by_id(frame)
    assert result.loc[1, "points_net_income"] == 12  # at the average
    assert result.loc[2, "points_net_income"] == 0  # well below it
    assert result.loc[3, "points_net_income"] == 14  # well above it


def test_bands_are_read_from_the_rule_set():
    sheet = tuple(
        dataclasses.replace(i, bands=(Band(None, 10_000, 0), Band(10_000, None, 4)))
        if i.key == "coop_shares"
        else i
        for i in RULES.household_indicators
    )
    rules = dataclasses.replace(RULES, household_indicators=sheet)
    assert scored_by_id(pd.DataFrame([household(1)]), rules).loc[1, "points_coop_shares"] == 0


def test_an_invalid_rule_set_is_refused():
    rules = dataclasses.replace(RULES, grade_bands=(GradeBand("AAA", "优秀", 120),))
    with pytest.raises(InvalidRuleSet, match="分数线 120 分"):
        engine.score_households(yang_li_wang(), rules, AS_OF)


def test_a_frame_without_household_ids_is_refused():
    with pytest.raises(engine.MissingColumns, match="household_id"):
        engine.score_households(yang_li_wang().drop(columns=["household_id"]), RULES, AS_OF)


# --- facts from loans and records ---------------------------------------------------------


def loans_frame(rows: list[dict]) -> pd.DataFrame:
    base = {"status": "normal", "days_overdue": 0, "repaid_on": None, "village_code": VILLAGE_A}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["township_code"] = frame["village_code"].str.slice(0, 9) + "000"
    return frame


def test_loans_give_the_gate_and_the_repayment_record():
    loans = loans_frame(
        [
            {"borrower_id": 1, "balance": 50_000, "days_overdue": 120, "status": "substandard"},
            {"borrower_id": 2, "balance": 0, "days_overdue": 120, "repaid_on": date(2024, 5, 1)},
            {"borrower_id": 2, "balance": 20_000},
            {"borrower_id": 3, "balance": 0, "days_overdue": 40, "repaid_on": date(2015, 5, 1)},
        ]
    )
    subjects = pd.DataFrame({"household_id": [1, 2, 3, 4]})
    facts = engine.attach_loan_facts(subjects, loans, RULES, AS_OF).set_index("household_id")
    assert facts.loc[1].to_dict() == {"max_days_overdue_unpaid": 120, "worst_days_overdue": 120}
    # Repaid late last year: a poor record, but nothing unpaid to disqualify.
    assert facts.loc[2].to_dict() == {"max_days_overdue_unpaid": 0, "worst_days_overdue": 120}
    # Ten years ago is outside the five-year look-back.
    assert facts.loc[3, "worst_days_overdue"] == 0
    # No loans at all is a clean record, not missing data.
    assert facts.loc[4].to_dict() == {"max_days_overdue_unpaid": 0, "worst_days_overdue": 0}


def test_days_overdue_come_from_dates_versions_and_the_ledgers_own_date():
    # As of 2025-06-30, each loan worked out by hand:
    loans = loans_frame(
        [
            # repaid 2025-03-11, due 2025-01-10: 60 days late, though the ledger now says 0
            {"borrower_id": 1, "balance": 0, "due_on": date(2025, 1, 10),
             "repaid_on": date(2025, 3, 11)},
            # repaid on time, but an earlier version of the ledger said 25 days overdue
            {"borrower_id": 2, "balance": 0, "due_on": date(2025, 5, 1),
             "repaid_on": date(2025, 4, 30), "peak_days_overdue": 25},
            # 70 days overdue on the ledger of 2025-05-31, unpaid: 100 days by 2025-06-30
            {"borrower_id": 3, "balance": 9_000, "days_overdue": 70,
             "reported_on": date(2025, 5, 31), "due_on": date(2025, 12, 1)},
            # not yet due on the ledger's date, due 2025-06-20 and unpaid: 10 days overdue
            {"borrower_id": 4, "balance": 9_000, "reported_on": date(2025, 5, 31),
             "due_on": date(2025, 6, 20)},
        ]
    )  # fmt: skip
    outstanding, now, worst = engine.loan_overdue(loans, AS_OF)
    assert outstanding.tolist() == [False, False, True, True]
    assert now.tolist() == [0, 0, 100, 10]
    assert worst.tolist() == [60, 25, 100, 10]
    facts = engine.attach_loan_facts(
        pd.DataFrame({"household_id": [1, 2, 3, 4]}), loans, RULES, AS_OF
    ).set_index("household_id")
    assert facts["max_days_overdue_unpaid"].tolist() == [0, 0, 100, 10]
    assert facts["worst_days_overdue"].tolist() == [60, 25, 100, 10]


def test_without_any_loan_data_the_loan_columns_say_no_data():
    facts = engine.attach_loan_facts(pd.DataFrame({"household_id": [1]}), None, RULES, AS_OF)
    assert facts[["max_days_overdue_unpaid", "worst_days_overdue"]].isna().all(axis=None)


def test_negative_records_count_for_five_years_after_they_end():
    records = pd.DataFrame(
        [
            # 1: a penalty that ended four years ago still counts.
            {
                "subject_id": 1,
                "category": "行政处罚",
                "occurred_on": "2020-01-10",
                "ended_on": "2021-07-01",
            },
            # 2: one that ended six years ago no longer does.
            {
                "subject_id": 2,
                "category": "行政处罚",
                "occurred_on": "2019-01-10",
                "ended_on": "2019-06-01",
            },
            # 3: repaired (信用修复) before the rating date.
            {
                "subject_id": 3,
                "category": "行政处罚",
                "occurred_on": "2024-01-10",
                "ended_on": "2024-03-01",
                "repaired_on": "2025-01-15",
            },
            # 4: a category the rule set does not mark as disqualifying.
            {
                "subject_id": 4,
                "category": "违反村规民约",
                "occurred_on": "2024-01-10",
                "ended_on": None,
            },
            # 5: listed as 失信被执行人 and still listed.
            {
                "subject_id": 5,
                "category": "失信被执行人",
                "occurred_on": "2024-11-01",
                "ended_on": None,
            },
            # 6: listed, removed from the list last year: no longer listed, still a record.
            {
                "subject_id": 6,
                "category": "失信被执行人",
                "occurred_on": "2022-11-01",
                "ended_on": "2024-02-01",
            },
        ]
    )
    subjects = pd.DataFrame({"household_id": [1, 2, 3, 4, 5, 6, 7]})
    facts = engine.attach_record_facts(subjects, records, RULES, AS_OF).set_index("household_id")
    assert facts["disqualifying_negative_count"].to_dict() == {
        1: 1,
        2: 0,
        3: 0,
        4: 0,
        5: 1,
        6: 1,
        7: 0,
    }
    assert facts["is_dishonest"].to_dict() == {
        1: False,
        2: False,
        3: False,
        4: False,
        5: True,
        6: False,
        7: False,
    }


def test_a_record_dated_after_the_rating_date_is_not_counted():
    records = pd.DataFrame(
        [{"subject_id": 1, "category": "行政处罚", "occurred_on": "2025-08-01", "ended_on": None}]
    )
    facts = engine.attach_record_facts(pd.DataFrame({"household_id": [1]}), records, RULES, AS_OF)
    assert facts.loc[0, "disqualifying_negative_count"] == 0


def test_loans_are_summarised_per_village():
    loans = loans_frame(
        [
            {"borrower_id": 1, "balance": 40_000},
            {"borrower_id": 1, "balance": 10_000, "days_overdue": 10, "status": "special_mention"},
            # Became non-performing 30 days ago (120 days overdue): new this year.
            {"borrower_id": 2, "balance": 25_000, "days_overdue": 120, "status": "substandard"},
            # Non-performing for over a year (500 days overdue): not new.
            {"borrower_id": 3, "balance": 25_000, "days_overdue": 500, "status": "loss"},
            {"borrower_id": 4, "balance": 0, "repaid_on": date(2025, 1, 5)},
            {"borrower_id": 5, "balance": 0, "repaid_on": date(2020, 1, 5)},  # long settled
            {"borrower_id": 6, "balance": 30_000, "village_code": VILLAGE_B},
        ]
    )
    summary = engine.summarise_loans(loans, "village_code", RULES, AS_OF).set_index("village_code")
    assert summary.loc[VILLAGE_A].to_dict() == {
        "borrowers": 4,  # 1 counted once; 5 settled before the rating year
        "borrowers_overdue": 3,
        "loan_balance": 100_000,
        "npl_balance": 50_000,
        "new_npl_balance": 25_000,
    }
    assert summary.loc[VILLAGE_B, "borrowers"] == 1


def test_a_recorded_npl_date_beats_the_estimate():
    loans = loans_frame(
        [
            {
                "borrower_id": 1,
                "balance": 100_000,
                "days_overdue": 500,
                "status": "loss",
                "npl_since": date(2025, 2, 1),
            },
        ]
    )
    summary = engine.summarise_loans(loans, "village_code", RULES, AS_OF)
    assert summary.loc[0, "new_npl_balance"] == 100_000


# --- entities -----------------------------------------------------------------------------


def entity(entity_id: int, entity_type: str, **values) -> dict:
    row = {
        "entity_id": entity_id,
        "entity_type": entity_type,
        "village_code": VILLAGE_A,
        "founded_on": date(2018, 6, 30),
        "land_mu": np.nan,
        "herd_size": np.nan,
        "member_count": np.nan,
        "annual_revenue": np.nan,
        "total_assets": np.nan,
        "total_debts": np.nan,
        "has_insurance": True,
        "keeps_books": True,
        "certification_count": 0,
        "demonstration_level": "无",
        "tax_grade": None,
        "social_insurance_ok": np.nan,
        "worst_days_overdue": 0.0,
        **CLEAN,
    }
    row.update(values)
    return row


def four_entities() -> pd.DataFrame:
    return pd.DataFrame(
        [
            entity(
                1,
                "family_farm",
                land_mu=150.0,
                annual_revenue=600_000.0,
                total_assets=1_000_000.0,
                total_debts=300_000.0,
                keeps_books=False,
                certification_count=1,
                demonstration_level="县级",
            ),
            entity(
                2,
                "cooperative",
                founded_on=date(2023, 1, 1),
                member_count=120,
                land_mu=600.0,
                annual_revenue=2_500_000.0,
                total_assets=4_000_000.0,
                total_debts=2_400_000.0,
                certification_count=2,
                demonstration_level="省级",
            ),
            entity(
                3,
                "large_grower",
                herd_size=400.0,  # a pig farmer: no land figure, scored on the herd
                annual_revenue=800_000.0,
                total_assets=500_000.0,
                total_debts=100_000.0,
                has_insurance=False,
                worst_days_overdue=20.0,
            ),
            entity(
                4,
                "leading_enterprise",
                annual_revenue=60_000_000.0,
                total_assets=80_000_000.0,
                total_debts=60_000_000.0,
                tax_grade="B",
                social_insurance_ok=True,
                certification_count=3,
                demonstration_level="国家级",
            ),
        ]
    )


def test_entities_of_each_type_are_scored_on_their_own_sheet():
    result = engine.score_entities(four_entities(), RULES, AS_OF).set_index("entity_id")
    farm = {k: v for k, v in points(result.loc[1]).items() if not np.isnan(v)}
    assert farm == {
        "years_operating": 10,  # 7 years: 5+
        "scale": 12,  # 150 亩: 100-200
        "annual_revenue": 12,  # 600,000: 500,000-1,000,000
        "debt_ratio": 12,  # 30 %: 30-50 %
        "insurance": 8,
        "bookkeeping": 0,
        "certifications": 3,  # one
        "demonstration": 2,  # 县级
        "repayment": 20,
    }
    assert result.loc[1, "total_score"] == 79 and result.loc[1, "grade"] == "AA"
    # cooperative: 2.5 years 6, 120 members 10, 600 亩 8, 2.5 M revenue 12, 60 % debt 5,
    # insured 5, books 10, two certifications 5, 省级 8, repayment 15.
    assert result.loc[2, "total_score"] == 84 and result.loc[2, "grade"] == "AAA"
    # large grower: 7 years 10, herd 400 -> 20, 800,000 -> 16, 20 % debt 15, uninsured 0,
    # books 5, 20 days overdue 9.
    assert result.loc[3, "points_scale"] == 20 and result.loc[3, "missing"] == ""
    assert result.loc[3, "total_score"] == 75 and result.loc[3, "grade"] == "AA"
    # leading enterprise: 10 + 60 M revenue 16 + 75 % debt 3 + tax B 12 + social insurance 10
    # + certifications 5 + 国家级 10 + insured 5 + repayment 10.
    assert result.loc[4, "total_score"] == 81 and result.loc[4, "grade"] == "AAA"
    # Indicators a type's sheet does not have are NaN, not 0.
    assert np.isnan(result.loc[1, "points_tax_grade"])
    assert np.isnan(result.loc[4, "points_scale"])
    assert result["is_credit_entity"].all()


def test_an_entity_without_a_founding_date_is_flagged():
    frame = four_entities()
    frame.loc[0, "founded_on"] = None
    result = engine.score_entities(frame, RULES, AS_OF).set_index("entity_id")
    assert result.loc[1, "points_years_operating"] == 0
    assert result.loc[1, "missing_labels"] == "经营年限"


def test_entities_without_tax_data_are_not_punished_for_it():
    frame = four_entities().assign(tax_grade=None, social_insurance_ok=np.nan)
    result = engine.score_entities(frame, RULES, AS_OF).set_index("entity_id")
    assert np.isnan(result.loc[4, "points_tax_grade"])
    # 59 of the remaining 75 points, scaled to 100.
    assert result.loc[4, "total_score"] == 78.67
    assert set(result.attrs["absent_indicators"]) == {"tax_grade", "social_insurance"}


def test_an_entity_gate_overrides_its_score():
    frame = four_entities()
    frame.loc[3, "is_dishonest"] = True
    result = engine.score_entities(frame, RULES, AS_OF).set_index("entity_id")
    assert not result.loc[4, "is_credit_entity"]
    assert result.loc[4, "gate_reasons"] == "被列为失信被执行人"


def test_an_entity_type_without_a_sheet_is_not_rated():
    frame = pd.DataFrame([entity(9, "sme")])
    result = engine.score_entities(frame, RULES, AS_OF)
    assert result.loc[0, "gate_reasons"] == "评定办法中没有该类主体的评分指标"
    assert not result.loc[0, "is_credit_entity"]


# --- villages, townships, county ----------------------------------------------------------


def household_results(village: str, households: int, credit: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "household_id": range(households),
            "village_code": village,
            "is_credit_household": [True] * credit + [False] * (households - credit),
        }
    )


def loan_summary(village: str, **values) -> dict:
    row = {
        "village_code": village,
        "borrowers": 40,
        "borrowers_overdue": 2,
        "loan_balance": 1_000_000.0,
        "npl_balance": 20_000.0,
        "new_npl_balance": 5_000.0,
    }
    row.update(values)
    return row


def rate_one_village(credit: int = 80, registered: float = 105, **loans) -> pd.Series:
    result = engine.rate_villages(
        household_results(VILLAGE_A, 100, credit),
        pd.DataFrame([loan_summary(VILLAGE_A, **loans)]),
        pd.DataFrame({"village_code": [VILLAGE_A], "registered_households": [registered]}),
        RULES,
    )
    assert len(result) == 1
    return result.iloc[0]


def test_a_village_meeting_every_threshold_is_a_credit_village():
    village = rate_one_village()
    assert village["is_credit_village"]
    assert village["reasons"] == ""
    assert village["credit_household_share"] == 80
    assert village["borrowers_not_overdue_share"] == 95
    assert village["npl_ratio"] == 2
    assert village["new_npl_ratio"] == 0.5
    assert village["file_coverage"] == pytest.approx(95.24, abs=0.01)
    assert village["township_code"] == TOWNSHIP_A


@pytest.mark.parametrize(
    ("change", "metric", "reason"),
    [
        ({"credit": 62}, "credit_household_share", "信用户占比 62.0%，低于 70%"),
        (
            {"borrowers_overdue": 8},
            "borrowers_not_overdue_share",
            "无逾期借款户占比 80.0%，低于 85%",
        ),
        ({"npl_balance": 50_000.0}, "npl_ratio", "不良贷款率 5.00%，未低于 5%"),
        ({"new_npl_balance": 15_000.0}, "new_npl_ratio", "新增不良贷款率 1.5%，未低于 1%"),
        ({"registered": 125}, "file_coverage", "建档率 80.0%，低于 90%"),
    ],
)
def test_a_village_missing_a_threshold_says_which_and_by_how_much(change, metric, reason):
    village = rate_one_village(**change)
    assert not village["is_credit_village"]
    assert village["reasons"] == reason
    assert not village["pass_" + metric]
    assert village["thresholds_missed"] == 1


def test_a_share_just_below_the_line_is_not_shown_as_reaching_it():
    result = engine.rate_villages(
        household_results(VILLAGE_A, 10_000, 6_996),
        pd.DataFrame([loan_summary(VILLAGE_A)]),
        pd.DataFrame({"village_code": [VILLAGE_A], "registered_households": [10_000]}),
        RULES,
    )
    assert result.loc[0, "reasons"] == "信用户占比 69.96%，低于 70%"


def test_a_coverage_just_below_the_line_shows_the_decimals_that_explain_the_failure():
    result = engine.rate_villages(
        household_results(VILLAGE_A, 224, 200),
        pd.DataFrame([loan_summary(VILLAGE_A)]),
        pd.DataFrame({"village_code": [VILLAGE_A], "registered_households": [249]}),
        RULES,
    )
    assert result.loc[0, "reasons"] == "建档率 89.96%，低于 90%"  # 224 / 249 = 89.9598 %


def test_every_missed_threshold_is_listed():
    village = rate_one_village(credit=50, npl_balance=80_000.0)
    assert village["reasons"] == "信用户占比 50.0%，低于 70%；不良贷款率 8.0%，未低于 5%"
    assert village["thresholds_missed"] == 2


def test_without_loan_data_a_village_cannot_pass_the_loan_thresholds():
    result = engine.rate_villages(
        household_results(VILLAGE_A, 100, 80),
        None,
        pd.DataFrame({"village_code": [VILLAGE_A], "registered_households": [100]}),
        RULES,
    )
    village = result.iloc[0]
    assert not village["is_credit_village"] and not village["has_loan_data"]
    assert village["reasons"] == (
        "无逾期借款户占比：无贷款数据，无法评定；不良贷款率：无贷款数据，无法评定；"
        "新增不良贷款率：无贷款数据，无法评定"
    )


def test_a_village_with_loan_data_but_no_borrowers_has_nothing_overdue():
    village = rate_one_village(
        borrowers=0, borrowers_overdue=0, loan_balance=0.0, npl_balance=0.0, new_npl_balance=0.0
    )
    assert village["is_credit_village"]
    assert village["borrowers_not_overdue_share"] == 100 and village["npl_ratio"] == 0


def test_a_village_without_registered_households_cannot_show_coverage():
    village = rate_one_village(registered=np.nan)
    assert village["reasons"] == "建档率：未登记户籍户数，无法计算"


def test_a_village_without_rated_households_is_listed_and_fails():
    result = engine.rate_villages(
        household_results(VILLAGE_A, 100, 80),
        pd.DataFrame([loan_summary(VILLAGE_A), loan_summary(VILLAGE_B)]),
        pd.DataFrame({"village_code": [VILLAGE_A, VILLAGE_B], "registered_households": [100, 90]}),
        RULES,
    ).set_index("village_code")
    assert result.loc[VILLAGE_B, "households"] == 0
    assert "信用户占比：无农户评定结果，无法评定" in result.loc[VILLAGE_B, "reasons"]


def test_village_thresholds_come_from_the_rule_set():
    lenient = dataclasses.replace(
        RULES, village_thresholds=(Threshold("credit_household_share", ">=", 50),)
    )
    result = engine.rate_villages(
        household_results(VILLAGE_A, 100, 62),
        None,
        pd.DataFrame({"village_code": [VILLAGE_A]}),
        lenient,
    )
    assert result.loc[0, "is_credit_village"]


def three_villages(credit_in_c: int = 80) -> pd.DataFrame:
    households = pd.concat(
        [
            household_results(VILLAGE_A, 100, 80),
            household_results(VILLAGE_B, 100, 40),  # not a credit village
            household_results(VILLAGE_C, 100, credit_in_c),
        ]
    )
    loans = pd.DataFrame([loan_summary(v) for v in (VILLAGE_A, VILLAGE_B, VILLAGE_C)])
    facts = pd.DataFrame(
        {
            "village_code": [VILLAGE_A, VILLAGE_B, VILLAGE_C],
            "township_code": [TOWNSHIP_A, TOWNSHIP_A, TOWNSHIP_B],
            "registered_households": [100, 100, 100],
        }
    )
    return engine.rate_villages(households, loans, facts, RULES)


def township_loans(**values) -> pd.DataFrame:
    rows = []
    for township in (TOWNSHIP_A, TOWNSHIP_B):
        row = loan_summary(township)
        row["township_code"] = row.pop("village_code")
        rows.append({**row, **values.get(township, {})})
    return pd.DataFrame(rows)


def test_townships_are_rated_from_their_villages():
    villages = three_villages()
    townships = engine.rate_townships(villages, township_loans(), RULES).set_index("township_code")
    a = townships.loc[TOWNSHIP_A]
    assert (a["villages"], a["credit_villages"], a["credit_village_share"]) == (2, 1, 50)
    assert a["is_credit_township"] and a["reasons"] == ""
    assert townships.loc[TOWNSHIP_B, "credit_household_share"] == 80


def test_a_township_missing_thresholds_says_why():
    villages = three_villages(credit_in_c=10)
    loans = township_loans(**{TOWNSHIP_B: {"borrowers_overdue": 6, "npl_balance": 70_000.0}})
    township = (
        engine.rate_townships(villages, loans, RULES).set_index("township_code").loc[TOWNSHIP_B]
    )
    assert not township["is_credit_township"]
    assert township["reasons"] == (
        "信用村占比 0.0%，低于 50%；无逾期借款户占比 85.0%，低于 90%；不良贷款率 7.0%，未低于 5%"
    )


def test_a_township_without_loan_data_is_not_rated_a_credit_township():
    townships = engine.rate_townships(three_villages(), None, RULES)
    assert not townships["is_credit_township"].any()
    assert "无逾期借款户占比：无贷款数据，无法评定" in townships.loc[0, "reasons"]


def test_county_summary_gives_credit_village_and_township_shares():
    villages = three_villages()
    townships = engine.rate_townships(villages, township_loans(), RULES)
    county = engine.rate_counties(villages, townships, RULES).iloc[0]
    assert county["county_code"] == "610528000000"
    assert (county["villages"], county["credit_villages"]) == (3, 2)
    assert county["credit_village_share"] == pytest.approx(66.67, abs=0.01)
    assert (county["townships"], county["credit_townships"]) == (2, 2)
    assert county["credit_township_share"] == 100
    assert county["is_credit_county"]  # 信用县: ≥ 60 % credit villages


def test_a_county_below_60_percent_credit_villages_is_told_so():
    villages = three_villages(credit_in_c=10)
    townships = engine.rate_townships(villages, township_loans(), RULES)
    county = engine.rate_counties(villages, townships, RULES).iloc[0]
    assert not county["is_credit_county"]
    assert county["reasons"] == "信用村占比 33.3%，低于 60%"


# --- reproducibility ----------------------------------------------------------------------


def random_county(seed: int, households: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 7, households)
    assets = rng.lognormal(12, 0.8, households)
    return pd.DataFrame(
        {
            "household_id": np.arange(households),
            "village_code": rng.choice([VILLAGE_A, VILLAGE_B, VILLAGE_C], households),
            "household_size": size,
            "labour_count": np.minimum(size, rng.integers(0, 4, households)),
            "total_assets": assets,
            "total_liabilities": assets * rng.uniform(0, 0.8, households),
            "coop_shares": rng.choice([0.0, 3_000.0, 8_000.0], households),
            "net_income": np.where(
                rng.random(households) < 0.05, np.nan, rng.normal(4e4, 2e4, households)
            ),
            "evaluation_overall": rng.choice(["优秀", "较好", "一般", "差", None], households),
            "worst_days_overdue": rng.choice([0.0, 0.0, 0.0, 10.0, 60.0, 120.0], households),
            "max_days_overdue_unpaid": rng.choice([0.0] * 30 + [100.0], households),
            "is_dishonest": rng.random(households) < 0.01,
            "disqualifying_negative_count": rng.choice([0] * 50 + [1], households),
        }
    )


def test_the_same_inputs_give_the_same_results():
    first = engine.score_households(random_county(7), RULES, AS_OF)
    second = engine.score_households(random_county(7), RULES, AS_OF)
    pd.testing.assert_frame_equal(first, second)
    assert first.attrs == second.attrs


def test_row_order_does_not_change_anyones_rating():
    frame = random_county(11)
    shuffled = frame.sample(frac=1, random_state=3)
    first = engine.score_households(frame, RULES, AS_OF).set_index("household_id").sort_index()
    second = engine.score_households(shuffled, RULES, AS_OF).set_index("household_id").sort_index()
    pd.testing.assert_frame_equal(first, second)
    facts = pd.DataFrame({"village_code": [VILLAGE_A, VILLAGE_B, VILLAGE_C]})
    pd.testing.assert_frame_equal(
        engine.rate_villages(first.reset_index(), None, facts, RULES),
        engine.rate_villages(second.reset_index(), None, facts, RULES),
    )

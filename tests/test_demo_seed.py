"""`flask seed-demo` builds a believable, reproducible county that the app can work on at once."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from agri_credit.demo import DEMO_PASSWORD
from agri_credit.demo.generator import CountySizes, derived_inputs, generate_county
from agri_credit.demo.loader import DemoSeedError, load_demo_county
from agri_credit.households.completeness import assess_households
from agri_credit.ratings.default_rules import default_rule_set
from agri_credit.ratings.departmental_rules import departmental_example_rule_set
from models import (
    AgriEntity,
    CreditRepair,
    Household,
    HouseholdAsset,
    HouseholdLiability,
    HouseholdMember,
    Objection,
    ObjectionStatus,
    ProductionItem,
    RatingResult,
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    RegionResultStatus,
    RepairStatus,
    Role,
    RuleSet,
    RuleSetStatus,
    User,
    VillageEvaluation,
    clock,
    db,
)
from tests import factories as f
from village_forms.identifiers import id_birth_date, id_gender, id_number_error, uscc_error

AS_OF = date(2026, 11, 23)
SMALL = CountySizes(households=600)


# One xdist worker runs this file (`make test`: --dist loadgroup), so its module-scoped
# fixtures are built once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_demo_seed")


@pytest.fixture(scope="module")
def county():
    return generate_county(seed=11, sizes=SMALL, as_of=AS_OF)


@pytest.fixture
def seeded(app):
    """600 households written into the test database (which already holds a small region tree)."""
    return load_demo_county(seed=11, households=600)


# ---- the generated county -------------------------------------------------------------------


def test_the_county_has_real_townships_and_villages_under_fuping(county):
    regions = county.regions.set_index("code")
    townships = regions[regions["level"] == RegionLevel.TOWNSHIP.value]
    villages = regions[regions["level"] == RegionLevel.VILLAGE.value]
    assert regions.loc["610528000000", "name"] == "富平县"
    assert regions.loc["610500000000", "name"] == "渭南市"
    assert len(townships) >= 6 and len(villages) >= 80
    assert "庄里镇" in set(townships["name"])
    assert villages.index.str.fullmatch(r"610528\d{6}").all()
    # A village code starts with its township's nine digits.
    assert (villages.index.str[:9] == villages["parent_code"].str[:9]).all()
    assert villages["name"].str.endswith("村").all() and villages["name"].is_unique


def test_same_seed_gives_the_same_county_and_another_seed_a_different_one(county):
    again = generate_county(seed=11, sizes=SMALL, as_of=AS_OF)
    for name, frame in county.frames().items():
        pd.testing.assert_frame_equal(frame, again.frames()[name], obj=name)
    other = generate_county(seed=12, sizes=SMALL, as_of=AS_OF)
    assert list(other.households["head_name"]) != list(county.households["head_name"])


def test_households_and_entities_come_in_the_requested_numbers(county):
    assert len(county.households) == 600
    assert county.households["id"].tolist() == list(range(1, 601))
    assert len(county.entities) == SMALL.entity_count >= 40
    assert CountySizes().entity_count >= 400  # the default county of 30,000 households


def test_every_id_number_passes_gb11643_and_is_unique(county):
    heads = county.households["head_id_number"]
    members = county.members["id_number"].dropna()
    everyone = pd.concat([heads, members])
    assert [n for n in everyone if id_number_error(n, today=AS_OF)] == []
    assert everyone.is_unique
    assert heads.str.startswith("610528").all()
    # Sex and birth date on the file are the ones the number encodes.
    assert (heads.map(id_gender) == county.households["head_gender"]).all()
    assert (heads.map(id_birth_date) == county.households["head_birth_date"]).all()
    with_id = county.members.dropna(subset=["id_number"])
    assert (with_id["id_number"].map(id_gender) == with_id["gender"]).all()
    assert (with_id["id_number"].map(id_birth_date) == with_id["birth_date"]).all()


def test_members_ages_fit_their_relation_to_the_head(county):
    members = county.members.dropna(subset=["birth_date"]).merge(
        county.households[["id", "head_birth_date"]], left_on="household_id", right_on="id"
    )
    years_younger = (members["birth_date"] - members["head_birth_date"]).map(
        lambda d: d.days / 365.25
    )
    relation = members["relation"]
    assert (years_younger[relation.isin(["子", "女"])] >= 15).all()
    assert (years_younger[relation.isin(["孙子", "孙女"])] >= 35).all()
    assert (years_younger[relation.isin(["父亲", "母亲"])] <= -18).all()
    assert set(relation) <= {
        "配偶", "子", "女", "儿媳", "女婿", "孙子", "孙女", "父亲", "母亲", "兄弟", "姐妹", "其他"
    }  # fmt: skip


def test_income_follows_land_and_people_working_away(county):
    households = county.households
    land = households["land_contracted_mu"].fillna(0) + households["land_transferred_mu"].fillna(0)
    assert land.corr(households["income_crops"], method="spearman") > 0.3
    away = county.members[county.members["occupation"] == "外出务工"]["household_id"].unique()
    wages = households.set_index("id")["income_wages"].fillna(0)
    assert wages.loc[away].median() > wages.drop(away).median()


def test_some_households_have_loans_a_few_overdue_and_records_with_dates(county):
    liabilities = county.liabilities
    assert 0.1 < liabilities["household_id"].nunique() / len(county.households) < 0.6
    overdue = liabilities[liabilities["overdue_days"] > 0]
    assert 0 < len(overdue) < 0.15 * len(liabilities)
    assert (overdue["due_date"] < AS_OF).all()
    assert (liabilities.loc[liabilities["overdue_days"] == 0, "due_date"].dropna() >= AS_OF).all()
    assert {"positive", "negative"} <= set(county.records["polarity"])
    assert (county.records["occurred_on"] <= AS_OF).all()
    assert set(county.evaluations["year"]) == {AS_OF.year - 1, AS_OF.year - 2}


def test_entity_codes_pass_gb32100_and_only_growers_go_without_one(county):
    entities = county.entities
    codes = entities["uscc"].dropna()
    assert [c for c in codes if uscc_error(c)] == [] and codes.is_unique
    assert set(entities.loc[entities["uscc"].isna(), "entity_type"]) <= {"large_grower"}
    assert set(entities["entity_type"]) == {
        "family_farm", "cooperative", "large_grower", "leading_enterprise"
    }  # fmt: skip
    assert (entities["operator_id_number"].map(id_number_error).isna()).all()


def test_many_people_born_the_same_day_still_get_distinct_numbers():
    from agri_credit.demo.generator import _id_numbers

    rng = np.random.default_rng(0)
    born = np.full(998, int(np.datetime64("1970-06-01", "D").astype(np.int64)))
    male = np.arange(998) % 2 == 0
    numbers = _id_numbers(rng, np.full(998, "610528", dtype=object), born, male)
    assert len(set(numbers)) == 998
    assert all(id_number_error(n) is None for n in numbers)


# ---- written to the database ------------------------------------------------------------------


def test_seeding_writes_the_county_and_encrypts_id_numbers(seeded, cipher):
    assert seeded.households == 600 and seeded.villages >= 80
    villages = db.session.scalar(
        select(func.count()).select_from(Region).where(Region.level == RegionLevel.VILLAGE)
    )
    assert villages >= 80
    assert db.session.scalar(select(func.count()).select_from(Household)) == 600
    household = db.session.scalar(select(Household).order_by(Household.id).limit(1))
    number = cipher.decrypt(household.head_id_cipher)
    assert id_number_error(number) is None
    assert household.head_id_hash == cipher.blind_index(number)
    assert household.head_id_tail == number[-4:] and household.head_id_masked.startswith("6105")
    assert household.updated_by_id is not None


def test_regions_that_already_exist_are_kept(seeded):
    # The test database came with 杨家村 at 610528100001; the seed does not rename it.
    assert db.session.get(Region, f.VILLAGE_A).name == "杨家村"


def test_derived_totals_equal_the_sums_of_child_rows(seeded):
    def per_household(query):
        return pd.Series(dict(db.session.execute(query).all()), dtype=float)

    def summed(model, column, *where):
        return per_household(
            select(model.household_id, func.sum(column)).where(*where).group_by(model.household_id)
        )

    households = pd.read_sql(
        select(
            Household.id,
            Household.household_size,
            Household.labour_count,
            Household.head_health,
            Household.total_assets,
            Household.total_liabilities,
            Household.coop_shares,
        ),
        db.session.connection(),
        index_col="id",
    )
    members = per_household(
        select(HouseholdMember.household_id, func.count()).group_by(HouseholdMember.household_id)
    )
    labour = per_household(
        select(HouseholdMember.household_id, func.count())
        .where(HouseholdMember.labour_ability.in_(["全劳动力", "半劳动力"]))
        .group_by(HouseholdMember.household_id)
    )
    assets = summed(HouseholdAsset, HouseholdAsset.value)
    shares = summed(HouseholdAsset, HouseholdAsset.value, HouseholdAsset.kind == "合作社股金")
    debts = summed(HouseholdLiability, HouseholdLiability.balance)

    def aligned(series):
        return series.reindex(households.index, fill_value=0).astype(float)

    assert (households["household_size"] == 1 + aligned(members)).all()
    head_works = (~households["head_health"].isin(["重病", "残疾"])).astype(int)
    assert (households["labour_count"] == head_works + aligned(labour)).all()
    for column, expected in (
        ("total_assets", assets),
        ("coop_shares", shares),
        ("total_liabilities", debts),
    ):
        assert np.allclose(households[column].astype(float), aligned(expected), atol=0.005)
    assert (households["total_liabilities"].astype(float) > 0).any()
    assert (households["coop_shares"].astype(float) > 0).any()


def test_completeness_is_the_shared_rule_and_some_files_are_unfinished(seeded):
    def counts(model):
        rows = db.session.execute(
            select(model.household_id, func.count()).group_by(model.household_id)
        )
        return pd.Series(dict(rows.all()), dtype="int64")

    households = pd.read_sql(select(Household), db.session.connection(), index_col="id")
    recent = db.session.scalars(
        select(VillageEvaluation.household_id)
        .where(VillageEvaluation.year >= clock.today().year - 1)
        .distinct()
    ).all()
    inputs = derived_inputs(
        households,
        counts(HouseholdMember).reindex(households.index, fill_value=0).to_numpy(),
        counts(HouseholdAsset).reindex(households.index, fill_value=0).to_numpy(),
        counts(ProductionItem).reindex(households.index, fill_value=0).to_numpy(),
        households.index.isin(recent),
    )
    expected = assess_households(inputs)
    assert (households["completeness"] == expected["completeness"]).all()
    assert (households["missing_fields"] == expected["missing_fields"]).all()
    assert 0 < (households["completeness"] == 100).mean() < 0.9


def test_demo_users_exist_for_every_role_and_log_in_with_the_demo_password(seeded, client):
    roles = set(db.session.scalars(select(User.role).distinct()))
    assert roles == {r.value for r in Role}
    cadres = db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.CADRE)
    )
    assert cadres == seeded.villages  # one per village
    officer = db.session.scalar(select(User).where(User.username == "officer_psbc"))
    assert officer.organisation == "中国邮政储蓄银行富平县支行"
    for username in ("cadre", "town_zhuangli", "county_office", "officer", "applicant"):
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        client.get("/logout")


def test_the_demo_applicant_logs_in_as_her_own_household(seeded):
    applicant = db.session.scalar(select(User).where(User.username == "applicant"))
    household = db.session.get(Household, applicant.subject_id)
    assert applicant.subject_type == "household"
    assert household.head_name == applicant.display_name
    assert household.village_code == applicant.scope_code
    others = db.session.scalars(select(User).where(User.role != Role.APPLICANT))
    assert all(u.subject_type is None and u.subject_id is None for u in others)


def test_the_orm_adds_rows_after_seeding_without_id_collisions(seeded, cipher):
    seeded_max = db.session.scalar(select(func.max(Household.id)))
    cadre = db.session.scalar(select(User).where(User.username == "cadre"))
    household = f.make_household(
        cipher, cadre, village_code=cadre.scope_code, head_id_number=f.make_id_number(seq=1)
    )
    user = f.make_user("new_cadre", Role.CADRE, cadre.scope_code)
    entity = AgriEntity(
        entity_type="family_farm",
        name="富平县新办家庭农场",
        uscc=f.make_uscc(),
        village_code=cadre.scope_code,
        county_code="610528",
        operator_name="杨新",
    )
    db.session.add(entity)
    db.session.commit()
    assert household.id > seeded_max
    assert user.id and entity.id


def test_seeding_an_already_seeded_county_is_refused_and_changes_nothing(seeded):
    with pytest.raises(DemoSeedError, match="already has 600 household files"):
        load_demo_county(seed=99, households=300)
    assert db.session.scalar(select(func.count()).select_from(Household)) == 600


# ---- the commands ---------------------------------------------------------------------------


@pytest.mark.real_commits  # the departmental importer's own connection
def test_seed_demo_command_loads_the_county(runner):
    result = runner.invoke(args=["seed-demo", "--households", "300"])
    assert result.exit_code == 0, result.output
    assert "300 households" in result.output
    assert db.session.scalar(select(func.count()).select_from(Household)) == 300
    # The departments' penalty lists give the office one credit repair to decide.
    repair = db.session.scalar(select(CreditRepair))
    assert repair.status == RepairStatus.PENDING and repair.record_kind == "penalty"


def test_seed_demo_starts_the_first_rating_cycle(runner):
    result = runner.invoke(args=["seed-demo", "--households", "300", "--without-departmental"])
    assert result.exit_code == 0, result.output
    run = db.session.scalar(select(RatingRun))
    assert run.summary["household"]["total"] == 300
    rule_set = db.session.get(RuleSet, run.rule_set_id)
    assert rule_set.status == RuleSetStatus.PUBLISHED and rule_set.scope_code == run.region_code
    # The second example, with departmental indicators, is published beside the default,
    # which the first run uses.
    names = db.session.scalars(select(RuleSet.name).order_by(RuleSet.id)).all()
    assert names == [default_rule_set().name, departmental_example_rule_set().name]
    assert rule_set.name == default_rule_set().name
    cadre = db.session.scalar(select(User).where(User.username == "cadre"))
    published = db.session.scalars(
        select(RegionRating.region_code).where(RegionRating.status == RegionResultStatus.PUBLISHED)
    ).all()
    assert published == [cadre.scope_code]
    assert f"village {cadre.scope_code} under 公示" in result.output
    objection = db.session.scalar(select(Objection))
    assert objection.status == ObjectionStatus.OPEN
    objected = db.session.get(RatingResult, objection.result_id)
    assert objected.village_code == cadre.scope_code and objected.status == "objected"


def test_seed_demo_without_ratings_leaves_the_cycle_to_the_user(runner):
    result = runner.invoke(
        args=["seed-demo", "--households", "300", "--without-departmental", "--without-ratings"]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(RatingRun)) == 0


@pytest.mark.real_commits  # the departmental importer's own connection
def test_seed_demo_if_empty_skips_a_database_with_households(runner):
    assert runner.invoke(args=["seed-demo", "--if-empty", "--households", "300"]).exit_code == 0
    again = runner.invoke(args=["seed-demo", "--if-empty", "--households", "300"])
    assert again.exit_code == 0 and "skipped" in again.output
    assert db.session.scalar(select(func.count()).select_from(Household)) == 300


@pytest.mark.real_commits  # the departmental importer's own connection
def test_seed_demo_twice_without_if_empty_explains_the_refusal(runner):
    runner.invoke(args=["seed-demo", "--households", "300"])
    again = runner.invoke(args=["seed-demo", "--households", "300"])
    assert again.exit_code != 0
    assert "already has 300 household files" in again.output


@pytest.mark.real_commits  # the departmental importer's own connection
def test_demo_logins_prints_accounts_and_the_password(runner):
    assert "run `flask seed-demo` first" in runner.invoke(args=["demo-logins"]).output
    runner.invoke(args=["seed-demo", "--households", "300"])
    output = runner.invoke(args=["demo-logins"]).output
    assert DEMO_PASSWORD in output
    for expected in ("county_office", "town_zhuangli", "officer_psbc", "applicant", "cadre"):
        assert expected in output
    assert "more village cadres" in output

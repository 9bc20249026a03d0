"""Each role's landing page: a cadre sees how far her village's files have got."""

from agri_credit.templating import thousands
from tests import factories as f


def test_cadre_dashboard_counts_her_village_and_names_missing_fields(as_cadre, users, cipher):
    f.make_household(cipher, users["cadre"], phone="")
    f.make_household(cipher, users["cadre"])
    f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B)
    page = as_cadre.get("/dashboard").get_data(as_text=True)
    assert '<div class="stat-number">2</div>' in page
    assert "联系电话" in page and "村评议" in page


def test_missing_field_link_lists_exactly_those_households(as_cadre, users, cipher):
    f.make_household(cipher, users["cadre"], head_name="杨无电话", phone="")
    f.make_household(cipher, users["cadre"], head_name="杨有电话")
    page = as_cadre.get("/households/?missing=联系电话").get_data(as_text=True)
    assert "杨无电话" in page and "杨有电话" not in page


def test_county_dashboard_breaks_down_by_village(as_office, users, cipher):
    f.make_household(cipher, users["cadre"])
    f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_C)
    page = as_office.get("/dashboard").get_data(as_text=True)
    assert "各村建档情况" in page and "杨家村" in page and "河湾村" in page


def test_bank_officer_gets_a_dashboard_without_household_figures(client, users, cipher):
    from tests.conftest import login

    f.make_household(cipher, users["cadre"])
    login(client, "officer")
    page = client.get("/dashboard", follow_redirects=True).get_data(as_text=True)
    assert "已建档农户" not in page and "银行信贷员" in page
    assert "待对接需求" in page  # an officer's dashboard is his queue


def test_counts_print_with_thousands_separators():
    assert thousands(30000) == "30,000"
    assert thousands(7) == "7"
    assert thousands(None) == "—"

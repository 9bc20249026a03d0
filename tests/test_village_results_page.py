"""A village's results page answers a page at a time, with a search and a grade filter,
whatever the size of the village; the household list says which year's grade it shows and
puts a proposed grade under 公示 beside it."""

import re
from datetime import timedelta

import pytest

from models import clock, db
from tests import factories as f
from tests import publication_factories as pf


@pytest.fixture
def big_village(users, cipher):
    """Village A with 60 rated households (55 AAA down to 5 unrated), one run."""
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run, (f.VILLAGE_A,))
    households = [
        f.make_household(cipher, users["cadre"], head_name=f"张{i:02d}号") for i in range(58)
    ]
    households.append(f.make_household(cipher, users["cadre"], head_name="王小明"))
    households.append(f.make_household(cipher, users["cadre"], head_name="王大明"))
    for n, household in enumerate(households):
        grade = "AAA" if n < 30 else "AA" if n < 50 else "A" if n < 55 else None
        pf.make_result(run, household, 99 - n, grade)
    db.session.commit()
    return {"run": run, "tree": tree, "households": households}


def _url(v, query=""):
    return f"/ratings/publication/{v['run'].id}/{f.VILLAGE_A}{query}"


def _names(page: str) -> set[str]:
    return set(re.findall(r">(张\d\d号|王.明)</a>", page))


def test_the_results_come_a_page_at_a_time_best_first(as_cadre, big_village):
    first = as_cadre.get(_url(big_village)).get_data(as_text=True)
    assert "共 60 条" in first and "第 1/2 页" in first
    assert len(_names(first)) == 50 and "张00号" in _names(first)
    second = as_cadre.get(_url(big_village, "?page=2")).get_data(as_text=True)
    assert _names(second) == {f"张{i:02d}号" for i in range(50, 58)} | {"王小明", "王大明"}


def test_search_by_name_and_filter_by_grade(as_cadre, big_village):
    found = as_cadre.get(_url(big_village, "?q=王")).get_data(as_text=True)
    assert _names(found) == {"王小明", "王大明"} and "共 2 条" in found
    aa = as_cadre.get(_url(big_village, "?grade=AA")).get_data(as_text=True)
    assert "共 20 条" in aa and "张30号" in _names(aa) and "张00号" not in _names(aa)
    unrated = as_cadre.get(_url(big_village, "?grade=none")).get_data(as_text=True)
    assert _names(unrated) == {"张55号", "张56号", "张57号", "王小明", "王大明"}
    assert "AA（20）" in aa  # the grade filter counts its subjects


def test_search_by_the_last_digits_of_an_id_number(as_cadre, big_village):
    wang = big_village["households"][-2]
    page = as_cadre.get(_url(big_village, f"?q={wang.head_id_masked[-4:]}")).get_data(as_text=True)
    assert "王小明" in _names(page)


def test_a_search_matching_nothing_says_so(as_cadre, big_village):
    page = as_cadre.get(_url(big_village, "?q=没有这个人")).get_data(as_text=True)
    assert "没有符合条件的评定结果" in page and "共 0 条" in page


def test_household_list_names_the_year_of_the_grade_and_the_proposed_one_under_publicity(
    as_cadre, users, cipher
):
    household = f.make_household(cipher, users["cadre"], head_name="杨建国")
    household.credit_grade, household.credit_grade_year = "AA", 2024
    run = pf.make_run(users["office"], year=2025)
    tree = pf.make_tree(run, (f.VILLAGE_A,))
    pf.make_result(run, household, 86, "AAA")
    db.session.commit()
    row = _household_row(as_cadre.get("/households/").get_data(as_text=True))
    assert "AA" in row and "2024年" in row and "公示中" not in row  # not published yet

    pf.publish(tree[f.VILLAGE_A], users["cadre"], clock.today() - timedelta(days=1))
    db.session.commit()
    row = _household_row(as_cadre.get("/households/").get_data(as_text=True))
    assert "2024年" in row and "公示中 AAA" in row and "2025年" in row


def _household_row(page: str) -> str:
    return page.split("杨建国</a>")[1].split("</tr>")[0]

"""Every count says what it counts: households (信用户 are households) apart from entities,
on the publication list, the printed notice and the statistics cards."""

import re

import pytest

from models import clock, db
from tests import factories as f
from tests import publication_factories as pf
from tests.conftest import login


@pytest.fixture
def village(users, cipher):
    """Village A: a credit household, one below the line and a graded co-op."""
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run)
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国")
    wang = f.make_household(cipher, users["cadre"], head_name="王小明")
    coop = f.make_entity(cipher, users["cadre"], name="杨家村柿子专业合作社")
    pf.make_result(run, yang, 86.5, "AAA")
    pf.make_result(run, wang, 48, None)
    pf.make_result(run, coop, 72, "AA")
    db.session.commit()
    return run, tree


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_publication_list_counts_households_and_entities_apart(client, users, village):
    login(client, "cadre_a")
    page = client.get("/ratings/publication/").get_data(as_text=True)
    assert "信用户 / 参评农户" in page and "经营主体：评定等级 / 参评" in page
    text = _text(page)
    assert "1 / 2 户" in text and "1 / 1 个" in text
    assert "2 / 3" not in text  # households and the co-op are never added up


def test_the_notice_states_its_counts_with_what_they_count(client, users, village):
    run, tree = village
    pf.publish(tree[f.VILLAGE_A], users["cadre"], clock.today())
    db.session.commit()
    login(client, "cadre_a")
    page = client.get(f"/ratings/publication/{run.id}/{f.VILLAGE_A}/notice").get_data(as_text=True)
    assert "本村参评农户 2 户，拟评为信用户 1 户" in page
    assert "参评新型农业经营主体 1 个，拟评定信用等级 1 个" in page


def test_the_county_card_puts_entities_on_a_line_of_their_own(client, users, village):
    run, tree = village
    tree[f.COUNTY].reasons = ["信用村占比 0.0%，低于 60%"]
    db.session.commit()
    login(client, "office_county")
    page = client.get(f"/ratings/dashboard?run={run.id}").get_data(as_text=True)
    assert "（只计农户，不含经营主体）" in page
    card = re.search(
        r'<div class="small text-muted">信用村占比 0.0%，低于 60%</div>\s*'
        r'<div class="[^"]*entity-counts">([^<]*)</div>',
        page,
    )
    assert card and card.group(1) == "新型农业经营主体：1 / 1 个评定了信用等级"

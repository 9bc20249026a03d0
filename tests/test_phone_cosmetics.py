"""What a phone user meets: a failed save lists its errors at the top with links to the
fields; masked member IDs get a whole line; utility bills show as a chart and one line a
month; late months say what they are; phone numbers can be tapped to call."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from models import Household, Source, clock, db
from tests import departmental_factories as d
from tests import factories as f
from tests import publication_factories as pf


def test_a_failed_save_lists_every_error_with_a_link_to_its_field(as_cadre, users):
    data = f.form_payload(f.household_data(head_name="", phone="123"))
    data.update(
        {"members-0-name": "杨小红", "members-0-id_number": "123", "members-0-relation": "女儿"}
    )
    page = as_cadre.post("/households/new", data=data).get_data(as_text=True)
    summary = page.split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    assert "data-scroll-here" in page  # app.js scrolls the summary into view
    assert 'href="#head_name"' in summary and "户主姓名" in summary
    assert 'href="#phone"' in summary
    assert 'href="#members-0-id_number"' in summary and "家庭成员第1行 · 身份证号" in summary
    assert 'id="members-0-id_number"' in page  # the link has somewhere to go
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0


def test_a_valid_page_has_no_error_summary(as_cadre):
    assert 'id="form-errors"' not in as_cadre.get("/households/new").get_data(as_text=True)


def test_a_members_masked_id_gets_a_whole_line_on_a_phone(as_cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    page = as_cadre.get(f"/households/{household.id}/edit").get_data(as_text=True)
    member_id = re.search(r'<div class="([^"]*)">\s*<label[^>]*for="members-0-id_number"', page)
    assert member_id and "col-12" in member_id.group(1).split()


def test_utility_bills_on_a_phone_are_a_chart_and_one_line_a_month(as_cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    key = d.key_for_household(household)
    batch = d.make_batch(Source.WATER, users["office"])
    for month in range(1, 13):
        d.utility(
            key, batch, 2025, month, 5, utility=Source.WATER, days_late=10 if month < 3 else 0
        )
    db.session.commit()
    page = as_cadre.get(f"/households/{household.id}").get_data(as_text=True)
    card = page.split('id="departmental-water"', 1)[1].split('id="departmental-', 1)[0]
    assert "data-chart=" in card
    assert "2 个月的账单逾期缴纳" in card  # not "逾期缴费 2 个月", read as two months overdue
    table = card.split("<table", 1)[1]
    assert "table-responsive-stack" not in table.split(">", 1)[0]  # rows, not a card per row
    header = table.split("</thead>", 1)[0]
    assert header.count('class="d-none d-md-table-cell"') == 3  # 户号, 金额, 缴费日期 hidden


def test_phone_numbers_can_be_tapped_to_call(as_cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"], phone="13900001111")
    page = as_cadre.get(f"/households/{household.id}").get_data(as_text=True)
    assert 'href="tel:13900001111"' in page
    assert 'href="tel:13900001111"' in as_cadre.get("/households/").get_data(as_text=True)


def test_the_notice_keeps_names_whole_on_a_phone(as_cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"], head_name="欧阳建国")
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run, (f.VILLAGE_A,))
    pf.make_result(run, household, 90, "AAA")
    pf.publish(tree[f.VILLAGE_A], users["cadre"], clock.today() - timedelta(days=1))
    db.session.commit()
    page = as_cadre.get(f"/ratings/publication/{run.id}/{f.VILLAGE_A}/notice").get_data(
        as_text=True
    )
    assert '<td class="nowrap">欧阳建国</td>' in page
    assert ".notice .nowrap { white-space: nowrap; }" in page

"""Hostile input in URLs and query strings gets a 404 or a sensible default, never a 500:
IDs past any integer column, page numbers that are not numbers, CR/LF in `next`."""

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from agri_credit.url_arguments import BoundedIntConverter
from models import db
from tests import factories as f
from tests.conftest import login
from tests.rating_factories import rule_set_row

HUGE = 2**63  # one past the largest signed 64-bit integer: SQLite overflowed on it
ROLES = ["cadre", "township", "office", "officer", "applicant"]


def int_routes(app) -> list[tuple[str, str]]:
    """(method, URL) for every route with an integer in its path, each integer set to HUGE
    and any other part to a plausible value (a village code, a subject kind)."""
    routes = []
    for rule in app.url_map.iter_rules():
        ints = [
            name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)
        ]
        if not ints:
            continue
        values = {name: HUGE if name in ints else f.VILLAGE_A for name in rule.arguments}
        if "kind" in values:
            values["kind"] = "household"
        for name, conv in rule._converters.items():
            if hasattr(conv, "items"):  # an `any(...)` segment: one of its own words
                values[name] = next(iter(conv.items))
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        routes.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return routes


def test_every_int_route_uses_the_bounded_converter(app):
    plain = [
        rule.rule
        for rule in app.url_map.iter_rules()
        for conv in rule._converters.values()
        if isinstance(conv, IntegerConverter) and not isinstance(conv, BoundedIntConverter)
    ]
    assert plain == []
    assert len(int_routes(app)) > 40


@pytest.mark.parametrize("role", ROLES)
def test_an_id_of_two_to_the_63_is_a_404_on_every_route_for_every_role(client, users, role):
    login(client, users[role].username)
    routes = int_routes(client.application)
    assert len(routes) > 40
    for method, url in routes:
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url, response.status_code)
        # Pages answer with the error page, the bank API with JSON carrying the same message.
        said = response.get_json()["message"] if response.is_json else response.get_data(True)
        assert "页面不存在" in said, url


def test_the_largest_real_id_still_reaches_the_view(as_cadre):
    # 2**31 - 1 matches the route; the view answers its own 404 for a household that is not there.
    response = as_cadre.get(f"/households/{2**31 - 1}")
    assert response.status_code == 404


def test_an_id_of_two_to_the_63_in_the_query_string_is_a_404(as_office, users):
    rule_set = rule_set_row(users["office"])
    db.session.commit()
    for url in (
        f"/ratings/dashboard?run={HUGE}",
        f"/ratings/rule-sets/{rule_set.id}/diff?against={HUGE}",
    ):
        response = as_office.get(url)
        assert response.status_code == 404, url
        assert "页面不存在" in response.get_data(as_text=True)
    assert as_office.get("/ratings/dashboard?run=abc").status_code == 200


PAGED_LISTS = [
    "households.index",
    "entities.index",
    "enterprises.index",
    "departmental.index",
    "rating_cycle.run_list",
    "rating_cycle.publication_index",
    "rating_cycle.objection_list",
    "rating_cycle.repair_list",
]


@pytest.mark.parametrize("endpoint", PAGED_LISTS)
def test_a_page_past_any_integer_is_a_404_and_a_word_is_page_one(as_office, endpoint):
    with as_office.application.test_request_context():
        url = url_for(endpoint)
    huge = as_office.get(f"{url}?page={HUGE}")
    assert huge.status_code == 404 and "页面不存在" in huge.get_data(as_text=True)
    for junk in ("abc", "-3", "0", "1e3", "²"):
        assert as_office.get(f"{url}?page={junk}").status_code == 200, (url, junk)


def test_page_abc_shows_the_first_page_of_households(as_cadre, users, cipher):
    f.make_household(cipher, users["cadre"], head_name="杨第一页")
    db.session.commit()
    page = as_cadre.get("/households/?page=abc")
    assert page.status_code == 200 and "杨第一页" in page.get_data(as_text=True)


@pytest.mark.parametrize("evil", ["/households/\r\nSet-Cookie: x=1", "/households/\nX: y"])
def test_cr_lf_in_login_next_is_ignored_and_the_login_lands_on_the_dashboard(client, users, evil):
    response = client.post(
        "/login", query_string={"next": evil}, data={"username": "cadre_a", "password": f.PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_backslash_next_cannot_leave_the_site(client, users):
    response = client.post(
        "/login",
        query_string={"next": "/\\evil.example/"},
        data={"username": "cadre_a", "password": f.PASSWORD},
    )
    assert response.headers["Location"] == "/dashboard"


def test_cr_lf_in_the_language_switch_next_is_ignored(client, users):
    response = client.post("/language/en", data={"next": "/login\r\nSet-Cookie: x=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert "Log in" in client.get("/login").get_data(as_text=True)

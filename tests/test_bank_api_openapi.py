"""The bank API's OpenAPI 3.1 document is served at /api/v1/openapi.json, describes exactly
the /api/v1 routes of the app (paths, methods, scopes), and the app answers every request
generated from it (schemathesis, in-process over WSGI) without a server error and with a
response that matches the documented schema."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from loans.api.openapi import openapi_document
from models import clock
from tests.bank_api_factories import bearer, make_api_world

MAX_EXAMPLES = 8  # per operation: the whole fuzz stays under half a minute on a busy machine


def documented_operations() -> set[tuple[str, str, str | None]]:
    return {
        (path, method.upper(), operation.get("x-scope"))
        for path, item in openapi_document()["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }


def routed_operations(app) -> set[tuple[str, str, str | None]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        scope = getattr(app.view_functions[rule.endpoint], "api_scope", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method, scope))
    return found


def test_every_api_route_is_documented_with_its_scope_and_nothing_else(app):
    assert routed_operations(app) == documented_operations()


def test_the_document_is_served_as_openapi_3_1(client, app):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.get_json()["openapi"] == "3.1.0"
    assert answer.get_json()["paths"].keys() == openapi_document()["paths"].keys()


@pytest.fixture
def world(users, cipher):
    return make_api_world(users, cipher)


def test_the_app_answers_every_generated_request_as_documented(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = bearer(world.token_a)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert labels >= {f"{m} {p}" for p, m, scope in documented_operations() if scope}
    for operation in operations:

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case):
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        call()


def test_the_successful_answers_of_a_whole_lending_flow_match_the_document(app, world):
    """Random IDs mostly meet 404s; this walks the real objects so every 200 and 201 body is
    checked against its schema too."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = bearer(world.token_a)
    need = {"need_id": world.need.id}
    checks = [not_a_server_error, response_schema_conformance]

    def call(path, method, status, **case):
        response = (
            schema[path][method].Case(**case).call_and_validate(headers=headers, checks=checks)
        )
        assert response.status_code == status, response.text
        return response.json()

    call("/api/v1/products", "GET", 200)
    call(
        "/api/v1/products/{product_id}",
        "GET",
        200,
        path_parameters={"product_id": world.product_a.id},
    )
    call(
        "/api/v1/products/{product_id}",
        "PATCH",
        200,
        path_parameters={"product_id": world.draft_a.id},
        body={"version": 1, "name": "春耕贷"},
    )
    assert call("/api/v1/needs", "GET", 200)["total"] == 1
    call("/api/v1/needs/{need_id}", "GET", 200, path_parameters=need)
    call("/api/v1/needs/{need_id}/portrait", "GET", 200, path_parameters=need)
    call("/api/v1/needs/{need_id}/claim", "POST", 201, path_parameters=need, body={})
    decision = call(
        "/api/v1/needs/{need_id}/decisions",
        "POST",
        201,
        path_parameters=need,
        body={"outcome": "approved", "amount": "30000", "rate": "4.10", "term_months": 12},
    )
    call(
        "/api/v1/decisions/{decision_id}/repayments",
        "POST",
        201,
        path_parameters={"decision_id": decision["id"]},
        body={"kind": "disbursed", "occurred_on": clock.today().isoformat(), "amount": "30000"},
    )

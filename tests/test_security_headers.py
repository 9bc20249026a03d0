"""Browser-side hardening: a Content-Security-Policy that allows no inline script, no
framing, no MIME sniffing, a same-origin referrer, nothing of a signed-in user's cached,
and SameSite cookies (Secure in production)."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from flask import current_app
from openpyxl import load_workbook

from agri_credit.config import PROJECT_ROOT, TestConfig
from app import create_app
from models import db
from tests import factories as f
from village_forms.household_sheet import HOUSEHOLD_COLUMNS, build_template


def assert_hardened(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_signed_in_page_is_hardened_and_never_cached(as_cadre):
    response = as_cadre.get("/households/")
    assert response.status_code == 200
    assert_hardened(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_download_with_personal_data_is_never_cached(as_cadre):
    with current_app.test_request_context():
        sheet = load_workbook(BytesIO(build_template("杨家村", 100)))
    row = {"head_name": "杨建国", "head_id_number": "610528197503140010", "phone": "12345"}
    sheet["农户"].append([row.get(c.key) for c in HOUSEHOLD_COLUMNS])
    buffer = BytesIO()
    sheet.save(buffer)
    upload = as_cadre.post(
        "/imports/households",
        data={"file": (BytesIO(buffer.getvalue()), "农户登记.xlsx")},
        content_type="multipart/form-data",
    )
    download = as_cadre.get(upload.headers["Location"] + "/marked.xlsx")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    assert_hardened(download)
    assert download.headers["Cache-Control"] == "no-store"


def test_the_login_page_is_hardened_and_static_files_stay_cacheable(client):
    assert_hardened(client.get("/login"))
    script = client.get("/static/app.js")
    assert script.status_code == 200
    assert "no-store" not in script.headers.get("Cache-Control", "")
    assert script.headers["X-Content-Type-Options"] == "nosniff"


def test_the_session_cookie_is_samesite_lax_and_http_only(client, users):
    response = client.post("/login", data={"username": "cadre_a", "password": f.PASSWORD})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Secure" not in cookie  # plain HTTP in development and tests


@pytest.mark.real_commits  # a second app logs in on its own connection
def test_production_cookies_are_secure(app, users):
    class Production(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SECURE_COOKIES = True

    production = create_app(Production)
    try:
        response = production.test_client().post(
            "/login", data={"username": "cadre_a", "password": f.PASSWORD, "remember": "y"}
        )
    finally:
        with production.app_context():
            db.engine.dispose()
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session=", "remember_token="):
        cookie = next(h for h in cookies if h.startswith(name))
        assert "Secure" in cookie and "SameSite=Lax" in cookie, cookie


# ---- templates keep to the policy -----------------------------------------------------------

TEMPLATE_DIRS = [PROJECT_ROOT / "agri_credit", PROJECT_ROOT / "loans"]
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
HANDLER = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.S)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def templates() -> list[Path]:
    found = [p for d in TEMPLATE_DIRS if d.exists() for p in d.rglob("templates/**/*.html")]
    assert len(found) > 30
    return sorted(found)


def test_no_template_has_inline_script_or_event_handlers():
    offences = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        for attributes, body in SCRIPT.findall(text):
            data_block = re.search(r"type\s*=\s*[\"']application/json[\"']", attributes)
            if body.strip() and not data_block:
                offences.append(f"{path.name}: inline <script>")
        offences += [f"{path.name}: {m.group(0)[-30:]!r}" for m in HANDLER.finditer(text)]
        offences += [f"{path.name}: javascript: URL" for _ in JAVASCRIPT_URL.finditer(text)]
    assert offences == []


def test_the_scan_would_catch_what_it_looks_for():
    assert SCRIPT.search("<script>alert(1)</script>").group(2).strip()
    assert HANDLER.search('<button class="b" onclick="x()">')
    assert HANDLER.search("<form\n  method=post onsubmit='return confirm(1)'>")
    assert not HANDLER.search('<div data-confirm="on=1">')
    assert JAVASCRIPT_URL.search('<a href="javascript:void(0)">')

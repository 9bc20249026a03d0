"""Logging in and out, safe redirects, CSRF, language choice."""

from flask_migrate import upgrade

from agri_credit.config import TestConfig
from app import create_app
from tests import factories as f


def test_login_with_the_right_password_lands_on_the_dashboard(client, users):
    response = client.post("/login", data={"username": "cadre_a", "password": f.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert "杨家村" in client.get("/dashboard").get_data(as_text=True)


def test_wrong_password_says_so_in_chinese(client, users):
    page = client.post("/login", data={"username": "cadre_a", "password": "nope"})
    assert "用户名或密码错误" in page.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_inactive_user_cannot_log_in(client, users, app):
    from models import db

    users["cadre"].active = False
    db.session.commit()
    page = client.post("/login", data={"username": "cadre_a", "password": f.PASSWORD})
    assert "已停用" in page.get_data(as_text=True)


def test_next_is_followed_only_within_the_site(client, users):
    ok = client.post(
        "/login?next=/households/", data={"username": "cadre_a", "password": f.PASSWORD}
    )
    assert ok.headers["Location"] == "/households/"
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(
            f"/login?next={evil}", data={"username": "cadre_a", "password": f.PASSWORD}
        )
        assert "evil" not in response.headers["Location"]
        assert "javascript" not in response.headers["Location"]
        client.post("/logout")


def test_passwords_are_stored_hashed(users):
    assert f.PASSWORD not in users["cadre"].password_hash
    assert users["cadre"].check_password(f.PASSWORD)


def test_forms_need_a_csrf_token_outside_tests(migrated_app, tmp_path):
    class Strict(TestConfig):
        WTF_CSRF_ENABLED = True
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/csrf.db"

    app = create_app(Strict)
    with app.app_context():
        upgrade()
    response = app.test_client().post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_pages_are_chinese_by_default_and_english_on_request(client, users):
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.post("/language/en", data={"next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_json_clients_get_401_not_a_redirect(client):
    response = client.get("/households/", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_the_login_redirect_carries_the_page_asked_for_without_a_stray_question_mark(client):
    bare = client.get("/households/")
    assert bare.status_code == 302
    assert bare.headers["Location"].endswith("/login?next=/households/")
    with_query = client.get("/households/?q=王")
    assert "next=/households/?q%3D" in with_query.headers["Location"]

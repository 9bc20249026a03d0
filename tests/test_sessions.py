"""Sessions end when they should: logout, a password change or disabling an account ends
every session and remember-me cookie of that user at once; remember-me lasts 14 days."""

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from flask import g, url_for

from models import AuditEvent, User, db
from tests import factories as f
from tests.conftest import login


def fresh_get(client, url: str):
    """A GET as its own request. The test holds one app context for all its requests, so
    Flask-Login's per-request user (kept in `g`) would otherwise carry over between clients."""
    g.pop("_login_user", None)
    return client.get(url)


def signed_in(client) -> bool:
    return fresh_get(client, "/dashboard").status_code == 200


def copy_cookie(source, target, name: str) -> None:
    cookie = source.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    target.set_cookie(name, cookie.value)


def remember_login(client, username: str = "cadre_a"):
    response = client.post(
        "/login", data={"username": username, "password": f.PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    return response


def test_a_session_cookie_copied_before_logout_does_not_work_after_it(app, client, users):
    login(client, "cadre_a")
    thief = app.test_client()
    copy_cookie(client, thief, "session")
    assert signed_in(thief)
    client.post("/logout")
    assert not signed_in(client)
    response = fresh_get(thief, "/households/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_remember_me_cookie_copied_before_logout_does_not_work_after_it(app, client, users):
    remember_login(client)
    thief = app.test_client()
    copy_cookie(client, thief, "remember_token")
    assert signed_in(thief)  # the remember-me cookie alone signs in, as it should
    client.post("/logout")
    fresh_thief = app.test_client()
    copy_cookie(thief, fresh_thief, "remember_token")
    assert not signed_in(fresh_thief)
    assert not signed_in(thief)


def test_logout_on_one_device_ends_the_sessions_on_the_others(app, users):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "cadre_a")
    login(laptop, "cadre_a")
    phone.post("/logout")
    assert not signed_in(laptop)
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "auth.logout"))
    assert event.one().user_id == users["cadre"].id


def test_remember_me_lasts_fourteen_days_at_most(app, client, users):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    response = remember_login(client)
    header = next(h for h in response.headers.getlist("Set-Cookie") if "remember_token=" in h)
    expires = parsedate_to_datetime(header.split("Expires=")[1].split(";")[0])
    assert expires <= datetime.now(UTC) + timedelta(days=14, minutes=1)
    assert "SameSite=Lax" in header and "HttpOnly" in header


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, client, users):
    other_device = app.test_client()
    remember_login(other_device)
    remembered = app.test_client()
    copy_cookie(other_device, remembered, "remember_token")
    login(client, "cadre_a")
    page = client.get("/account/password")
    assert page.status_code == 200 and "修改密码" in page.get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={
            "current_password": f.PASSWORD,
            "new_password": "新的密码 2026",
            "confirm_password": "新的密码 2026",
        },
        follow_redirects=True,
    )
    assert "密码已修改" in response.get_data(as_text=True)
    assert signed_in(client)
    assert not signed_in(other_device)
    assert not signed_in(remembered)
    relogin = app.test_client().post(
        "/login", data={"username": "cadre_a", "password": "新的密码 2026"}
    )
    assert relogin.status_code == 302
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "auth.password_changed" in actions


def test_changing_the_password_needs_the_current_one_and_a_matching_repeat(client, users):
    login(client, "cadre_a")
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "guess",
            "new_password": "abcdefgh1",
            "confirm_password": "abcdefgh1",
        },
    )
    assert wrong.status_code == 200 and "当前密码不正确" in wrong.get_data(as_text=True)
    mismatch = client.post(
        "/account/password",
        data={
            "current_password": f.PASSWORD,
            "new_password": "abcdefgh1",
            "confirm_password": "abcdefgh2",
        },
    )
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    short = client.post(
        "/account/password",
        data={"current_password": f.PASSWORD, "new_password": "abc", "confirm_password": "abc"},
    )
    assert "8 至 128" in short.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, users["cadre"].id).check_password(f.PASSWORD)


def test_the_password_page_needs_a_login_and_a_csrf_token(app, client, users):
    assert client.get("/account/password").status_code == 302
    login(client, "cadre_a")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(
            "/account/password",
            data={
                "current_password": f.PASSWORD,
                "new_password": "abcdefgh1",
                "confirm_password": "abcdefgh1",
            },
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True)


def test_every_role_finds_the_password_page_in_the_menu(app, client, users):
    for user in users.values():
        login(client, user.username)
        with app.test_request_context():
            link = url_for("auth.password")
        home = client.get("/dashboard", follow_redirects=True)  # an officer's is his queue
        assert link in home.get_data(as_text=True), user.username
        client.post("/logout")


def test_disabling_a_user_ends_her_sessions_at_once(app, client, users, runner):
    remember_login(client)
    remembered = app.test_client()
    copy_cookie(client, remembered, "remember_token")
    result = runner.invoke(args=["disable-user", "cadre_a"])
    assert result.exit_code == 0, result.output
    assert not signed_in(client)
    assert not signed_in(remembered)
    page = client.post("/login", data={"username": "cadre_a", "password": f.PASSWORD})
    assert "该账号已停用" in page.get_data(as_text=True)
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "auth.user_disabled" in actions


def test_an_account_disabled_in_the_database_loses_its_session_too(client, users):
    login(client, "cadre_a")
    users["cadre"].active = False
    db.session.commit()
    assert not signed_in(client)

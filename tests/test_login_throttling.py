"""Guessing passwords: throttled per address and per account, an account locks after
repeated failures, every failure and lock is journalled, and an unknown name takes as long
to refuse as a known one."""

import os
import time
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from redis import Redis

from agri_credit.config import TestConfig
from agri_credit.extensions import limiter
from app import create_app
from models import AuditEvent, User, db, utcnow
from tests import factories as f
from tests.conftest import login

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def attempt(client, username: str, password: str = "wrong password", address: str = "10.0.0.1"):
    return client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def actions() -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def lockout_after_three(app, monkeypatch):
    # The rule is 10 failures (checked below); 3 keeps the test quick, each try hashes.
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_FAILURES", 3)


def test_the_defaults_are_ten_failures_and_fifteen_minutes(app):
    assert app.config["LOGIN_LOCKOUT_FAILURES"] == 10
    assert app.config["LOGIN_LOCKOUT_MINUTES"] == 15


def test_an_account_locks_after_consecutive_failures_even_for_the_right_password(
    client, users, lockout_after_three
):
    for _ in range(2):
        assert "用户名或密码错误" in attempt(client, "cadre_a").get_data(as_text=True)
    third = attempt(client, "cadre_a").get_data(as_text=True)
    assert "账号已锁定，请 15 分钟后再试" in third
    right = attempt(client, "cadre_a", f.PASSWORD)
    assert right.status_code == 200 and "账号已锁定" in right.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    assert actions() == [
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_failed",
        "auth.account_locked",
        "auth.login_locked",
    ]
    failure = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
    ).first()
    assert failure.subject_id == users["cadre"].id and failure.remote_addr == "10.0.0.1"


def test_the_lock_ends_after_its_time(client, users, lockout_after_three):
    for _ in range(3):
        attempt(client, "cadre_a")
    user = db.session.get(User, users["cadre"].id)
    user.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes have passed
    db.session.commit()
    assert attempt(client, "cadre_a", f.PASSWORD).status_code == 302


def test_a_successful_login_clears_the_failures(app, client, users, lockout_after_three):
    attempt(client, "cadre_a")
    attempt(client, "cadre_a")
    assert attempt(client, "cadre_a", f.PASSWORD).status_code == 302
    client.post("/logout")
    attempt(client, "cadre_a")
    attempt(client, "cadre_a")
    assert attempt(client, "cadre_a", f.PASSWORD).status_code == 302


def test_one_address_guessing_many_names_is_throttled(client, users, monkeypatch):
    monkeypatch.setitem(client.application.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per minute")
    for name in ("a1", "a2", "a3"):
        assert attempt(client, name).status_code == 200
    refused = attempt(client, "a4")
    assert refused.status_code == 429
    assert "尝试过于频繁" in refused.get_data(as_text=True)
    # Another address is not affected.
    assert attempt(client, "a5", address="10.0.0.2").status_code == 200


def test_one_account_guessed_from_many_addresses_is_throttled(client, users, monkeypatch):
    monkeypatch.setitem(client.application.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per minute")
    assert attempt(client, "cadre_b", address="10.0.1.1").status_code == 200
    assert attempt(client, "cadre_b", address="10.0.1.2").status_code == 200
    refused = attempt(client, "cadre_b", f.PASSWORD, address="10.0.1.3")
    assert refused.status_code == 429 and "尝试过于频繁" in refused.get_data(as_text=True)
    assert attempt(client, "cadre_a", f.PASSWORD, address="10.0.1.3").status_code == 302


def test_successful_logins_do_not_count_against_the_limits(client, users, monkeypatch):
    monkeypatch.setitem(client.application.config, "LOGIN_LIMIT_PER_ADDRESS", "2 per minute")
    monkeypatch.setitem(client.application.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per minute")
    for _ in range(4):
        assert attempt(client, "cadre_a", f.PASSWORD).status_code == 302
        client.post("/logout")


def test_an_unknown_name_is_refused_as_slowly_as_a_wrong_password(client, users):
    def fastest(username: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            page = attempt(client, username)
            times.append(time.perf_counter() - start)
            assert "用户名或密码错误" in page.get_data(as_text=True)
        return min(times)

    known, unknown = fastest("cadre_a"), fastest("nobody_here")
    # Both hash a password; without the dummy hash an unknown name answered ~100x faster.
    assert unknown > known * 0.5, (known, unknown)
    failure = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.subject_id.is_(None))
    ).first()
    assert failure.action == "auth.login_failed" and failure.changes == {"username": "nobody_here"}


def test_the_counts_live_in_redis_when_redis_is_configured(tmp_path):
    redis = Redis.from_url(TEST_REDIS_URL)
    try:
        redis.ping()
    except Exception:  # noqa: BLE001
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not reachable")
    redis.flushdb()

    class WithRedis(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/redis.db"
        REDIS_URL = TEST_REDIS_URL
        LOGIN_LIMIT_PER_ADDRESS = "1 per minute"

    app = create_app(WithRedis)
    try:
        with app.app_context():
            upgrade()
        client = app.test_client()
        assert attempt(client, "nobody").status_code == 200
        assert attempt(client, "nobody").status_code == 429
        assert any(b"10.0.0.1" in key for key in redis.keys("LIMITS*"))
    finally:
        redis.flushdb()
        # The limiter is one extension object: bind it back to in-memory counting.
        create_app(TestConfig)
        limiter.reset()


def test_guessing_the_current_password_on_the_password_page_is_throttled(
    client, users, monkeypatch
):
    login(client, "cadre_a")
    monkeypatch.setitem(client.application.config, "LOGIN_LIMIT_PER_ADDRESS", "2 per minute")
    guess = {
        "current_password": "guess",
        "new_password": "abcdefgh1",
        "confirm_password": "abcdefgh1",
    }
    for _ in range(2):
        assert "当前密码不正确" in client.post("/account/password", data=guess).get_data(
            as_text=True
        )
    refused = client.post("/account/password", data=guess)
    assert refused.status_code == 429 and "尝试过于频繁" in refused.get_data(as_text=True)

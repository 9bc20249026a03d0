"""Configuration defaults. Secrets never live here: they come from the instance folder
(`instance/settings.py`, written by `flask init-instance`) or from AGRI_CREDIT_* variables."""

from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DefaultConfig:
    SECRET_KEY: str | None = None
    ID_ENCRYPTION_KEY: str | None = None
    # None means the embedded SQLite database under the instance folder.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # bytes; larger uploads get a clear 413 page
    XLSX_MAX_ROWS = 20_000
    PAGE_SIZE = 20
    ASSET_ROOT = PROJECT_ROOT / "node_modules"
    REDIS_URL: str | None = None
    DEMO_SEED = 20261123
    # Rating cycle (DOMAIN.md): 公示 days, days to answer an objection, minimum months a
    # negative public record shows before credit repair by severity, working days to decide
    # a repair, largest evidence file.
    PUBLICITY_DAYS = 7
    OBJECTION_DAYS = 20
    REPAIR_MIN_MONTHS = {"minor": 0, "general": 3, "serious": 12}
    REPAIR_DECISION_WORKING_DAYS = 10
    REPAIR_EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
    # Sign-in (issue 10): remember-me lasts two weeks at most; both cookies are SameSite=Lax
    # and, with SECURE_COOKIES (production behind HTTPS), sent over HTTPS only.
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SAMESITE = "Lax"
    SECURE_COOKIES = False
    # Scripts only from our own files (no inline code or on*= handlers: static/app.js reads
    # data- attributes instead). Inline styles stay allowed: ECharts and templates use them.
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    # Brute force: wrong passwords allowed per address and per account name (Flask-Limiter
    # notation; only failed attempts count), and the lock after consecutive failures.
    LOGIN_LIMIT_PER_ADDRESS = "30 per minute"
    LOGIN_LIMIT_PER_ACCOUNT = "10 per minute"
    LOGIN_LOCKOUT_FAILURES = 10
    LOGIN_LOCKOUT_MINUTES = 15


class TestConfig(DefaultConfig):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    # A fixed key keeps test data decryptable across app instances in one run.
    ID_ENCRYPTION_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    WTF_CSRF_ENABLED = False

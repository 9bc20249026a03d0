"""Extensions, created unbound and bound to an app in `app.create_app`."""

from flask import current_app, has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from sqlalchemy import event

from models import IdCipher, db

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
migrate = Migrate(render_as_batch=True)
# No default limits: only the views that name a limit (login) are throttled. If Redis goes
# away, counting goes on in memory rather than failing the login.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True)


def select_locale() -> str:
    if not has_request_context():  # CLI, jobs and benchmarks speak the default locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_id_cipher(app) -> None:
    key = app.config.get("ID_ENCRYPTION_KEY")
    app.extensions["id_cipher"] = IdCipher(key) if key else None


def id_cipher() -> IdCipher:
    cipher = current_app.extensions.get("id_cipher")
    if cipher is None:
        raise RuntimeError(
            "ID_ENCRYPTION_KEY is not configured: run `flask init-instance` "
            "or set AGRI_CREDIT_ID_ENCRYPTION_KEY"
        )
    return cipher


def init_statement_timeout(app) -> None:
    """On PostgreSQL a statement run for a web request is cancelled after
    WEB_STATEMENT_TIMEOUT_MS, so it never runs on long after its client gave up; CLI commands,
    workers and background imports (no request) run without one. Set per checkout, only when
    it changes, since one pool serves both in a web process with a background import."""
    timeout = int(app.config.get("WEB_STATEMENT_TIMEOUT_MS") or 0)
    if not timeout or not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkout")
    def _statement_timeout(dbapi_connection, record, _proxy) -> None:
        wanted = timeout if has_request_context() else 0
        if record.info.get("statement_timeout") == wanted:
            return
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {wanted}")
        dbapi_connection.commit()  # a SET inside a rolled-back transaction would not stay
        record.info["statement_timeout"] = wanted

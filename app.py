"""Composition root: `create_app` wires configuration, extensions, blueprints and commands.

Importing this module has no side effects; `flask --app app ...` calls the factory.
"""

from collections.abc import Mapping
from typing import Any

from flask import Flask

from agri_credit import (
    applicant,
    assets,
    auth,
    cli,
    dashboard,
    departmental,
    enterprises,
    entities,
    errors,
    household_import,
    households,
    rating_cycle,
)
from agri_credit.config import PROJECT_ROOT, DefaultConfig
from agri_credit.extensions import (
    babel,
    csrf,
    init_id_cipher,
    init_statement_timeout,
    limiter,
    login_manager,
    migrate,
    select_locale,
)
from agri_credit.request_limits import RouteLimitedRequest
from agri_credit.security_headers import register_security_headers
from agri_credit.templating import register_template_helpers
from agri_credit.url_arguments import BoundedIntConverter
from loans import (
    api,
    authorisations,
    banks,
    consents,
    matching,
    needs,
    outcomes,
    products,
    review,
    scoring_pages,
    statistics,
    village_lines,
)
from loans.demo import seed_loans, seed_scores
from loans.demo_activity import seed_loan_activity
from loans.matching import hooks as matching_hooks
from loans.scoring.commands import model_cli
from loans.village_lines.demo import seed_village_lines
from models import db


def create_app(config: Mapping[str, Any] | type | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "agri_credit" / "templates"),
        static_folder=str(PROJECT_ROOT / "agri_credit" / "static"),
    )
    # Before anything reads a form: per-route upload limits (agri_credit/request_limits.py).
    app.request_class = RouteLimitedRequest
    configure(app, config)
    # Before any blueprint: every `<int:...>` route gets the bounded converter.
    app.url_map.converters["int"] = BoundedIntConverter
    register_extensions(app)
    register_blueprints(app)
    errors.register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    cli.register_commands(app)
    app.extensions[cli.DEMO_STEPS] = [
        seed_loans,
        seed_scores,
        seed_loan_activity,
        seed_village_lines,
    ]
    app.cli.add_command(model_cli)
    return app


def configure(app: Flask, config: Mapping[str, Any] | type | None) -> None:
    app.config.from_object(DefaultConfig)
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_pyfile("settings.py", silent=True)
        app.config.from_prefixed_env("AGRI_CREDIT")
        app.config.update(config or {})
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{app.instance_path}/agri_credit.db"
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "agri_credit" / "translations")
    )
    if app.config["SECURE_COOKIES"]:
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True
    # Login throttling counts in Redis when there is one, so every worker shares the count.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    init_id_cipher(app)
    init_statement_timeout(app)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(assets.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(households.bp)
    app.register_blueprint(entities.bp)
    app.register_blueprint(enterprises.bp)
    app.register_blueprint(household_import.bp)
    app.register_blueprint(departmental.bp)
    app.register_blueprint(rating_cycle.bp)
    app.register_blueprint(banks.bp)
    app.register_blueprint(products.bp)
    app.register_blueprint(needs.bp)
    app.register_blueprint(consents.bp)
    app.register_blueprint(authorisations.bp)
    app.register_blueprint(scoring_pages.bp)
    app.register_blueprint(applicant.bp)
    app.register_blueprint(matching.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(outcomes.bp)
    app.register_blueprint(village_lines.bp)
    app.register_blueprint(statistics.bp)
    csrf.exempt(api.bp)  # token-authenticated JSON for banks' systems: no cookies, no CSRF
    app.register_blueprint(api.bp)
    app.register_blueprint(api.pages_bp)
    matching_hooks.connect()  # matching follows its inputs' write paths

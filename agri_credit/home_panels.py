"""Panels a higher layer adds to a user's first page (the cadre's and office's 工作台, the
officer's queue) without agri_credit importing it: `loans.village_lines` registers the
整村授信 summary when its blueprint is registered. A provider returns None when it has
nothing for the user. Providers only read: a first page is a GET."""

from collections.abc import Callable

from flask import Flask, current_app
from markupsafe import Markup

from models import User

HomePanelProvider = Callable[[User], Markup | None]
EXTENSION = "agri_credit.home_panels"


def register_home_panel(app: Flask, provider: HomePanelProvider) -> None:
    providers = app.extensions.setdefault(EXTENSION, [])
    if provider not in providers:
        providers.append(provider)


def home_panels(user: User) -> list[Markup]:
    providers = current_app.extensions.get(EXTENSION, [])
    return [panel for p in providers if (panel := p(user)) is not None]

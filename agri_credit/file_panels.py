"""Panels a higher layer adds to the credit file pages (household, entity, SME) without
agri_credit importing it: `loans` registers the default-risk score panel when its blueprint
is registered, and a file page asks here for its subject's panels before it commits its
view audit (a provider may journal that the user looked at sensitive data)."""

from collections.abc import Callable

from flask import Flask, current_app
from markupsafe import Markup

from models import User

# (subject_type, subject_id, user) -> the panel's HTML, or None when the user may not see it.
PanelProvider = Callable[[str, int, User], Markup | None]
EXTENSION = "agri_credit.file_panels"


def register_file_panel(app: Flask, provider: PanelProvider) -> None:
    providers = app.extensions.setdefault(EXTENSION, [])
    if provider not in providers:
        providers.append(provider)


def file_panels(subject_type: str, subject_id: int, user: User) -> list[Markup]:
    providers = current_app.extensions.get(EXTENSION, [])
    return [panel for p in providers if (panel := p(subject_type, subject_id, user)) is not None]

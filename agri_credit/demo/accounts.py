"""Which demo accounts exist, for `flask demo-logins` and the README's first steps."""

import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from models import ROLE_LABELS, Region, Role, User, db

# Accounts a visitor is told about first; village cadres follow the `cadre_<code>` pattern.
FEATURED_USERNAMES = (
    "county_office",
    "officer",
    "officer_psbc",
    "officer_abc",
    "officer_cz",
    "officer_2",
    "applicant",
    "applicant_sme",
    "applicant_coop",
)
CADRE_PREFIX = "cadre_"
ROLE_ORDER = [Role.OFFICE, Role.OFFICER, Role.CADRE, Role.APPLICANT]
TOWNSHIP_PREFIX = "town_"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str
    organisation: str


@dataclass(frozen=True)
class DemoLogins:
    shown: list[DemoLogin]
    more_cadres: int
    more_cadre_example: str | None


def demo_logins(cadres_shown: int = 3) -> DemoLogins:
    """The featured accounts, the township offices and the first few village cadres."""
    query = (
        select(User, Region.name)
        .join(Region, Region.code == User.scope_code)
        .order_by(User.scope_code, User.username)
    )
    featured = db.session.execute(
        query.where(
            or_(
                User.username.in_(FEATURED_USERNAMES),
                User.username.startswith(TOWNSHIP_PREFIX, autoescape=True),
            )
        )
    ).all()
    cadre_filter = (User.role == Role.CADRE) & or_(
        User.username == "cadre", User.username.startswith(CADRE_PREFIX, autoescape=True)
    )
    cadres = db.session.execute(query.where(cadre_filter).limit(cadres_shown + 1)).all()
    total_cadres = db.session.scalar(select(func.count()).select_from(User).where(cadre_filter))
    rows = sorted(
        [*featured, *cadres[:cadres_shown]],
        key=lambda row: (ROLE_ORDER.index(Role(row[0].role)), row[0].scope_code, row[0].username),
    )
    shown = [
        DemoLogin(user.username, ROLE_LABELS[Role(user.role)], scope, user.organisation or "")
        for user, scope in rows
    ]
    extra = cadres[cadres_shown][0].username if len(cadres) > cadres_shown else None
    return DemoLogins(shown, max(0, total_cadres - cadres_shown), extra)


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))

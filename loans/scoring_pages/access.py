"""Who may work with the models: the county credit office (or a wider one). A township
office rates its villages but does not train, promote or read the county's model report."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from models import RegionLevel, Role, User

WIDE_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)


def is_county_office(user: User) -> bool:
    return (
        user.is_authenticated
        and user.role == Role.OFFICE
        and RegionLevel(user.scope.level) in WIDE_LEVELS
    )


def county_office_required(view: Callable) -> Callable:
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not is_county_office(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped

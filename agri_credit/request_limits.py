"""Upload size limits per route, in force before anything reads the request body.

The app-wide MAX_CONTENT_LENGTH (8 MB) suits the cadres' forms. A route that takes larger
files names its own limit with `@upload_limit("CONFIG_KEY")`. Setting
`request.max_content_length` inside the view would be too late: CSRF protection (an app-wide
`before_request`) has already parsed the form under the app-wide limit and answered 413. The
request class below asks the matched view for its limit whenever the body is read, whatever
reads it first.
"""

from collections.abc import Callable

from flask import Request, current_app

LIMIT_ATTRIBUTE = "upload_limit_config_key"


def upload_limit(config_key: str) -> Callable[[Callable], Callable]:
    """Mark a view as accepting request bodies up to `app.config[config_key]` bytes. Put it
    innermost (right above the function): `functools.wraps` carries the mark outwards."""

    def decorator(view: Callable) -> Callable:
        setattr(view, LIMIT_ATTRIBUTE, config_key)
        return view

    return decorator


class RouteLimitedRequest(Request):
    """Flask's request, whose default body limit is the matched view's own when it has one."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and current_app and self.url_rule is not None:
            view = current_app.view_functions.get(self.url_rule.endpoint)
            config_key = getattr(view, LIMIT_ATTRIBUTE, None)
            if config_key:
                return current_app.config[config_key]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

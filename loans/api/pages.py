"""The officer's page of his bank's API tokens: make one (its secret shown once, on the
answer to the POST, never stored), see each token's scopes and recent calls, revoke."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from loans.access import officer_required
from models import API_SCOPE_LABELS, db

from . import pages_bp
from .forms import TokenForm
from .tokens import TokenRefused, bank_token_or_none, bank_tokens, create_token, recent_uses
from .tokens import revoke_token as revoke


def _render(form: TokenForm, secret: str | None = None, status: int = 200):
    tokens = bank_tokens(current_user.bank_id)
    return render_template(
        "loans/api/tokens.html",
        form=form,
        tokens=tokens,
        uses=recent_uses([t.id for t in tokens]),
        names={t.id: t.name for t in tokens},
        scope_labels=API_SCOPE_LABELS,
        secret=secret,
        create_url=url_for("api_tokens.create"),
        revoke_endpoint="api_tokens.revoke_token",
        route_args={},
    ), status


@pages_bp.get("/officer/api-tokens")
@officer_required
def index():
    return _render(TokenForm())


@pages_bp.post("/officer/api-tokens")
@officer_required
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _render(form, status=400)
    try:
        made = create_token(current_user, form.name.data, form.scopes.data)
    except TokenRefused as refused:
        db.session.rollback()
        form.scopes.errors = [*form.scopes.errors, str(refused)]
        return _render(form, status=400)
    db.session.commit()
    # The secret is in this answer only: no redirect, no flash, no session.
    return _render(TokenForm(formdata=None), secret=made.secret)


@pages_bp.post("/officer/api-tokens/<int:token_id>/revoke")
@officer_required
def revoke_token(token_id: int):
    token = bank_token_or_none(token_id, current_user.bank_id)
    if token is None:
        abort(404)
    if revoke(token, current_user):
        db.session.commit()
        flash(_("令牌已撤销，使用它的调用立即失效。"), "success")
    else:
        flash(_("该令牌此前已撤销。"), "info")
    return redirect(url_for("api_tokens.index"))

"""The applicant's own objection: the office's form without the choice of reviewer (his
objection goes to the nearest credit office of his village)."""

from agri_credit.rating_cycle.objections.forms import ObjectionForm


class OwnObjectionForm(ObjectionForm):
    assignee = None  # removes the field: the service assigns the nearest office

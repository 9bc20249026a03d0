"""Signals other layers listen to without the rural credit core importing them (imports point
down: `loans` subscribes here, `agri_credit` never imports `loans`)."""

from blinker import Namespace

_signals = Namespace()

# Effective grades were written to files: sender is None, `households` and `entities` are
# lists of ids. Sent inside the writing transaction, before its commit.
grades_written = _signals.signal("grades-written")

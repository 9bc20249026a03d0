"""Sent when scores are stored, so that matching reruns for the subjects they changed."""

from blinker import Namespace

_signals = Namespace()

# Scores were appended: `subject_type` and `subject_ids` (None: every subject of the type).
# Sent inside the storing transaction, before its commit.
scores_stored = _signals.signal("scores-stored")

"""Signals other layers listen to without the rural credit core importing them (imports point
down: `loans` subscribes here, `agri_credit` never imports `loans`)."""

from blinker import Namespace

_signals = Namespace()

# Effective grades were written to files: sender is None, `households` and `entities` are
# lists of ids. Sent inside the writing transaction, before its commit.
grades_written = _signals.signal("grades-written")

# A departmental import of `source` committed (`batch_id`), or a batch was rolled back
# (`rolled_back=True`, with `key_ids`, the subject keys its rows carried, read before they
# went). Sent after the commit, from whichever process ran it (request, thread, RQ worker).
# A receiver commits its own work and must not raise: the import stands whatever it does.
records_changed = _signals.signal("records-changed")

"""The pipeline: the cross-app steps of the data flow, in order, in one place.

An import reads top to bottom in `ingest.py` (read → map → validate → protect → link → load
→ refresh); what runs "after" a change in a lower app (the archive refresh and the portrait
tags after an import or a linkage decision, later the grid results into the archive) is run
here, by a direct call or by a receiver of the lower app's signal (`receivers.py`), never by
the lower app importing a higher one. Background work runs as jobs (`jobs.py`).
"""

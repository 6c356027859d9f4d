"""What the import announces for the steps that come after it (`minsheng.pipeline` listens).

A lower app never calls a higher one: the archive refresh and the tag recompute after a
clerk's linkage decision, the background import of an uploaded file and the background
re-application of a department's mappings to a batch are run by the pipeline when these
are sent.
"""

from django.dispatch import Signal

# A clerk's decision moved rows to other persons (kwargs: person_ids, acting_user). Sent
# inside the decision's transaction: the receiver's refresh commits or rolls back with it.
persons_relinked = Signal()

# A clerk uploaded a department file (kwargs: token, path, source, user_id, language): the
# pipeline imports it in the background and reports progress under the token.
upload_received = Signal()

# A clerk asked to re-apply the department's mappings to a batch (kwargs: token, batch_id,
# user_id, language): the pipeline reads the batch's kept file again in the background
# (sources.actions.do_reapply_mappings, then the archive refresh) and reports progress
# under the token, as for an upload.
reapply_requested = Signal()

"""What the feature apps announce to each other. They sit side by side in the layers (none
imports another), so a step that crosses from one to the next goes through a signal here."""

from django.dispatch import Signal

# A 免申即享 delivery asks for door-to-door tasks (kwargs: requests, a queryset of
# `benefits.GridTaskRequest` rows not yet sent; acting_user). The grid app's receiver
# dispatches them in the same transaction and returns its counts (grid.actions.Dispatched).
grid_tasks_requested = Signal()

# `minsheng worker` is starting (kwargs: none). Apps with recurring work schedule its next
# run here (a job that enqueues its own successor), so a fresh database gets it too.
worker_starting = Signal()

# A death was confirmed and approved (kwargs: person_ids, a list of `sources.Person` ids;
# acting_user, the approver). The grid app cancels the persons' open tasks in the same
# transaction.
person_died = Signal()

# The benefit roll asks for door-to-door visits (kwargs: people_sql and params, a query with
# one `person_id` column; kind, a grid task type; reason; ref, what asked; acting_user). The
# grid app dispatches them in the same transaction and returns its counts.
grid_visits_requested = Signal()

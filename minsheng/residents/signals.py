"""What the archive announces for the apps above it."""

from django.dispatch import Signal

# A resident's profile is being rendered (kwargs: resident, user, revealed: whether this
# user sees the person's sensitive values unmasked now). A receiver returns a dict
# merged into the portrait: screening adds the tag groups and the service trajectory.
profile_portrait = Signal()

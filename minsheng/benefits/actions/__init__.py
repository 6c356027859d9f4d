"""Every write of the benefits app, one module per subject (as Zulip's zerver/actions):
`runs` (免申即享 policy runs), `roll` (the benefit roll, the monthly payment run, survival
certification), `deaths` (death cases, stops, reverts, overpayment recovery)."""

from .runs import (
    PolicyRunError,
    do_approve_policy_run,
    do_deliver_policy_run,
    do_propose_policy_run,
    do_reject_policy_run,
)

__all__ = [
    "PolicyRunError",
    "do_approve_policy_run",
    "do_deliver_policy_run",
    "do_propose_policy_run",
    "do_reject_policy_run",
]

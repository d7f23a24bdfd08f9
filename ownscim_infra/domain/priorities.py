"""Group assignment priorities: the config's order as the numbers the program declares.

The config lists groups in priority order, the first one winning (Okta: "If an app has more
than one group assigned to the same user, then the group with the higher priority has its
profile applied to the application user"; the lowest number is the highest priority).

The program never declares priority 0: terraform-provider-okta (bridged by pulumi-okta 7)
sends ``priority`` only ``if p, ok := d.GetOk("priority"); ok`` (``buildAppGroupAssignment``
in ``okta/services/idaas/resource_okta_app_group_assignment.go``, since v3.16.0, PR #741), and
``GetOk`` is false for 0; Okta then gives the assignment "the next highest priority" (Okta
API reference, Application Groups), which depends on the order in which the engine's
parallel creates arrive. Position ``i`` (0-based) is therefore priority ``i + 1``: every
value is sent, and the relative order is the config's.
"""

from __future__ import annotations


def group_priority(position: int) -> int:
    """The priority declared for the group at 0-based ``position`` in the config: ``position + 1``."""
    return position + 1

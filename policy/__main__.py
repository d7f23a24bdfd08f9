"""The policy pack Pulumi runs (``pulumi preview --policy-pack policy``): every policy of
:mod:`ownscim_policy`, mandatory."""

from ownscim_policy import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="ownscim", policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)

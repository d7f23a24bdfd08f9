"""Pulumi entry point: declare Own's SCIM provisioning in Okta and export the outputs."""

import pulumi

from ownscim_infra.program.stack import declare_stack

for name, value in declare_stack().items():
    pulumi.export(name, value)

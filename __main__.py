"""Pulumi entry point: declare Own's SCIM provisioning in Okta and export the outputs."""

import pulumi

from ownscim_infra import program

for name, value in program.run().items():
    pulumi.export(name, value)

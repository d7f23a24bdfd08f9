"""ownscim-infra: the Okta side of Own's SCIM 2.0 provisioning, as code.

Modules, one concept each:

- :mod:`ownscim_infra.config` -- the reviewed YAML config and its validation.
- :mod:`ownscim_infra.component` -- the Pulumi component that declares the Okta resources.
- :mod:`ownscim_infra.program` -- the Pulumi program body (reads the stack's settings).
- :mod:`ownscim_infra.plan` -- the offline plan: the program under Pulumi's mock runtime.
- :mod:`ownscim_infra.receiver` -- a SCIM 2.0 receiver that behaves like Own's endpoint.
- :mod:`ownscim_infra.cli` -- ``python -m ownscim_infra <command>``.
"""

__version__ = "0.1.0"

"""ownscim-infra: the Okta side of Own's SCIM 2.0 provisioning, as code.

Layers (docs/architecture.md states what each may import):

- :mod:`ownscim_infra.domain` -- Own's setup-page facts, the ``regions`` codec, resource
  names, terminal tables (stdlib only);
- :mod:`ownscim_infra.config` -- the reviewed YAML config and directory, validated;
- :mod:`ownscim_infra.program` -- the Pulumi component and the stack program;
- :mod:`ownscim_infra.offline` -- the mock runtime, the plan, the Okta emulation, the simulation;
- :mod:`ownscim_infra.live` -- reading a live Okta org: verify, adopt;
- :mod:`ownscim_infra.receiver` -- a SCIM 2.0 receiver that behaves like Own's endpoint;
- :mod:`ownscim_infra.cli` -- ``python -m ownscim_infra <command>``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    #: The release: from the git tag it was built at (setuptools-scm; ``0.1.0.devN+g<sha>``
    #: between tags), as installed.
    __version__ = version("ownscim-infra")
except PackageNotFoundError:  # run from a source tree never installed (pulumi install installs the dependencies only)
    __version__ = "0+unknown"

#: The pulumi-okta release the program is written for and the offline emulation follows
#: (docs/provider-semantics.md); pinned in pyproject.toml and the lock (requirements.txt).
PULUMI_OKTA_VERSION = "7.0.1"

"""The stack program: read the stack's settings, load the config, build the component.

This is the only module that reads ``pulumi.Config``. Stack settings (``Pulumi.yaml``):

- ``ownscim:config`` -- path of the config file, default ``config/<stack>.yaml``;
- ``ownscim:scimToken`` -- Own's SCIM token, a Pulumi secret
  (``pulumi config set --secret ownscim:scimToken``); needed for ``provisioning: api``.

Okta credentials are the okta provider's own settings (``okta:orgName``, ``okta:baseUrl``,
``okta:apiToken``, or the ``OKTA_*`` environment variables).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

from ownscim_infra.config import ConfigError, load_config
from ownscim_infra.domain import naming
from ownscim_infra.program.component import OwnScimProvisioning

NAMESPACE = "ownscim"


@dataclass(frozen=True)
class StackSettings:
    """What the program takes from the stack: the config file and the token (a secret)."""

    config_path: Path
    scim_token: pulumi.Output[str] | None


def read_stack_settings() -> StackSettings:
    """Read ``ownscim:config`` and ``ownscim:scimToken`` from the current stack."""
    cfg = pulumi.Config(NAMESPACE)
    path = cfg.get("config") or f"config/{pulumi.get_stack()}.yaml"
    return StackSettings(config_path=Path(path), scim_token=cfg.get_secret("scimToken"))


def declare_stack() -> dict[str, pulumi.Input]:
    """Declare every resource; returns the stack outputs (see
    :meth:`OwnScimProvisioning.stack_outputs`).

    :raises pulumi.RunError: the config file is invalid (the message lists every problem,
        with file and key path), or ``provisioning: api`` has no ``ownscim:scimToken``.
        ``RunError`` makes Pulumi print the message without a traceback.
    """
    settings = read_stack_settings()
    try:
        config = load_config(settings.config_path)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
    if config.app.provisioning == "api" and settings.scim_token is None:
        raise pulumi.RunError(
            "provisioning: api needs Own's SCIM token: run "
            "`pulumi config set --secret ownscim:scimToken` (the value Own shows under "
            "Manage > Security > SCIM Provisioning), or set app.provisioning: manual"
        )
    component = OwnScimProvisioning(naming.COMPONENT, config=config, scim_token=settings.scim_token)
    return component.stack_outputs()

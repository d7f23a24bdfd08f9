"""The reviewed YAML files: the config (one per Okta org) and the directory (for ``simulate``).

Public face::

    from ownscim_infra.config import load_config, ConfigError, OwnScimConfig

Modules: :mod:`.models` (the config models, :func:`load_config`), :mod:`.directory` (the
Okta directory file), :mod:`.validation` (every problem at once, with key paths),
:mod:`.yaml_reader` (the YAML reader), :mod:`.errors` (:class:`ConfigError`). This layer
never imports Pulumi, the receiver or an HTTP client (docs/architecture.md).
"""

from ownscim_infra.config.errors import ConfigError, ConfigIssue
from ownscim_infra.config.models import (
    AppConfig,
    GroupConfig,
    Login,
    OwnScimConfig,
    PersonConfig,
    load_config,
    parse_config,
)

__all__ = [
    "AppConfig",
    "ConfigError",
    "ConfigIssue",
    "GroupConfig",
    "Login",
    "OwnScimConfig",
    "PersonConfig",
    "load_config",
    "parse_config",
]

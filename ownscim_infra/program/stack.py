"""The stack program: read the stack's settings, load the config, build the component.

This is the only module that reads ``pulumi.Config``. Stack settings (``Pulumi.yaml``):

- ``ownscim:config`` -- path of the config file, default ``config/<stack>.yaml``;
- ``ownscim:scimToken`` -- Own's SCIM token, a Pulumi secret
  (``pulumi config set --secret ownscim:scimToken``); needed for ``provisioning: api``.

Okta credentials are the okta provider's own settings (``okta:orgName``, ``okta:baseUrl``,
``okta:apiToken``, or the ``OKTA_*`` environment variables).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from ownscim_infra.config import ConfigError, OwnScimConfig, load_config
from ownscim_infra.domain import naming
from ownscim_infra.domain.regions import RecordedRegions
from ownscim_infra.program.component import REGIONS_OUTPUT, OwnScimProvisioning

NAMESPACE = "ownscim"
#: Logical name of the read of this stack's own outputs (a ``pulumi:pulumi:StackReference``).
PREVIOUS_RUN = f"{naming.COMPONENT}-previous-run"
#: Set to ``1`` for the first ``pulumi up`` after ``pulumi import`` of an app whose provisioning
#: was set up by hand: ``manual_steps_done: true`` before the stack has output an ``appId``.
ADOPTED_APP_ENV = "OWNSCIM_ADOPTED_APP"


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


def read_previous_outputs() -> dict[str, Any] | None:
    """The current stack's outputs as its last ``pulumi up`` left them (``{}`` on a new stack), or
    ``None`` when they are not known (the offline mock runtime answers no stack).

    A ``pulumi.StackReference`` to the stack itself, read at once: the engine's builtin
    provider answers it with the backend's ``GetStackOutputs`` for the name
    (``readStackReference`` in pulumi/pulumi ``pkg/resource/deploy/builtins.go``), during
    ``pulumi preview`` as during ``pulumi up``, before anything is declared. The wait is the
    SDK's own for synchronous program code (``_sync_await``, as its synchronous ``invoke``
    does): ``pulumi.Output`` has no public one, and an ``apply`` would run too late to stop the
    run before its first step.
    """
    name = "/".join(part for part in (pulumi.get_organization(), pulumi.get_project(), pulumi.get_stack()) if part)
    reference = pulumi.StackReference(PREVIOUS_RUN, stack_name=name)
    outputs = _sync_await(reference.outputs.future())
    return None if outputs is None else dict(outputs)


def previous_run_problems(config: OwnScimConfig, previous: Mapping[str, Any] | None, path: Path) -> list[str]:
    """What this run would do silently that the user cannot have meant, judged on the stack's
    last outputs (``previous``, :func:`read_previous_outputs`; ``None``: unknown, no problem).
    Each problem is one line starting with ``path`` and the config key.

    - ``manual_steps_done: true`` on a stack without an ``appId`` output: the Admin Console
      steps are done on the app this run creates, so they cannot be done yet, and the
      ``regions`` attribute would be created before provisioning is on (Okta drops its external
      namespace). ``OWNSCIM_ADOPTED_APP=1`` lets an app adopted with ``pulumi import`` through.
    - ``provisioning: manual`` without ``manual_steps_done`` on a stack whose last run assigned
      groups or people, while the config still lists some: the run would delete every
      assignment (Okta deactivates those users in Own) -- the switch from ``api`` the README
      advises when Okta answers ``UNKNOWN`` -- and then stop at the ``regions`` attribute's
      guard. Removing the groups and people from the config is the explicit way to unassign.
    """
    if previous is None:
        return []
    app = config.app
    problems: list[str] = []
    adopted = os.environ.get(ADOPTED_APP_ENV) == "1"
    if app.provisioning == "manual" and app.manual_steps_done and "appId" not in previous and not adopted:
        problems.append(
            f"{path}: app.manual_steps_done: true on a stack that has not created the app yet (its last "
            "`pulumi up` output no appId): the Admin Console steps are done on the app this run creates, and the "
            "`regions` attribute must come after them (Okta drops the external namespace of an attribute created "
            "before provisioning is on). Nothing was changed. Remove app.manual_steps_done (or set it to false) "
            "for this first `pulumi up`, do the steps `pulumi stack output manualSteps` lists, then set it to "
            f"true and run `pulumi up` again. An app adopted with `pulumi import` whose provisioning is on: run "
            f"`{ADOPTED_APP_ENV}=1 pulumi up` once."
        )
    groups = len(previous.get("regionsByGroup") or {})
    people = int(previous.get("peopleCount") or 0)
    if (groups or people) and not config.assignments_declared and (config.groups or config.people):
        problems.append(
            f"{path}: app.provisioning: manual without app.manual_steps_done: true would unassign the {groups} "
            f"group(s) and {people} person(s) this stack assigned at its last `pulumi up` (Okta then deactivates "
            "them in Own), then stop at the `regions` attribute's guard. Nothing was changed. If provisioning is "
            "on in Okta (the steps of `pulumi stack output manualSteps`; after provisioning: api, Okta keeps the "
            "connection and USER_PROVISIONING: the provider cannot delete them), set app.manual_steps_done: true. "
            "To unassign everyone on purpose, remove the groups and people from the config."
        )
    return problems


def recorded_regions(previous: Mapping[str, Any] | None) -> RecordedRegions:
    """The ``regions`` texts the stack's last run declared, from its outputs (``previous``,
    :func:`read_previous_outputs`; ``None``, unknown, or ``{}``, a new stack: none).

    ``regionsByAssignment`` (:data:`~.component.REGIONS_OUTPUT`) gives each assignment's text.
    A stack whose last run output none (a version of the program before it) is ``from_before``:
    that version declared each value in the config's written order, and its ``regionsByGroup``
    holds the groups' texts. Values that are not text are ignored (a text is never guessed)."""
    if not previous:
        return RecordedRegions()

    def texts(value: Any) -> dict[str, str]:
        items = value.items() if isinstance(value, Mapping) else ()
        return {str(k): v for k, v in items if isinstance(v, str)}

    if REGIONS_OUTPUT in previous:
        return RecordedRegions(by_assignment=texts(previous[REGIONS_OUTPUT]))
    return RecordedRegions(by_group=texts(previous.get("regionsByGroup")), from_before=True)


def declare_stack() -> dict[str, pulumi.Input]:
    """Declare every resource; returns the stack outputs (see
    :meth:`OwnScimProvisioning.stack_outputs`). Reads the stack's last outputs once, for the
    checks of :func:`previous_run_problems` and the ``regions`` texts to keep
    (:func:`recorded_regions`).

    :raises pulumi.RunError: the config file is invalid (the message lists every problem,
        with file and key path), ``provisioning: api`` has no ``ownscim:scimToken``, the
        config cannot be meant for this stack as its last run left it
        (:func:`previous_run_problems`), or the engine lacks ``replacement_trigger``
        (:func:`~.component.require_replacement_trigger`); always before anything is declared.
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
    previous = read_previous_outputs()
    problems = previous_run_problems(config, previous, settings.config_path)
    if problems:
        raise pulumi.RunError("\n".join(problems))
    component = OwnScimProvisioning(
        naming.COMPONENT, config=config, scim_token=settings.scim_token, recorded=recorded_regions(previous)
    )
    return component.stack_outputs()

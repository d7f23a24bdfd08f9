"""An org "in sync" with a config, made the way a real one is: the real program's ``pulumi up``
applied through the emulated engine and provider into an
:class:`~ownscim_infra.offline.okta_org.OktaOrg` (as ``simulate`` applies a plan), with the
Admin Console steps an admin does for ``provisioning: manual``. ``verify`` then reads that
org through :mod:`tests.live.okta_fake`: its expectations are checked against what the
program did, not against the functions ``verify`` computes them with.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ownscim_infra.config.directory import load_directory
from ownscim_infra.config.models import OwnScimConfig
from ownscim_infra.domain.own_setup import CATALOG_APP, OWN_CAPABILITIES
from ownscim_infra.offline.engine import Engine, RunResult
from ownscim_infra.offline.okta_org import OktaOrg
from ownscim_infra.offline.plan import Plan, build_plan
from tests.live.okta_fake import EXAMPLE_DIRECTORY

#: Okta's built-in group: every org has it
EVERYONE = "Everyone"


@cache
def _plan(config: str, mtime_ns: int) -> Plan:
    return build_plan(config)


def plan_of(config: Path | str) -> Plan:
    """The offline plan of ``config`` (built once a file version: the mock runtime takes a second)."""
    return _plan(str(config), Path(config).stat().st_mtime_ns)


def admin_steps(org: OktaOrg, config: OwnScimConfig) -> None:
    """``provisioning: manual`` with ``manual_steps_done``: once the app exists, the admin has
    done the Admin Console steps (as :class:`ownscim_infra.offline.rollout.Rollout` assumes)."""
    if config.app.provisioning != "manual" or not config.app.manual_steps_done:
        return
    for app in org.apps.values():
        if not (app.connection or {}).get("byHand"):
            org.set_up_by_hand(app.id, config.app.scim_base_url, dict(OWN_CAPABILITIES))


def pulumi_up(
    config: Path | str, directory: Path | str = EXAMPLE_DIRECTORY, *, connection_api: bool = True
) -> tuple[OktaOrg, RunResult]:
    """A fresh org holding ``directory``'s users, Okta's ``Everyone`` group and the groups the
    config looks up (``create: false``), after ``pulumi up`` of ``config`` and the admins'
    steps (the manual console steps, the members of the groups it created)."""
    plan = plan_of(config)
    org = OktaOrg(load_directory(directory), connection_api=connection_api)
    org.seed_groups([EVERYONE, *(g.name for g in plan.config.groups if not g.create)])
    engine = Engine(org, on_step=lambda step: admin_steps(org, plan.config))
    result = engine.up(plan.resources)
    org.settle()
    return org, result


def org_after_up(config: Path | str, directory: Path | str = EXAMPLE_DIRECTORY) -> OktaOrg:
    """The org after a ``pulumi up`` of ``config`` that succeeded."""
    org, result = pulumi_up(config, directory)
    assert result.ok, result.failed
    return org


def app_id_of(org: OktaOrg) -> str:
    """The id of the one ``scim2headerauth`` app in ``org``."""
    (found,) = [a.id for a in org.apps.values() if a.catalog_name == CATALOG_APP]
    return found

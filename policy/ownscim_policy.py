"""Own's rules for the Okta side of its SCIM provisioning, as CrossGuard stack policies.

Each policy reads the resources of a stack (``StackValidationArgs.resources``: type, inputs as
the engine receives them, camelCase, and options) and reports every resource that breaks its
rule. The rules are Own's setup page's (docs/provider-semantics.md and
``ownscim_infra/domain/own_setup.py`` cite them); the constants are repeated here because a
policy pack runs on its own, and ``tests/policy/test_policy.py`` checks they are the same:

- ``own-catalog-app``: the app is Okta's catalog app *SCIM 2.0 Test App (Header Auth)*
  (``preconfiguredApp: scim2headerauth``);
- ``own-create-and-deactivate``: ``USER_PROVISIONING`` has Create Users (``lifecycleCreate``)
  and Deactivate Users (``lifecycleDeactivate``) ``ENABLED``;
- ``own-no-update-user-attributes``: Update User Attributes (``profile``) is never enabled:
  Own does not support it;
- ``own-no-push-groups``: no ``GROUP_PUSH`` feature enabled and no push group: Own does not
  support Push Groups;
- ``own-regions-attribute``: the ``regions`` attribute is in the external namespace
  ``urn:ietf:params:scim:schemas:core:2.0`` with external name ``regions``, and protected
  (replacing it erases every value, terraform-provider-okta #2593);
- ``own-group-priorities``: every group assignment has a priority, never 0 (the provider does
  not send 0: Okta picks one), and no two share one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

CATALOG_APP = "scim2headerauth"
FEATURE = "USER_PROVISIONING"
REGIONS_ATTRIBUTE = "regions"
REGIONS_NAMESPACE = "urn:ietf:params:scim:schemas:core:2.0"

APP = "okta:app/autoLogin:AutoLogin"
FEATURES = "okta:app/features:Features"
ATTRIBUTE = "okta:index/appUserSchemaProperty:AppUserSchemaProperty"
GROUP_ASSIGNMENT = "okta:app/groupAssignment:GroupAssignment"
PUSH_GROUP = "okta:index/pushGroup:PushGroup"


def _of_type(resources: Iterable[PolicyResource], type_token: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == type_token]


def _status(capabilities: Any, *path: str) -> str | None:
    node = capabilities
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node.get("status") if isinstance(node, dict) else None


def catalog_app(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every AutoLogin app is ``scim2headerauth``."""
    for app in _of_type(args.resources, APP):
        preconfigured = app.props.get("preconfiguredApp")
        if preconfigured != CATALOG_APP:
            report(f"{app.name}: preconfiguredApp is {preconfigured!r}, Own's app is {CATALOG_APP!r}", app.urn)


def _provisioning(args: StackValidationArgs) -> list[PolicyResource]:
    return [f for f in _of_type(args.resources, FEATURES) if f.props.get("name") == FEATURE]


def create_and_deactivate(args: StackValidationArgs, report: ReportViolation) -> None:
    """``USER_PROVISIONING``: ``lifecycleCreate`` and ``lifecycleDeactivate`` ``ENABLED``."""
    for feature in _provisioning(args):
        capabilities = feature.props.get("capabilities")
        for label, path in (
            ("Create Users (create.lifecycleCreate)", ("create", "lifecycleCreate")),
            ("Deactivate Users (update.lifecycleDeactivate)", ("update", "lifecycleDeactivate")),
        ):
            status = _status(capabilities, *path)
            if status != "ENABLED":
                report(f"{feature.name}: {label} is {status or 'not set'}; Own needs it ENABLED", feature.urn)


def no_update_user_attributes(args: StackValidationArgs, report: ReportViolation) -> None:
    """``USER_PROVISIONING``: Update User Attributes (``update.profile``) never ``ENABLED``."""
    for feature in _provisioning(args):
        if _status(feature.props.get("capabilities"), "update", "profile") == "ENABLED":
            report(f"{feature.name}: Update User Attributes is ENABLED; Own does not support it", feature.urn)


def no_push_groups(args: StackValidationArgs, report: ReportViolation) -> None:
    """No ``GROUP_PUSH`` feature enabled, no push group."""
    for feature in _of_type(args.resources, FEATURES):
        if feature.props.get("name") == "GROUP_PUSH" and feature.props.get("status") != "DISABLED":
            report(f"{feature.name}: Push Groups is on; Own does not support Push Groups", feature.urn)
    for push in _of_type(args.resources, PUSH_GROUP):
        report(f"{push.name}: a push group; Own does not support Push Groups", push.urn)


def regions_attribute(args: StackValidationArgs, report: ReportViolation) -> None:
    """The ``regions`` attribute: Own's namespace and external name, and ``protect``."""
    for attribute in _of_type(args.resources, ATTRIBUTE):
        if attribute.props.get("index") != REGIONS_ATTRIBUTE:
            continue
        namespace = attribute.props.get("externalNamespace")
        if namespace != REGIONS_NAMESPACE:
            report(
                f"{attribute.name}: externalNamespace is {namespace!r}; Own reads regions in {REGIONS_NAMESPACE!r}",
                attribute.urn,
            )
        name = attribute.props.get("externalName")
        if name != REGIONS_ATTRIBUTE:
            report(f"{attribute.name}: externalName is {name!r}; Own reads {REGIONS_ATTRIBUTE!r}", attribute.urn)
        if not attribute.opts.protect:
            report(
                f"{attribute.name}: not protected; replacing it erases every regions value (provider #2593)",
                attribute.urn,
            )


def group_priorities(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every group assignment has a priority >= 1, unique among the app's assignments."""
    by_priority: dict[tuple[Any, Any], list[PolicyResource]] = defaultdict(list)
    for assignment in _of_type(args.resources, GROUP_ASSIGNMENT):
        priority = assignment.props.get("priority")
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
            report(
                f"{assignment.name}: priority is {priority!r}; it must be 1 or more (the provider never sends 0, "
                "and Okta then picks one)",
                assignment.urn,
            )
            continue
        by_priority[(str(assignment.props.get("appId")), priority)].append(assignment)
    for (_, priority), same in sorted(by_priority.items(), key=lambda kv: kv[0][1]):
        if len(same) > 1:
            names = ", ".join(a.name for a in same)
            for assignment in same:
                report(f"{assignment.name}: priority {priority} is also the priority of {names}", assignment.urn)


def _policy(name: str, description: str, validate: Callable[[StackValidationArgs, ReportViolation], None]) -> Any:
    return StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


#: The pack's policies, all mandatory.
POLICIES = [
    _policy("own-catalog-app", "The app is Okta's catalog app scim2headerauth.", catalog_app),
    _policy(
        "own-create-and-deactivate", "USER_PROVISIONING has Create and Deactivate Users on.", create_and_deactivate
    ),
    _policy("own-no-update-user-attributes", "Update User Attributes is never on.", no_update_user_attributes),
    _policy("own-no-push-groups", "Push Groups is never on, and nothing is pushed.", no_push_groups),
    _policy("own-regions-attribute", "The regions attribute: Own's namespace and name, protected.", regions_attribute),
    _policy("own-group-priorities", "Group priorities are unique and never 0.", group_priorities),
]

"""The Pulumi component that declares the whole Okta side of Own's SCIM provisioning.

Every step of Own's setup page ("Set Up Okta SCIM Provisioning") is one resource here, a
child of :class:`OwnScimProvisioning`:

1. the app: catalog app ``scim2headerauth`` (*SCIM 2.0 Test App (Header Auth)*) as
   ``okta.app.AutoLogin``;
2. the provisioning connection (``POST /api/v1/apps/{appId}/connections/default``):
   ``okta.app.Connection``, Base URL = Own's SCIM URL, ``authScheme`` TOKEN, the token a secret;
3. the ``USER_PROVISIONING`` feature (``PUT /api/v1/apps/{appId}/features/USER_PROVISIONING``):
   Create Users and Deactivate Users on; Update User Attributes and passwords off;
4. the ``regions`` app user attribute, external namespace
   ``urn:ietf:params:scim:schemas:core:2.0``, scope NONE, declared after provisioning is on;
5. the Okta groups (created, or looked up by name, a hundred names a call), and for a created
   group its ``members`` (``okta.GroupMemberships``, the logins looked up a hundred a call) or
   its ``rule`` (an active ``okta.group.Rule``, ``urn:okta:expression:1.0``);
6. the group assignments, ``priority`` from the config order (1 for the first group),
   ``profile`` ``{"regions": ...}``, created one after the other;
7. the direct (person) assignments, the people looked up by login a hundred a call
   (:mod:`.lookups`: ``ceil(people / 100)`` Okta API calls, not one a person);
8. nothing that pushes groups (Own does not support Push Groups).

The resource options encode what the Pulumi engine and terraform-provider-okta (bridged by
pulumi-okta 7) do on a real org; ``docs/provider-semantics.md`` gives each source, and
:mod:`ownscim_infra.offline.engine` emulates them so that the tests can show a second
``pulumi up`` changes nothing.

The component takes plain typed arguments -- a validated :class:`OwnScimConfig` and the
SCIM token as a Pulumi secret -- and reads no ``pulumi.Config`` of its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any

import grpc
import pulumi
import pulumi_okta as okta
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import resource_pb2

from ownscim_infra.config import GroupConfig, OwnScimConfig
from ownscim_infra.domain import naming
from ownscim_infra.domain.expression import EXPRESSION_TYPE
from ownscim_infra.domain.own_setup import (
    CATALOG_APP,
    FEATURE,
    MANUAL_CONFIRM,
    OWN_CAPABILITIES,
    REGIONS_ATTRIBUTE,
    REGIONS_NAMESPACE,
    manual_steps,
)
from ownscim_infra.domain.priorities import group_priority
from ownscim_infra.domain.regions import RecordedRegions, join_regions
from ownscim_infra.program import lookups

#: The Pulumi CLI this program needs (``requiredPulumiVersion`` in ``Pulumi.yaml``).
REQUIRED_CLI = "3.226.0"
#: The resource monitor's feature id of the ``replacement_trigger`` option: the string the
#: engine answers in ``SupportsFeature`` (``supportsFeatureID`` in pulumi/pulumi
#: ``pkg/resource/deploy/source_eval.go``, ``case "replacementTrigger"``, since CLI 3.208).
REPLACEMENT_TRIGGER_FEATURE = "replacementTrigger"


def engine_supports_replacement_trigger() -> bool:
    """Whether the Pulumi engine running the program honours ``replacement_trigger``.

    The Python SDK does not check it: ``pulumi/runtime/resource.py`` checks the engine's
    support for transforms, ``deletedWith`` and ``replaceWith`` (``register_resource``) and for
    hooks (``_prepare_resource_hooks``), but sends ``replacement_trigger`` unchecked, and its feature discovery
    (``_load_monitor_feature_support`` in ``pulumi/runtime/settings.py``) reads
    ``RESOURCE_MONITOR_FEATURE_REPLACEMENT_TRIGGER`` only from ``GetDeploymentInfo`` (CLI
    3.231+), never from an older engine's ``SupportsFeature`` (``_LEGACY_FEATURE_MAPPING`` has
    no ``replacementTrigger``). An engine that does not know the option (CLI 3.182 to 3.207)
    accepts the hooks and drops the trigger. So this asks the resource monitor itself, with the
    string id every engine answers (``SupportsFeature``; an unknown id is ``false``, and an
    engine without ``SupportsFeature`` answers ``UNIMPLEMENTED``, which is ``false`` too).
    """
    monitor = runtime_settings.get_monitor()
    if monitor is None:
        return False
    try:
        answer = monitor.SupportsFeature(resource_pb2.SupportsFeatureRequest(id=REPLACEMENT_TRIGGER_FEATURE))
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return False
        raise
    return bool(answer.hasSupport)


def require_replacement_trigger() -> None:
    """Refuse to declare anything on an engine without ``replacement_trigger``.

    Without it a changed ``regions`` value would be silently ignored: ``ignore_changes=["profile"]``
    hides the diff and nothing replaces the assignment (:func:`assignment_options`).
    ``requiredPulumiVersion`` does not cover it: CLIs before 3.219 do not enforce it.

    :raises pulumi.RunError: naming the CLI version needed (:data:`REQUIRED_CLI`).
    """
    if not engine_supports_replacement_trigger():
        raise pulumi.RunError(
            f"this program needs the Pulumi CLI {REQUIRED_CLI} or newer: the engine running it does not "
            "support the replacement_trigger resource option, without which a changed `regions` value "
            "would never reach Own (the change would be silently ignored). Nothing was changed. "
            "Check `pulumi version` and upgrade the CLI (https://www.pulumi.com/docs/install/)."
        )


def assignment_options(
    parent: pulumi.Resource, profile_json: str, depends_on: Sequence[pulumi.Resource]
) -> pulumi.ResourceOptions:
    """The options of every assignment (group or person) whose ``profile`` is ``profile_json``.

    A changed ``regions`` value must reach Own as an unassignment (Okta deactivates the user)
    followed by a new assignment (Okta provisions it again): Own does not support Update User
    Attributes, so an in-place update would change nothing in Own. But the replacement must
    follow the *declared* value, not the provider's read-back:

    - ``ignore_changes=["profile"]``: the provider's Read stores the whole app profile Okta
      returns (mapped attributes, and ``null`` for unset properties: terraform-provider-okta
      ``resourceAppUserRead`` / ``resourceAppGroupAssignmentRead``, issue #669), and its diff is
      a ``reflect.DeepEqual`` (``utils.NoChangeInObjectFromUnmarshaledJSON``); a declared
      ``{"regions": "us1"}`` differs from that on every run. Ignoring the property drops that
      diff (the engine resets the input, ``processIgnoreChanges``; the bridge passes the list
      to the provider's diff).
    - ``replacement_trigger=profile_json``: the engine replaces the resource when this value
      differs from the one recorded at the last run (``shouldTriggerReplace`` in
      ``pkg/resource/deploy/step_generator.go``; Pulumi CLI 3.208+, fixed for dependency
      changes in 3.226; Python SDK 3.214+), and creates the replacement from the program's
      inputs, so the new profile reaches Okta. A resource first declared with the trigger is not
      replaced (no recorded value).
    - ``delete_before_replace=True``: the create is an upsert on the same app and group (or
      user), so create-before-delete would end by deleting the new assignment.

    ``profile_json`` holds the ``regions`` text the stack recorded for the assignment when it
    names the same set of regions (:class:`~ownscim_infra.domain.regions.RecordedRegions`, read
    from the stack's last outputs): reordering a group's or a person's regions in the config
    declares the recorded text again, so nothing is replaced; and on a stack whose last run was
    a version of the program without that output, the config's written order, which is what
    that version declared (and recorded as the trigger), so upgrading replaces nothing either.
    """
    return pulumi.ResourceOptions(
        parent=parent,
        depends_on=list(depends_on),
        ignore_changes=["profile"],
        replacement_trigger=profile_json,
        delete_before_replace=True,
    )


#: The stack output of the ``regions`` text each assignment declared (logical name -> text):
#: the next run reads it back (:class:`~ownscim_infra.domain.regions.RecordedRegions`).
REGIONS_OUTPUT = "regionsByAssignment"

#: Set to ``1`` for one ``pulumi up`` (or ``pulumi destroy --run-program``) to let the
#: ``regions`` attribute be deleted or replaced anyway.
ALLOW_ATTRIBUTE_DELETE_ENV = "OWNSCIM_ALLOW_REGIONS_ATTRIBUTE_DELETE"
#: Name of the hook that guards the attribute (the engine identifies delete hooks by name).
ATTRIBUTE_GUARD_HOOK = "ownscim-regions-attribute-guard"


class RegionsAttributeDeleteRefused(Exception):
    """Raised by the guard hook: deleting the ``regions`` attribute was refused."""


def guard_regions_attribute(args: pulumi.ResourceHookArgs) -> None:
    """``before_delete`` hook of the ``regions`` attribute (Pulumi resource hooks, CLI 3.182+).

    Deleting or replacing the attribute erases its value from every user and group
    assignment in Okta (terraform-provider-okta issues 2593, 989, 492), after which Own
    creates everyone in all regions. The engine calls this hook before the delete, whether
    from a replacement (its external name, namespace, type or scope changed; it is declared
    delete-before-replace, so nothing has changed in Okta yet), from its removal from the
    program, or from ``pulumi destroy --run-program``.

    :raises RegionsAttributeDeleteRefused: always, unless ``OWNSCIM_ALLOW_REGIONS_ATTRIBUTE_DELETE=1``;
        the message is the manual procedure.
    """
    if os.environ.get(ALLOW_ATTRIBUTE_DELETE_ENV) == "1":
        return
    raise RegionsAttributeDeleteRefused(
        f"refusing to delete the Okta app attribute 'regions' ({args.name}): that erases the regions value "
        "of every user and group assignment in Okta, and Own then creates everyone in all regions. "
        "To change its external name, namespace, type or scope, do it by hand: "
        "(1) save every assignment's value: `pulumi stack output regionsByGroup` and "
        "`python -m ownscim_infra verify --format json`; "
        "(2) edit the attribute in the Admin Console (Directory > Profile Editor > the app > regions) "
        "instead of replacing it, change the program to match, then `pulumi refresh` and `pulumi preview` "
        "(expect no replacement); "
        f"(3) only if it must be recreated: run `{ALLOW_ATTRIBUTE_DELETE_ENV}=1 pulumi up` once (after "
        "`pulumi state unprotect` of the attribute), run `pulumi up` again to re-apply every assignment, "
        "and check with `python -m ownscim_infra verify`."
    )


#: Set to ``1`` for one ``pulumi up`` (or ``pulumi destroy --run-program``) to let the app be
#: deleted or replaced anyway.
ALLOW_APP_DELETE_ENV = "OWNSCIM_ALLOW_APP_DELETE"
#: Name of the hook that guards the app.
APP_GUARD_HOOK = "ownscim-app-guard"


class AppDeleteRefused(Exception):
    """Raised by the app's guard hook: deleting the Own app was refused."""


def guard_app(args: pulumi.ResourceHookArgs) -> None:
    """``before_delete`` hook of the app (Pulumi resource hooks, CLI 3.182+).

    Deleting the app (removing the component, ``pulumi destroy --run-program``, or a
    replacement: a changed ``preconfigured_app`` is ``ForceNew``) ends every assignment at
    once: Okta deactivates every user of the app in Own (Deactivate Users is on), and the
    replacement app starts with no provisioning. The engine calls this hook before the delete.

    :raises AppDeleteRefused: always, unless ``OWNSCIM_ALLOW_APP_DELETE=1``; the message is the
        manual procedure.
    """
    if os.environ.get(ALLOW_APP_DELETE_ENV) == "1":
        return
    raise AppDeleteRefused(
        f"refusing to delete the Okta app of Own ({args.name}, id {args.id}): deleting it unassigns every "
        "user and group, and Okta then deactivates every user in Own. Nothing was deleted. "
        "If a change to the app forces a new one, undo that change instead. "
        "To retire the app on purpose: (1) save what is assigned: `pulumi stack output regionsByGroup` and "
        "`python -m ownscim_infra verify --format json`; (2) check with Own that its users may be deactivated; "
        f"(3) run `{ALLOW_APP_DELETE_ENV}=1 pulumi up` (or `{ALLOW_APP_DELETE_ENV}=1 pulumi destroy --run-program`) "
        "once."
    )


class OwnScimProvisioning(pulumi.ComponentResource):
    """Type ``ownscim:okta:OwnScimProvisioning``: the app, its provisioning, the ``regions``
    attribute, groups and assignments, for one Okta org.

    :param name: the component's logical name; every child's name starts with it
        (:class:`naming.ResourceNames`), so two components in one stack do not collide. Keep
        :data:`naming.COMPONENT` for an existing stack: the URNs derive from it.
    :param config: the validated config file.
    :param scim_token: Own's SCIM token as a Pulumi secret; required when
        ``config.app.provisioning == "api"``, unused for ``manual``.
    :param recorded: the ``regions`` texts the stack's last run declared
        (:class:`~ownscim_infra.domain.regions.RecordedRegions`, from its outputs): an
        assignment whose regions are the same set keeps its text, so that a reorder, or an
        upgrade of this program, replaces nothing. Default: none (a new stack).
    :raises ValueError: ``provisioning: api`` without a token.
    :raises pulumi.RunError: the engine does not support ``replacement_trigger``
        (:func:`require_replacement_trigger`), before anything is declared.

    Attributes: :attr:`app_id` and :attr:`connection_status` (``pulumi.Output``; the status is
    ``None`` in manual mode); the resources :attr:`app`, :attr:`connection`, :attr:`features`,
    :attr:`regions_attribute` (``None`` when not declared), :attr:`group_memberships` and
    :attr:`group_rules` (config group name -> its members or its rule),
    :attr:`group_assignments` (config group name -> assignment) and
    :attr:`person_assignments` (login -> assignment); and
    :meth:`stack_outputs` for the program's exports.
    """

    TYPE = naming.COMPONENT_TYPE

    def __init__(
        self,
        name: str,
        *,
        config: OwnScimConfig,
        scim_token: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions | None = None,
        recorded: RecordedRegions | None = None,
    ) -> None:
        require_replacement_trigger()
        super().__init__(self.TYPE, name, None, opts)
        self._config = config
        self._recorded = recorded or RecordedRegions()
        #: assignment logical name -> the ``regions`` text declared (the ``regionsByAssignment`` output)
        self.declared_regions: dict[str, str] = {}
        self._names = naming.ResourceNames(name)
        self.app = self._declare_app()  # 1
        self.app_id = self.app.id
        self.connection, self.features = self._declare_provisioning(scim_token)  # 2-3
        self.connection_status = self.connection.status if self.connection else None
        #: config group name -> its declared members (``members``) or its group rule (``rule``)
        self.group_memberships: dict[str, okta.GroupMemberships] = {}
        self.group_rules: dict[str, okta.group.Rule] = {}
        group_ids = self._declare_groups()  # 5: groups do not depend on provisioning
        # registered even when the attribute is not declared: the engine runs a removed
        # resource's delete hooks by name, and fails with "not registered" without them
        self._attribute_guard = pulumi.ResourceHook(self._hook_name(ATTRIBUTE_GUARD_HOOK), guard_regions_attribute)
        self.regions_attribute: okta.AppUserSchemaProperty | None = None
        #: config group name -> its assignment; login -> the person's direct assignment
        self.group_assignments: dict[str, okta.app.GroupAssignment] = {}
        self.person_assignments: dict[str, okta.app.User] = {}
        if config.assignments_declared:
            provisioning = [r for r in (self.connection, self.features) if r is not None]
            self.regions_attribute = self._declare_regions_attribute(provisioning)  # 4
            self.group_assignments = self._declare_group_assignments(group_ids, self.regions_attribute)  # 6
            self.person_assignments = self._declare_people(self.regions_attribute)  # 7
        self.register_outputs(self.stack_outputs())

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _hook_name(self, base: str) -> str:
        """``base``, or ``base-<component>`` for a component not named :data:`naming.COMPONENT`:
        hook names are unique in a program (the engine identifies delete hooks by name)."""
        return base if self._names.component == naming.COMPONENT else f"{base}-{self._names.component}"

    def _declare_app(self) -> okta.app.AutoLogin:
        """Step 1: the catalog app. Users sign in to Own through SSO, so the SWA tile is hidden.

        Guarded by a ``before_delete`` hook (:func:`guard_app`): deleting it deactivates
        everyone in Own."""
        guard = pulumi.ResourceHook(self._hook_name(APP_GUARD_HOOK), guard_app)
        return okta.app.AutoLogin(
            self._names.app,
            label=self._config.app.label,
            preconfigured_app=CATALOG_APP,
            status="ACTIVE",
            hide_ios=True,
            hide_web=True,
            opts=pulumi.ResourceOptions(parent=self, hooks=pulumi.ResourceHookBinding(before_delete=[guard])),
        )

    def _declare_provisioning(
        self, scim_token: pulumi.Input[str] | None
    ) -> tuple[okta.app.Connection | None, okta.app.Features | None]:
        """Steps 2-3: the provisioning connection and ``USER_PROVISIONING``, through Okta's API
        (``provisioning: api`` only; ``(None, None)`` for ``manual``).

        The connection ignores changes to ``action``: on an app whose connection Okta reports
        ``UNKNOWN``, the provider's Read sets ``action`` to ``""`` (``setStatus`` in
        ``resource_okta_app_connection.go``), a diff on every run otherwise.

        :raises ValueError: ``provisioning: api`` without the SCIM token.
        """
        app_cfg = self._config.app
        if app_cfg.provisioning != "api":
            return None, None
        if scim_token is None:
            raise ValueError("provisioning: api needs the SCIM token (Pulumi secret ownscim:scimToken)")
        connection = okta.app.Connection(
            self._names.connection,
            id_property=self.app.id,
            base_url=app_cfg.scim_base_url,
            action="activate",
            profile=okta.app.ConnectionProfileArgs(
                auth_scheme="TOKEN",
                token=pulumi.Output.secret(scim_token),
            ),
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["profile"], ignore_changes=["action"]),
        )
        features = okta.app.Features(
            self._names.features,
            app_id=self.app.id,
            name=FEATURE,
            status="ENABLED",
            capabilities=okta.app.FeaturesCapabilitiesArgs(
                create=okta.app.FeaturesCapabilitiesCreateArgs(
                    lifecycle_create=okta.app.FeaturesCapabilitiesCreateLifecycleCreateArgs(
                        status=OWN_CAPABILITIES["lifecycleCreate"]
                    ),
                ),
                update=okta.app.FeaturesCapabilitiesUpdateArgs(
                    lifecycle_deactivate=okta.app.FeaturesCapabilitiesUpdateLifecycleDeactivateArgs(
                        status=OWN_CAPABILITIES["lifecycleDeactivate"]
                    ),
                    profile=okta.app.FeaturesCapabilitiesUpdateProfileArgs(status=OWN_CAPABILITIES["profile"]),
                    password=okta.app.FeaturesCapabilitiesUpdatePasswordArgs(status=OWN_CAPABILITIES["password"]),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[connection]),
        )
        return connection, features

    def _declare_groups(self) -> dict[str, pulumi.Output[str]]:
        """Step 5: each config group, created (``create: true``) or looked up by name; returns
        config group name -> Okta group id. The resource's name comes from the group's stable
        ``key``, so a renamed group (same key) is renamed in place (``resourceGroupUpdate``
        PUTs the new name) and keeps its members. The existing groups are read a hundred
        names a call (:meth:`_look_up_groups`)."""
        group_ids = self._look_up_groups([g.name for g in self._config.groups if not g.create])
        member_ids = self._look_up_users([login for g in self._config.groups for login in g.members or []])
        for group in self._config.groups:
            if group.create:
                okta_group = okta.group.Group(
                    self._names.group(group.resource_key),
                    name=group.name,
                    description=group.description,
                    opts=self._child(),
                )
                group_ids[group.name] = okta_group.id
                if group.members is not None:
                    self.group_memberships[group.name] = self._declare_members(group, okta_group, member_ids)
                if group.rule is not None:
                    self.group_rules[group.name] = self._declare_rule(group, okta_group)
        return group_ids

    def _declare_members(
        self, group: GroupConfig, okta_group: okta.group.Group, member_ids: dict[str, pulumi.Output[str]]
    ) -> okta.GroupMemberships:
        """Step 5, ``members``: the group's members as ``okta.GroupMemberships``
        (``okta_group_memberships``), the Okta users looked up by login a hundred a call
        (:meth:`_look_up_users`).

        ``track_all_users=True``: the program owns the whole membership of a group it creates.
        terraform-provider-okta ``resource_okta_group_memberships.go``: Create adds ``users``
        (``addGroupMembers``) and removes no one; Update adds the users new to the set and
        removes those dropped from it; Delete removes the users in the state. Read
        (``resourceGroupMembershipsRead``) lists the group's users: with ``track_all_users``
        (``checkIfUsersHaveChanged``) the state becomes every member when anyone was added or
        removed, so a member added by hand in the Admin Console shows as a diff after
        ``pulumi refresh`` and the next ``pulumi up`` removes them (and Okta deactivates them in
        Own); without it (``checkIfUsersHaveBeenRemoved``) Read only notices a declared member
        who left, and someone added by hand keeps the group's Own regions unseen by any review.
        ``group_id`` is ``ForceNew``: a replaced group gets a new memberships resource.
        """
        return okta.GroupMemberships(
            self._names.group_memberships(group.resource_key),
            group_id=okta_group.id,
            users=[member_ids[login] for login in group.members or []],
            track_all_users=True,
            opts=self._child(),
        )

    def _declare_rule(self, group: GroupConfig, okta_group: okta.group.Group) -> okta.group.Rule:
        """Step 5, ``rule``: an active group rule (``okta.group.Rule``, ``okta_group_rule``)
        that puts every Okta user matching ``group.rule`` in the group.

        terraform-provider-okta ``resource_okta_group_rule.go``: Create creates the rule, then
        activates it (``handleGroupRuleLifecycle``); Okta then evaluates it against every user,
        asynchronously ("Group rules", Okta's Groups API: a rule runs when activated and when a
        user's profile or group membership changes; a deactivated rule adds no one). A changed
        expression is an in-place update (deactivate, update, activate); ``group_assignments``
        is ``ForceNew``. The rule is named after the group (``name``, at most 50 characters,
        checked by the config). ``remove_assigned_users=True``: deleting the rule (the ``rule``
        removed from the config, or the group deleted) removes the users it added
        (``DeleteGroupRule`` with ``removeUsers``), so no one keeps the group's regions through
        a rule that no longer exists.
        """
        return okta.group.Rule(
            self._names.group_rule(group.resource_key),
            name=group.rule_name,
            expression_type=EXPRESSION_TYPE,
            expression_value=group.rule,
            status="ACTIVE",
            group_assignments=[okta_group.id],
            remove_assigned_users=True,
            opts=self._child(),
        )

    def _look_up_groups(self, names: list[str]) -> dict[str, pulumi.Output[str]]:
        """The Okta groups (``OKTA_GROUP``) named ``names``: ``okta.get_groups`` with a
        ``search`` of up to 100 names (:mod:`.lookups`); name -> id.

        The ids fail with :class:`~.lookups.NotFoundInOkta` naming every group Okta does not
        have, which fails the program (``pulumi preview`` too)."""
        calls = [
            okta.get_groups_output(search=lookups.groups_search(batch), opts=pulumi.InvokeOutputOptions(parent=self))
            for batch in lookups.group_batches(names)
        ]
        return self._ids("group", names, [call.groups for call in calls], lambda g: (g.name, g.id))

    def _look_up_users(self, logins: list[str]) -> dict[str, pulumi.Output[str]]:
        """The Okta users with ``logins``: ``okta.user.get_users`` with one ``search`` entry a
        login, joined with ``or``, up to 100 a call (:mod:`.lookups`; no groups, no roles:
        no extra API call a user); login -> id.

        The ids fail with :class:`~.lookups.NotFoundInOkta` naming every login Okta does not
        have, which fails the program (``pulumi preview`` too)."""
        calls = [
            okta.user.get_users_output(
                searches=[okta.user.GetUsersSearchArgs(**lookups.user_search(login)) for login in batch],
                compound_search_operator="or",
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            for batch in lookups.user_batches(logins)
        ]
        return self._ids("user", logins, [call.users for call in calls], lambda u: (u.login, u.id))

    @staticmethod
    def _ids(
        kind: str, wanted: list[str], answers: list[pulumi.Output[Any]], key: Callable[[Any], tuple[str, str]]
    ) -> dict[str, pulumi.Output[str]]:
        """``{value: its id}`` from the answers of every call (``key``: an answer's ``(login or
        name, id)``), matched as Okta compares values; each id fails naming every value Okta did
        not answer (one error for the whole config)."""
        if not wanted:
            return {}
        pairs = [answer.apply(lambda items: [key(item) for item in items or []]) for answer in answers]
        found = pulumi.Output.all(*pairs).apply(
            lambda pages: lookups.match(kind, wanted, [(value, okta_id) for page in pages for value, okta_id in page])
        )

        def id_of(value: str) -> pulumi.Output[str]:
            return found.apply(lambda ids: ids[value])

        return {value: id_of(value) for value in wanted}

    def _declare_regions_attribute(self, provisioning: Sequence[pulumi.Resource]) -> okta.AppUserSchemaProperty:
        """Step 4: the ``regions`` attribute, after provisioning is on (``depends_on``).

        Protected, and guarded by a ``before_delete`` hook that stops a replacement (deleted
        first) with the manual procedure: replacing it deletes its value from every user and
        group assignment.
        """
        return okta.AppUserSchemaProperty(
            self._names.regions_attribute,
            app_id=self.app.id,
            index=REGIONS_ATTRIBUTE,
            title=REGIONS_ATTRIBUTE,
            type="string",
            description="Own regions, comma-separated (e.g. us1,emea2); empty means all regions",
            external_name=REGIONS_ATTRIBUTE,
            external_namespace=REGIONS_NAMESPACE,
            scope="NONE",
            master="PROFILE_MASTER",
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(provisioning),
                protect=True,
                delete_before_replace=True,
                hooks=pulumi.ResourceHookBinding(before_delete=[self._attribute_guard]),
            ),
        )

    def _declare_group_assignments(
        self, group_ids: dict[str, pulumi.Output[str]], attribute: pulumi.Resource
    ) -> dict[str, okta.app.GroupAssignment]:
        """Step 6: one assignment a group, ``profile`` ``{"regions": "us1,emea2"}``, with the
        priority of its position (:func:`group_priority`: 1 for the first group, never 0,
        which the provider would not send). Each assignment depends on the one before it, so
        that they reach Okta one after the other in the config's order whatever the engine
        runs in parallel (a ``depends_on`` edge never makes the engine replace a dependent:
        ``calculateDependentReplacements``)."""
        assignments: dict[str, okta.app.GroupAssignment] = {}
        previous: okta.app.GroupAssignment | None = None
        for position, group in enumerate(self._config.groups):
            name = self._names.group_assignment(group.resource_key)
            regions = self.declared_regions[name] = self._recorded.text(name, group.regions, group.name)
            profile = json.dumps({REGIONS_ATTRIBUTE: regions})  # the trigger too
            after = [attribute] if previous is None else [attribute, previous]
            previous = assignments[group.name] = okta.app.GroupAssignment(
                name,
                app_id=self.app.id,
                group_id=group_ids[group.name],
                priority=group_priority(position),
                profile=profile,
                opts=assignment_options(self, profile, after),
            )
        return assignments

    def _declare_people(self, attribute: pulumi.Resource) -> dict[str, okta.app.User]:
        """Step 7: each person, looked up by login a hundred a call (:meth:`_look_up_users`),
        and assigned directly with ``{"regions": ...}`` or ``{}`` (all regions).

        terraform-provider-okta ``resource_okta_app_user.go`` (v6.12.0):

        - neither ``app_id`` nor ``user_id`` is ``ForceNew``, and ``resourceAppUserUpdate`` is
          ``UpdateApplicationUser`` on ``app_id``/``user_id`` (an update of an assigned user, not
          an assignment): a new user or a new app would be updated in place, leaving the old
          user (or app) assigned. ``replace_on_changes=["appId", "userId"]`` makes either a
          replacement (unassign, then assign);
        - ``resourceAppUserRead`` sets ``username`` from Okta's ``credentials.userName`` (the
          app's username template, e.g. Okta's spelling of the login) and its
          ``DiffSuppressFunc`` suppresses the diff only for ``SHARED_USERNAME_AND_PASSWORD``
          apps (not this one): a template or case that differs from the config's login would be
          an update on every run. Create requires it (``'username' is required``), so it is
          declared, and ``ignore_changes=["username"]`` keeps Okta's value from being a diff
          (the engine ignores the list on a create).

        The provider never sends a ``scope`` (``getAppUser``; pulumi-okta's ``okta.app.User``
        has no such argument): a person who is also in an assigned group may stay
        ``GROUP``-scoped (docs/provider-semantics.md)."""
        assignments: dict[str, okta.app.User] = {}
        user_ids = self._look_up_users([person.login for person in self._config.people])
        for person in self._config.people:
            name = self._names.user_assignment(person.login)
            profile = "{}"  # all regions
            if person.regions is not None:
                regions = self.declared_regions[name] = self._recorded.text(name, person.regions)
                profile = json.dumps({REGIONS_ATTRIBUTE: regions})
            options = assignment_options(self, profile, [attribute]).merge(
                pulumi.ResourceOptions(replace_on_changes=["appId", "userId"], ignore_changes=["username"])
            )
            assignments[person.login] = okta.app.User(
                name,
                app_id=self.app.id,
                user_id=user_ids[person.login],
                username=person.login,
                profile=profile,
                opts=options,
            )
        return assignments

    def stack_outputs(self) -> dict[str, pulumi.Input]:
        """The stack outputs, camelCase: ``appId``, ``appLabel``, ``scimBaseUrl``,
        ``regionsByGroup`` (group name -> ``"us1,emea2"``) and ``peopleCount`` of the declared
        assignments (empty and 0 until they are declared), ``regionsByAssignment``
        (:data:`REGIONS_OUTPUT`: assignment logical name -> the ``regions`` text it declared,
        which is its replacement trigger; read back by the next run), and
        ``connectionStatus`` (``api``: ENABLED | DISABLED | UNKNOWN after ``pulumi up``; UNKNOWN
        means Okta does not manage this app's connection: use ``provisioning: manual``) or
        ``manualSteps`` (``manual``). Nothing secret."""
        cfg = self._config
        outputs: dict[str, pulumi.Input] = {
            "appId": self.app.id,
            "appLabel": cfg.app.label,
            "scimBaseUrl": cfg.app.scim_base_url,
            # what is assigned: nothing until the assignments are declared (manual mode)
            "regionsByGroup": {g.name: join_regions(g.regions) for g in cfg.groups} if cfg.assignments_declared else {},
            "peopleCount": len(cfg.people) if cfg.assignments_declared else 0,
            # the text each assignment declared: the next run keeps it for the same set of regions
            REGIONS_OUTPUT: dict(self.declared_regions),
        }
        if self.connection_status is not None:
            outputs["connectionStatus"] = self.connection_status
        if cfg.app.provisioning == "manual":
            steps = manual_steps(cfg.app.label, cfg.app.scim_base_url)
            outputs["manualSteps"] = steps if cfg.app.manual_steps_done else steps + [MANUAL_CONFIRM]
        return outputs

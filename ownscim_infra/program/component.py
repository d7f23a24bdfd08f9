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
5. the Okta groups (created, or looked up by name, a hundred names a call);
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

import pulumi
import pulumi_okta as okta

from ownscim_infra.config import OwnScimConfig
from ownscim_infra.domain import naming
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
from ownscim_infra.domain.regions import canonical_regions, join_regions
from ownscim_infra.program import lookups


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

    ``profile_json`` holds the regions in their canonical order
    (:func:`~ownscim_infra.domain.regions.canonical_regions`): reordering a group's or a
    person's regions in the config declares the same text, so nothing is replaced. The
    trade-off: a stack whose last run recorded another order (the program of before wrote the
    config's order) has those assignments replaced once, on the first ``pulumi up`` after the
    upgrade, and never again (``verify`` against the org names them beforehand: their value in
    Okta is in the order of before, a regions drift).
    """
    return pulumi.ResourceOptions(
        parent=parent,
        depends_on=list(depends_on),
        ignore_changes=["profile"],
        replacement_trigger=profile_json,
        delete_before_replace=True,
    )


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


class OwnScimProvisioning(pulumi.ComponentResource):
    """Type ``ownscim:okta:OwnScimProvisioning``: the app, its provisioning, the ``regions``
    attribute, groups and assignments, for one Okta org.

    :param name: the component's logical name; every child's name starts with it
        (:class:`naming.ResourceNames`), so two components in one stack do not collide. Keep
        :data:`naming.COMPONENT` for an existing stack: the URNs derive from it.
    :param config: the validated config file.
    :param scim_token: Own's SCIM token as a Pulumi secret; required when
        ``config.app.provisioning == "api"``, unused for ``manual``.
    :raises ValueError: ``provisioning: api`` without a token.

    Attributes: :attr:`app_id` and :attr:`connection_status` (``pulumi.Output``; the status is
    ``None`` in manual mode); the resources :attr:`app`, :attr:`connection`, :attr:`features`,
    :attr:`regions_attribute` (``None`` when not declared), :attr:`group_assignments` (config
    group name -> assignment) and :attr:`person_assignments` (login -> assignment); and
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
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self._config = config
        self._names = naming.ResourceNames(name)
        self.app = self._declare_app()  # 1
        self.app_id = self.app.id
        self.connection, self.features = self._declare_provisioning(scim_token)  # 2-3
        self.connection_status = self.connection.status if self.connection else None
        group_ids = self._declare_groups()  # 5: groups do not depend on provisioning
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

    def _declare_app(self) -> okta.app.AutoLogin:
        """Step 1: the catalog app. Users sign in to Own through SSO, so the SWA tile is hidden."""
        return okta.app.AutoLogin(
            self._names.app,
            label=self._config.app.label,
            preconfigured_app=CATALOG_APP,
            status="ACTIVE",
            hide_ios=True,
            hide_web=True,
            opts=self._child(),
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
        for group in self._config.groups:
            if group.create:
                okta_group = okta.group.Group(
                    self._names.group(group.resource_key),
                    name=group.name,
                    description=group.description,
                    opts=self._child(),
                )
                group_ids[group.name] = okta_group.id
        return group_ids

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
        hook_name = ATTRIBUTE_GUARD_HOOK
        if self._names.component != naming.COMPONENT:  # hook names are unique in a program
            hook_name = f"{ATTRIBUTE_GUARD_HOOK}-{self._names.component}"
        guard = pulumi.ResourceHook(hook_name, guard_regions_attribute)
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
                hooks=pulumi.ResourceHookBinding(before_delete=[guard]),
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
            profile = json.dumps({REGIONS_ATTRIBUTE: canonical_regions(group.regions)})  # the trigger too
            after = [attribute] if previous is None else [attribute, previous]
            previous = assignments[group.name] = okta.app.GroupAssignment(
                self._names.group_assignment(group.resource_key),
                app_id=self.app.id,
                group_id=group_ids[group.name],
                priority=group_priority(position),
                profile=profile,
                opts=assignment_options(self, profile, after),
            )
        return assignments

    def _declare_people(self, attribute: pulumi.Resource) -> dict[str, okta.app.User]:
        """Step 7: each person, looked up by login a hundred a call (:meth:`_look_up_users`),
        and assigned directly with ``{"regions": ...}`` or ``{}`` (all regions). A change of
        the Okta user behind the login replaces the assignment (``user_id`` is not
        ``ForceNew`` in ``resource_okta_app_user.go``: an in-place update would assign the new
        user and leave the old one assigned)."""
        assignments: dict[str, okta.app.User] = {}
        user_ids = self._look_up_users([person.login for person in self._config.people])
        for person in self._config.people:
            regions = person.regions
            profile = json.dumps({} if regions is None else {REGIONS_ATTRIBUTE: canonical_regions(regions)})
            options = assignment_options(self, profile, [attribute]).merge(
                pulumi.ResourceOptions(replace_on_changes=["userId"])
            )
            assignments[person.login] = okta.app.User(
                self._names.user_assignment(person.login),
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
        assignments (empty and 0 until they are declared), and
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
        }
        if self.connection_status is not None:
            outputs["connectionStatus"] = self.connection_status
        if cfg.app.provisioning == "manual":
            steps = manual_steps(cfg.app.label, cfg.app.scim_base_url)
            outputs["manualSteps"] = steps if cfg.app.manual_steps_done else steps + [MANUAL_CONFIRM]
        return outputs

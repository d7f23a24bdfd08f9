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
5. the Okta groups (created, or looked up by name);
6. the group assignments, ``priority`` from the config order, ``profile`` ``{"regions": ...}``;
7. the direct (person) assignments;
8. nothing that pushes groups (Own does not support Push Groups).

The component takes plain typed arguments -- a validated :class:`OwnScimConfig` and the
SCIM token as a Pulumi secret -- and reads no ``pulumi.Config`` of its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

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
from ownscim_infra.domain.regions import join_regions

#: The ``replace_on_changes`` of every assignment. A changed ``regions`` value must reach Own
#: as an unassignment (Okta deactivates the user) followed by a new assignment (Okta creates
#: it with the new regions): Own does not support Update User Attributes, so an in-place
#: update would change nothing in Own. Hence replace on any profile change, deleting first.
ASSIGNMENT_REPLACE_ON_CHANGES = ["profile"]


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

    :param name: the component's logical name (keep :data:`naming.COMPONENT`: the children's
        names and URNs derive from it).
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
            after_attribute = pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.regions_attribute],
                replace_on_changes=ASSIGNMENT_REPLACE_ON_CHANGES,
                delete_before_replace=True,
            )
            self.group_assignments = self._declare_group_assignments(group_ids, after_attribute)  # 6
            self.person_assignments = self._declare_people(after_attribute)  # 7
        self.register_outputs(self.stack_outputs())

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _declare_app(self) -> okta.app.AutoLogin:
        """Step 1: the catalog app. Users sign in to Own through SSO, so the SWA tile is hidden."""
        return okta.app.AutoLogin(
            naming.APP,
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

        :raises ValueError: ``provisioning: api`` without the SCIM token.
        """
        app_cfg = self._config.app
        if app_cfg.provisioning != "api":
            return None, None
        if scim_token is None:
            raise ValueError("provisioning: api needs the SCIM token (Pulumi secret ownscim:scimToken)")
        connection = okta.app.Connection(
            naming.CONNECTION,
            id_property=self.app.id,
            base_url=app_cfg.scim_base_url,
            action="activate",
            profile=okta.app.ConnectionProfileArgs(
                auth_scheme="TOKEN",
                token=pulumi.Output.secret(scim_token),
            ),
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["profile"]),
        )
        features = okta.app.Features(
            naming.FEATURES,
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
        config group name -> Okta group id."""
        group_ids: dict[str, pulumi.Output[str]] = {}
        for group in self._config.groups:
            if group.create:
                okta_group = okta.group.Group(
                    naming.group(group.name), name=group.name, description=group.description, opts=self._child()
                )
                group_ids[group.name] = okta_group.id
            else:
                found = okta.group.get_group_output(
                    name=group.name, type="OKTA_GROUP", opts=pulumi.InvokeOutputOptions(parent=self)
                )
                group_ids[group.name] = found.id
        return group_ids

    def _declare_regions_attribute(self, provisioning: Sequence[pulumi.Resource]) -> okta.AppUserSchemaProperty:
        """Step 4: the ``regions`` attribute, after provisioning is on (``depends_on``).

        Protected, and guarded by a ``before_delete`` hook that stops a replacement (deleted
        first) with the manual procedure: replacing it deletes its value from every user and
        group assignment.
        """
        guard = pulumi.ResourceHook(ATTRIBUTE_GUARD_HOOK, guard_regions_attribute)
        return okta.AppUserSchemaProperty(
            naming.REGIONS_ATTRIBUTE,
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
                depends_on=provisioning,
                protect=True,
                delete_before_replace=True,
                hooks=pulumi.ResourceHookBinding(before_delete=[guard]),
            ),
        )

    def _declare_group_assignments(
        self, group_ids: dict[str, pulumi.Output[str]], opts: pulumi.ResourceOptions
    ) -> dict[str, okta.app.GroupAssignment]:
        """Step 6: one assignment a group; ``priority`` is the config position (0, the first
        group, is the highest), ``profile`` ``{"regions": "us1,emea2"}``."""
        assignments = {}
        for priority, group in enumerate(self._config.groups):
            assignments[group.name] = okta.app.GroupAssignment(
                naming.group_assignment(group.name),
                app_id=self.app.id,
                group_id=group_ids[group.name],
                priority=priority,
                profile=json.dumps({REGIONS_ATTRIBUTE: join_regions(group.regions)}),
                opts=opts,
            )
        return assignments

    def _declare_people(self, opts: pulumi.ResourceOptions) -> dict[str, okta.app.User]:
        """Step 7: each person, looked up by login (no roles, no groups: fewer API calls), and
        assigned directly with ``{"regions": ...}`` or ``{}`` (all regions)."""
        assignments = {}
        for person in self._config.people:
            user = okta.user.get_user_output(
                searches=[okta.user.GetUserSearchArgs(name="profile.login", value=person.login, comparison="eq")],
                skip_groups=True,
                skip_roles=True,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            profile = {} if person.regions is None else {REGIONS_ATTRIBUTE: join_regions(person.regions)}
            assignments[person.login] = okta.app.User(
                naming.user_assignment(person.login),
                app_id=self.app.id,
                user_id=user.id,
                username=person.login,
                profile=json.dumps(profile),
                opts=opts,
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

"""terraform-provider-okta, as pulumi-okta 7 bridges it: each resource type's diff, create,
update, read and delete, against the emulated org (:class:`~.okta_org.OktaOrg`).

pulumi-okta 7.0.1 is "based on terraform-provider-okta v7.0.0"; the behaviours below were read
in its source at v6.12.0 (``okta/services/idaas/``), whose schemas for these resources
match the installed Python SDK's arguments. The bridge's ``Diff`` calls the Terraform
provider's own diff (pulumi-terraform-bridge ``pkg/tfbridge/provider.go`` ``(*Provider).Diff``
-> ``p.tf.Diff``), so ``ForceNew`` and ``DiffSuppressFunc`` act in ``pulumi preview`` as in
``terraform plan``; it forwards ``ignoreChanges`` into that diff, and asks for
delete-before-replace only for auto-named ``name`` fields (none here). ``docs/provider-semantics.md``
lists every behaviour with its source.

State keys are the engine's (camelCase, like the inputs). Values are the provider's state
after its Read, which every Create and Update ends with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from typing_extensions import override

from ownscim_infra.domain.own_setup import capability_statuses
from ownscim_infra.offline.okta_org import OktaApiError, OktaOrg

APP = "okta:app/autoLogin:AutoLogin"
CONNECTION = "okta:app/connection:Connection"
FEATURES = "okta:app/features:Features"
ATTRIBUTE = "okta:index/appUserSchemaProperty:AppUserSchemaProperty"
GROUP = "okta:group/group:Group"
GROUP_ASSIGNMENT = "okta:app/groupAssignment:GroupAssignment"
APP_USER = "okta:app/user:User"
GROUP_MEMBERSHIPS = "okta:index/groupMemberships:GroupMemberships"
GROUP_RULE = "okta:group/rule:Rule"


class ProviderError(Exception):
    """An error the provider (or the bridge) raises itself, not Okta's answer."""


@dataclass
class Diff:
    """A provider diff: the input keys that ``changed`` (after suppression) and those of them
    that force a replacement (``replace``, the schema's ``ForceNew`` keys)."""

    changed: list[str] = field(default_factory=list)
    replace: list[str] = field(default_factory=list)


def _strip_false_bools(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_false_bools(v) for k, v in value.items() if v is not False}
    return value


def no_change_in_json(old: str | None, new: str | None) -> bool:
    """``utils.NoChangeInObjectFromUnmarshaledJSON`` (``okta/utils/utils.go``), the
    ``DiffSuppressFunc`` of ``profile``: no new value suppresses the diff; otherwise the two
    JSON objects must be ``reflect.DeepEqual`` once ``false`` booleans are dropped (key order
    and spacing do not matter; an extra key, even ``null``, does)."""
    if not new:
        return True
    try:
        return bool(_strip_false_bools(json.loads(old or "{}")) == _strip_false_bools(json.loads(new)))
    except ValueError:
        return False


class ResourceModel(Protocol):
    """One resource type of the provider."""

    #: input keys whose change replaces the resource (``ForceNew``)
    force_new: frozenset[str]
    #: what the schema gives an argument the config does not set, where the diff compares it
    #: (an Optional argument without ``Computed``: Okta's value against the default is a change)
    defaults: Mapping[str, Any] = MappingProxyType({})
    #: keys the diff skips: computed by Read, never the program's to change
    computed: frozenset[str] = frozenset({"status", "username"})
    #: Optional keys that are not Computed: left unset by the program, a value the state holds
    #: is a change (SDKv2 diffs it to empty), not the state's value standing
    not_computed: frozenset[str] = frozenset()

    def suppressed(self, key: str, old: Any, new: Any, declared: bool) -> bool:
        """The key's ``DiffSuppressFunc``: whether a difference is not a change."""
        ...

    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create; returns the id and the state (Create ends with Read)."""
        ...

    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Update in place; returns the state."""
        ...

    def update_from(self, org: OktaOrg, rid: str, state: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        """Update in place from the last ``state`` (a provider's ``d.GetChange``); returns the
        state. By default :meth:`update`, which needs only the inputs."""
        return self.update(org, rid, inputs)

    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        """Delete (or only forget, where the provider cannot delete)."""
        ...


class _Plain(ResourceModel):
    """A resource whose state is its inputs and that suppresses nothing."""

    force_new: frozenset[str] = frozenset()

    @override
    def suppressed(self, key: str, old: Any, new: Any, declared: bool) -> bool:
        return False


#: ``okta_app_auto_login``'s settable arguments besides ``label`` and ``status`` (their state
#: keys, camelCase) -> where ``buildAppAutoLogin`` puts each in the Application object and
#: ``resourceAppAutoLoginRead`` reads it back, and the provider's default
#: (``resource_okta_app_auto_login.go``; ``app.go``, ``baseAppSchema``, ``appVisibilitySchema``,
#: ``baseAppSwaSchema``): ``""`` or ``False`` where the schema has none (an Optional argument
#: the config does not set is its zero value, and ``d.Get`` sends that).
APP_FIELDS: dict[str, tuple[tuple[str, ...], Any]] = {
    "signOnUrl": (("settings", "signOn", "loginUrl"), ""),
    "signOnRedirectUrl": (("settings", "signOn", "redirectUrl"), ""),
    "adminNote": (("settings", "notes", "admin"), ""),
    "enduserNote": (("settings", "notes", "enduser"), ""),
    "credentialsScheme": (("credentials", "scheme"), "EDIT_USERNAME_AND_PASSWORD"),
    "revealPassword": (("credentials", "revealPassword"), False),
    "sharedUsername": (("credentials", "userName"), ""),
    "userNameTemplate": (("credentials", "userNameTemplate", "template"), "${source.login}"),
    "userNameTemplateType": (("credentials", "userNameTemplate", "type"), "BUILT_IN"),
    "userNameTemplateSuffix": (("credentials", "userNameTemplate", "suffix"), ""),
    "userNameTemplatePushStatus": (("credentials", "userNameTemplate", "pushStatus"), ""),
    "accessibilitySelfService": (("accessibility", "selfService"), False),
    "accessibilityErrorRedirectUrl": (("accessibility", "errorRedirectUrl"), ""),
    "accessibilityLoginRedirectUrl": (("accessibility", "loginRedirectUrl"), ""),
    "autoSubmitToolbar": (("visibility", "autoSubmitToolbar"), False),
    "hideIos": (("visibility", "hide", "iOS"), False),
    "hideWeb": (("visibility", "hide", "web"), False),
}


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


class AutoLoginModel(_Plain):
    """``okta_app_auto_login`` (``resource_okta_app_auto_login.go``); no ``ForceNew``:
    ``preconfigured_app`` and every other argument update in place.

    - ``Create``: ``buildAppAutoLogin`` (every argument: :data:`APP_FIELDS`), ``POST
      /api/v1/apps?activate=`` (``status == "ACTIVE"``), then Read.
    - ``Read`` (``resourceAppAutoLoginRead``): ``GET /api/v1/apps/{appId}`` (``fetchApp``: a 404
      clears the id); sets ``label`` and ``status`` (``appRead``) and every field of
      :data:`APP_FIELDS` from Okta's object (the shared password excepted); ``preconfigured_app``
      is not read back.
    - ``Update``: ``AppUpdateStatus`` first: a changed ``status`` is ``POST .../lifecycle/activate``
      or ``.../deactivate``; when nothing else changed (``d.HasChangeExcept("status")``) it
      returns with no PUT and no Read. Otherwise ``buildAppAutoLogin`` again, a **full**
      ``PUT /api/v1/apps/{appId}`` (``updateAppByID``) of every argument, declared or not (an
      undeclared one is its default: :attr:`defaults`), then Read. So a field an admin set in the
      Admin Console that the config does not declare is reset by the next update, and a
      refresh that reads it (Okta's value against the default) makes that update.
    - ``Delete`` (``deleteApplication``): deactivate when the state says ``ACTIVE``, then delete.
    """

    #: what the schema gives an argument the config does not set (``Default``, else its zero
    #: value): what the diff compares Okta's value with, and what the PUT sends
    defaults = {key: default for key, (_, default) in APP_FIELDS.items()} | {"status": "ACTIVE"}
    #: ``status`` is an argument here (Optional, default ``ACTIVE``), diffed as any other
    computed: frozenset[str] = frozenset()

    @override
    def suppressed(self, key: str, old: Any, new: Any, declared: bool) -> bool:
        """``user_name_template_push_status``'s ``DiffSuppressFunc``: ``new == ""``."""
        return key == "userNameTemplatePushStatus" and new in (None, "")

    @staticmethod
    def application(inputs: dict[str, Any]) -> dict[str, Any]:
        """``buildAppAutoLogin``: the Application object the Create and the Update send, every
        field from ``inputs`` or its default (``status`` is not in it: the lifecycle calls)."""
        body: dict[str, Any] = {"label": inputs.get("label", ""), "name": inputs.get("preconfiguredApp", "")}
        for key, (path, default) in APP_FIELDS.items():
            node = body
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = inputs.get(key, default)
        return body

    @override
    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        body = self.application(inputs)
        rid = org.create_app(
            str(body["label"]),
            str(inputs.get("preconfiguredApp", "")),
            body,
            activate=inputs.get("status", "ACTIVE") == "ACTIVE",
        )
        return rid, self._read(org, rid, inputs)

    @override
    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return self.update_from(org, rid, {}, inputs)

    @override
    def update_from(self, org: OktaOrg, rid: str, state: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        status = str(inputs.get("status", "ACTIVE"))
        if status != state.get("status"):  # AppUpdateStatus: the lifecycle call
            org.set_app_status(rid, status)
        others = [k for k in diff(self, state, inputs, []).changed if k != "status"]
        if state and not others:  # !d.HasChangeExcept("status"): no PUT, no Read
            return dict(state) | {"status": status}
        org.put_app(rid, self.application(inputs))
        return self._read(org, rid, inputs)

    @override
    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        if state.get("status", "ACTIVE") == "ACTIVE" and rid in org.apps:
            org.set_app_status(rid, "INACTIVE")
        org.delete_app(rid)

    @staticmethod
    def _read(org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any]:
        got = org.get_app(rid)
        fields = {key: _at(got, path) for key, (path, _) in APP_FIELDS.items()}
        read = {k: ("" if v is None else v) for k, v in fields.items()}
        return dict(state) | read | {"label": got["label"], "status": got["status"]}

    def read(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """``resourceAppAutoLoginRead`` (``pulumi refresh``): an app Okta no longer has clears the
        id (gone); else ``label``, ``status`` and every field of :data:`APP_FIELDS` as Okta holds
        them, so a label or a setting changed in the Admin Console, or a deactivation, becomes
        the state and the next ``pulumi up`` puts the config's back (:meth:`update_from`)."""
        return None if rid not in org.apps else self._read(org, rid, state)


class ConnectionModel(_Plain):
    """``okta_app_connection`` (terraform-plugin-framework, v6.5.0+,
    ``resource_okta_app_connection.go``):

    - ``Create`` and ``Update`` POST the connection, then, for ``action`` ``"activate"``, call
      activate and set ``status`` to ``ENABLED`` **themselves** (``"deactivate"``:
      ``DISABLED``), without asking Okta; then ``updateAppConnectionState`` stores Okta's
      ``baseUrl`` and ``profile.authScheme`` from the POST's response (the token is kept from
      the plan). Where Okta answers ``UNKNOWN`` (an app it does not serve through the
      Connections API), the stored ``baseUrl`` (``""``) and ``authScheme`` (``UNKNOWN``)
      differ from the declared ones: an update on every run, and the ``connectionStatus``
      output says ``ENABLED`` until a Read.
    - ``Read`` (``pulumi refresh``) asks Okta (``GET .../connections/default``): the same
      ``updateAppConnectionState``, then ``setStatus``: ``ENABLED`` -> ``action``
      ``"activate"``, ``DISABLED`` -> ``"deactivate"``, anything else (``UNKNOWN``) -> ``""``,
      so a declared ``"activate"`` differs on every run unless ignored. It has no 404 handling.
    - ``Delete`` only warns ("Delete Not Supported")."""

    @staticmethod
    def _stored(inputs: dict[str, Any], response: dict[str, str]) -> dict[str, Any]:
        """``updateAppConnectionState``: Okta's ``baseUrl`` and ``authScheme``, the rest as planned."""
        profile = dict(inputs.get("profile") or {}) | {"authScheme": response["authScheme"]}
        return dict(inputs) | {"baseUrl": response["baseUrl"], "profile": profile}

    @override
    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rid = inputs["idProperty"]
        return rid, self.update(org, rid, inputs)

    @override
    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        action = inputs.get("action")
        scheme = str((inputs.get("profile") or {}).get("authScheme", "TOKEN"))
        org.set_connection(rid, inputs.get("baseUrl", ""), action == "activate", scheme)
        state = self._stored(inputs, org.connection_response(rid))
        status = {"activate": "ENABLED", "deactivate": "DISABLED"}.get(str(action))
        return state if status is None else state | {"status": status}  # set by the provider, not read

    @override
    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        return None  # "App connections are managed through the application lifecycle"

    def read(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """Read asks Okta (``GET .../connections/default``) and has no 404 handling: on a
        deleted app it fails (:class:`~.okta_org.OktaApiError`), and so does the refresh."""
        response = org.connection_response(rid)
        action = {"ENABLED": "activate", "DISABLED": "deactivate"}.get(response["status"], "")
        return self._stored(state, response) | {"action": action, "status": response["status"]}


class FeaturesModel(_Plain):
    """``okta_app_features`` (``resource_okta_app_features.go``): Create and Update PUT the
    feature (``UpdateFeatureForApplication``) with the capabilities only
    (``buildUpdateAppFeature`` never sends ``status``) and store Okta's answer
    (``updateAppFeatureState``: its ``status`` among them), with no Read after. ``status`` is
    Optional, not Computed, so a declared value Okta does not answer fails the step as the
    plugin framework fails it ("Provider produced inconsistent result after apply"). Read adds
    an error on any API error ("Could not read app feature"), such as Okta's answer when
    provisioning is off. It cannot be deleted (``docs/resources/app_features.md``, #2565)."""

    @override
    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rid = f"{inputs['appId']}/{inputs.get('name', '')}"
        return rid, self.update(org, rid, inputs)

    @override
    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        app_id = inputs["appId"]
        caps = {k: v or "DISABLED" for k, v in capability_statuses(inputs.get("capabilities")).items()}
        answered = org.put_features(app_id, None, caps)  # raises when provisioning is off
        declared = inputs.get("status")
        if declared not in (None, "", answered):
            raise ProviderError(
                "Provider produced inconsistent result after apply: .status: was "
                f'cty.StringVal("{declared}"), but now cty.StringVal("{answered}") (the provider does not send it)',
            )
        return dict(inputs) | {"status": answered}

    @override
    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        return None  # "This resource cannot be deleted via Terraform"

    def read(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """Read adds an error on any API error ("Could not read app feature"), a deleted app
        (404) or provisioning off alike: the refresh fails."""
        org.get_features(state["appId"])
        return dict(state)


class AttributeModel(_Plain):
    """``okta_app_user_schema_property``: ``index``, ``type``, ``external_name``,
    ``external_namespace``, ``unique`` and ``array_type`` (``user_schema_property.go``,
    ``userSchemaSchema``) and ``scope`` (``resource_okta_app_user_custom_schema_property.go``)
    are ``ForceNew``. Read (``resourceAppUserSchemaPropertyRead`` -> ``syncCustomUserSchema``)
    sets ``scope``, ``external_name``, ``external_namespace`` and ``unique`` from Okta's
    property whatever the config declares (``array_type`` when it is an array): a value
    changed in the Profile Editor becomes the state at the next refresh, and the next
    ``pulumi up`` replaces the attribute (refused: ``protect``, and its guard)."""

    force_new = frozenset({"index", "type", "externalName", "externalNamespace", "scope", "unique", "arrayType"})
    #: what Read sets from Okta's property (its keys in the engine's camelCase)
    read_back = ("type", "scope", "externalName", "externalNamespace", "unique")

    @override
    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rid = f"{inputs['appId']}/{inputs['index']}"
        org.put_schema_property(inputs["appId"], inputs)
        return rid, dict(inputs)

    @override
    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return self.create(org, inputs)[1]

    @override
    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        org.delete_schema_property(state["appId"], state["index"])

    def read(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """The property Okta holds: :attr:`read_back` (``""`` for what Okta does not hold, as
        the SDK's zero value), ``arrayType`` when Okta holds one; gone (a 404 of the app's
        schema, or no such property: the id is cleared) with its app or the property."""
        app = org.apps.get(state["appId"])
        held = None if app is None else app.schema.get(state["index"])
        if held is None:
            return None
        read = {k: held.get(k) or "" for k in self.read_back}
        return dict(state) | read | ({"arrayType": held["arrayType"]} if held.get("arrayType") else {})


class GroupModel(_Plain):
    """``okta_group``: no ``ForceNew``; ``resourceGroupUpdate`` PUTs the new name in place."""

    @override
    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return org.create_group(inputs.get("name", ""), inputs.get("description")), dict(inputs)

    @override
    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        org.update_group(rid, inputs.get("name", ""), inputs.get("description"))
        return dict(inputs)

    @override
    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        org.delete_group(rid)

    def read(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """``resourceGroupRead``: a group Okta no longer has is gone (404); else its name,
        so a group renamed in the console is renamed back by the next update."""
        group = org.groups.get(rid)
        return None if group is None else dict(state) | {"name": group.name}


class GroupAssignmentModel(ResourceModel):
    """``okta_app_group_assignment`` (``resource_okta_app_group_assignment.go``):

    - ``app_id`` and ``group_id`` are ``ForceNew``;
    - ``buildAppGroupAssignment`` sends ``priority`` only ``if p, ok := d.GetOk("priority"); ok``:
      never 0 (since v3.16.0, PR #741);
    - ``priority``'s ``DiffSuppressFunc`` (PR #381, issue #377): ``p == n && new == "0"``, where an
      omitted value reads as the state's, so an omitted priority never differs, and a declared 0
      differs from any other value Okta holds, on every run;
    - ``profile``: ``NoChangeInObjectFromUnmarshaledJSON`` (:func:`no_change_in_json`);
    - Create and Update are the same ``PUT`` (an upsert on app and group); both end with Read,
      which stores Okta's priority and the whole profile Okta returns.
    """

    force_new = frozenset({"appId", "groupId"})

    @override
    def suppressed(self, key: str, old: Any, new: Any, declared: bool) -> bool:
        if key == "priority":
            return not declared or (old == new and new == 0)
        if key == "profile":
            return no_change_in_json(old, new)
        return False

    def _read(self, org: OktaOrg, app_id: str, group_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
        got = org.get_group_assignment(app_id, group_id)
        return dict(inputs) | {"priority": got["priority"], "profile": json.dumps(got["profile"])}

    @override
    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        app_id, group_id = inputs["appId"], inputs["groupId"]
        priority = inputs.get("priority") or None  # GetOk: 0 is "not set"
        profile = json.loads(inputs["profile"]) if inputs.get("profile") else None
        org.put_group_assignment(app_id, group_id, priority, profile)
        return group_id, self._read(org, app_id, group_id, inputs)

    @override
    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return self.create(org, inputs)[1]

    @override
    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        org.delete_group_assignment(state["appId"], state["groupId"])

    def read(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """``resourceAppGroupAssignmentRead``: a 404 (the assignment, or the app) clears the id
        (gone); else Okta's priority and whole profile."""
        try:
            return self._read(org, state["appId"], state["groupId"], state)
        except OktaApiError as exc:
            if exc.status == 404:
                return None
            raise


class AppUserModel(ResourceModel):
    """``okta_app_user`` (``resource_okta_app_user.go``):

    - no ``ForceNew``: a new ``user_id`` is an in-place update that assigns the new user and
      leaves the old one assigned;
    - ``profile``: ``NoChangeInObjectFromUnmarshaledJSON``; Read stores the whole profile Okta
      returns (mapped attributes included);
    - Delete is ``DELETE /api/v1/apps/{appId}/users/{userId}`` (Okta may refuse: E0000046).
    """

    force_new: frozenset[str] = frozenset()

    @override
    def suppressed(self, key: str, old: Any, new: Any, declared: bool) -> bool:
        if key == "profile":
            return no_change_in_json(old, new)
        return False

    def _read(self, org: OktaOrg, app_id: str, user_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
        got = org.get_app_user(app_id, user_id)
        return dict(inputs) | {"profile": json.dumps(got["profile"]), "username": got["userName"]}

    @override
    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        app_id, user_id = inputs["appId"], inputs["userId"]
        org.assign_user(app_id, user_id, json.loads(inputs.get("profile") or "{}"))
        return user_id, self._read(org, app_id, user_id, inputs)

    @override
    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return self.create(org, inputs)[1]

    @override
    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        org.unassign_user(state["appId"], state["userId"])

    def read(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """``resourceAppUserRead`` (``GET /api/v1/apps/{appId}/users/{userId}``): a 404 clears
        the id (gone); a user who has the app only through a group still answers 200 (scope
        ``GROUP``, :meth:`~.okta_org.OktaOrg.get_app_user`), so a direct assignment removed
        by hand from a group member stays in the state and is never created again."""
        try:
            return self._read(org, state["appId"], state["userId"], state)
        except OktaApiError as exc:
            if exc.status == 404:
                return None
            raise


def _ids(value: Any) -> list[str]:
    """A ``TypeSet`` of strings as the provider holds it: sorted, each once."""
    return sorted({str(v) for v in value or ()})


class _SetOfIds(_Plain):
    """A resource with ``TypeSet`` keys: the order of a set's elements is never a change."""

    sets: frozenset[str] = frozenset()

    @override
    def suppressed(self, key: str, old: Any, new: Any, declared: bool) -> bool:
        return key in self.sets and _ids(old) == _ids(new)


class GroupMembershipsModel(_SetOfIds):
    """``okta_group_memberships`` (``resource_okta_group_memberships.go``):

    - ``group_id`` is ``ForceNew``; ``users`` a ``TypeSet`` of user ids; the id is the group's
      (``d.SetId(groupId)``);
    - Create adds ``users`` (``addGroupMembers``; none: nothing is called) and removes no one;
      it ends without a Read (the state is the inputs);
    - Update adds the ids new to the set and removes those dropped from it (``d.GetChange``;
      its errors are discarded: ``diag.FromErr(err)`` is not returned), without a Read;
    - Delete removes the ids in the state (``removeGroupMembers``);
    - Read (a refresh only: :meth:`read`) lists the group's users (``ListGroupUsers``): with
      ``track_all_users`` (``checkIfUsersHaveChanged``) ``users`` becomes every member as soon
      as one was added or removed outside, so the next ``pulumi up`` removes a member added by
      hand; without it (``checkIfUsersHaveBeenRemoved``) only declared members who left drop out.
    """

    force_new = frozenset({"groupId"})
    sets = frozenset({"users"})

    @override
    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group_id = str(inputs["groupId"])
        if _ids(inputs.get("users")):
            org.add_group_members(group_id, _ids(inputs.get("users")))
        return group_id, dict(inputs)

    @override
    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return self.update_from(org, rid, {}, inputs)

    @override
    def update_from(self, org: OktaOrg, rid: str, state: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        old, new = set(_ids(state.get("users"))), set(_ids(inputs.get("users")))
        group_id = str(inputs["groupId"])
        try:
            org.add_group_members(group_id, sorted(new - old))
            org.remove_group_members(group_id, sorted(old - new))
        except OktaApiError:
            pass  # resourceGroupMembershipsUpdate: `diag.FromErr(err)` is computed and dropped
        return dict(inputs)

    @override
    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        org.remove_group_members(str(state["groupId"]), _ids(state.get("users")))

    def read(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """``resourceGroupMembershipsRead`` (``pulumi refresh``): the state with ``users`` as
        Read sets it (see the class docstring)."""
        members = org.group_member_ids(str(state["groupId"]))
        old = _ids(state.get("users"))
        if state.get("trackAllUsers"):
            changed = set(members) != set(old)
            return dict(state) | ({"users": sorted(members)} if changed else {})
        if not old:
            return dict(state)
        return dict(state) | {"users": [u for u in old if u in set(members)]}


class GroupRuleModel(_SetOfIds):
    """``okta_group_rule`` (``resource_okta_group_rule.go``):

    - ``group_assignments`` is ``ForceNew`` (a ``TypeSet``: "Actions cannot be updated even on
      a deactivated rule"); ``expression_type`` defaults to ``urn:okta:expression:1.0``;
    - Create creates the rule (Okta: ``INACTIVE``), then ``handleGroupRuleLifecycle``
      activates it when ``status`` is ``ACTIVE``, then Read (``status`` as Okta holds it);
    - Update: a changed ``status`` first (the lifecycle call), then, when the expression, the
      name or the exclusions changed, deactivate (if ``ACTIVE``), ``UpdateGroupRule``, activate
      again (Okta updates only inactive rules); then Read;
    - Delete deactivates an ``ACTIVE`` rule, then ``DeleteGroupRule`` with ``removeUsers`` =
      ``remove_assigned_users`` (default false: the members it added stay);
    - Read (``resourceGroupRuleRead``; a refresh: :meth:`read`) stores the name, status,
      expression, groups and ``users_excluded`` (``conditions.people.users.exclude``) Okta
      holds; a 404 clears the id. ``users_excluded`` is Optional, not Computed: an exclusion
      Okta added (a rule-managed member removed by hand) is a diff against a program that
      declares none, and the update sends the declared (empty) list (``buildGroupRule``).
      ``status`` (``statusSchema``: Optional, default ``ACTIVE``) is diffed like any argument:
      a rule deactivated by hand reads ``INACTIVE``, and the update's ``d.HasChange("status")``
      activates it (``handleGroupRuleLifecycle``); an expression edited by hand reads back as
      Okta's, and the update deactivates, PUTs the declared one, activates
      (``resourceGroupRuleUpdate``, ``hasGroupRuleChange``). Without a refresh the state still
      holds the declared values: a plain ``pulumi up`` sees neither.
    """

    force_new = frozenset({"groupAssignments"})
    sets = frozenset({"groupAssignments", "usersExcluded"})
    not_computed = frozenset({"usersExcluded"})
    #: ``status`` is the program's argument here (``statusSchema``), not a value only Read computes
    computed = frozenset({"username"})

    @staticmethod
    def _read(org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        rule = org.group_rule(rid)
        return dict(inputs) | {
            "name": rule.name,
            "expressionValue": rule.expression,
            "groupAssignments": list(rule.group_ids),
            "status": rule.status,
            "usersExcluded": sorted(rule.excluded),
        }

    def read(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """``resourceGroupRuleRead`` (``pulumi refresh``): Okta's rule; ``None`` on 404."""
        if rid not in org.rules:
            return None
        return self._read(org, rid, state)

    @override
    def create(self, org: OktaOrg, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rid = org.create_group_rule(
            str(inputs.get("name", "")),
            str(inputs.get("expressionValue", "")),
            _ids(inputs.get("groupAssignments")),
            _ids(inputs.get("usersExcluded")),
        )
        if inputs.get("status", "ACTIVE") == "ACTIVE":
            org.set_group_rule_status(rid, "ACTIVE")
        return rid, self._read(org, rid, inputs)

    @override
    def update(self, org: OktaOrg, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return self.update_from(org, rid, {}, inputs)

    @override
    def update_from(self, org: OktaOrg, rid: str, state: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        desired = str(inputs.get("status", "ACTIVE"))
        if desired != org.group_rule(rid).status:
            org.set_group_rule_status(rid, desired)
        excluded = _ids(inputs.get("usersExcluded"))
        if excluded != _ids(state.get("usersExcluded")) or any(
            state.get(k) != inputs.get(k) for k in ("name", "expressionValue", "expressionType")
        ):
            if desired == "ACTIVE":
                org.set_group_rule_status(rid, "INACTIVE")
            org.update_group_rule(rid, str(inputs.get("name", "")), str(inputs.get("expressionValue", "")), excluded)
            if desired == "ACTIVE":
                org.set_group_rule_status(rid, "ACTIVE")
        return self._read(org, rid, inputs)

    @override
    def delete(self, org: OktaOrg, rid: str, state: dict[str, Any]) -> None:
        if rid not in org.rules:
            return
        if org.group_rule(rid).status == "ACTIVE":
            org.set_group_rule_status(rid, "INACTIVE")
        org.delete_group_rule(rid, bool(state.get("removeAssignedUsers")))


#: Pulumi type token -> the provider's model of it.
MODELS: dict[str, ResourceModel] = {
    GROUP_MEMBERSHIPS: GroupMembershipsModel(),
    GROUP_RULE: GroupRuleModel(),
    APP: AutoLoginModel(),
    CONNECTION: ConnectionModel(),
    FEATURES: FeaturesModel(),
    ATTRIBUTE: AttributeModel(),
    GROUP: GroupModel(),
    GROUP_ASSIGNMENT: GroupAssignmentModel(),
    APP_USER: AppUserModel(),
}


def read(type_: str, org: OktaOrg, rid: str, state: dict[str, Any]) -> dict[str, Any] | None:
    """The provider's Read of a resource (``pulumi refresh``): the state Okta's answer gives,
    ``None`` when the resource is gone (a 404 the provider handles), the state unchanged for a
    type whose Read is not modelled.

    :raises OktaApiError: the Read fails (an error the provider does not handle)."""
    reader = getattr(MODELS.get(type_), "read", None)
    return dict(state) if reader is None else reader(org, rid, state)


def diff(model: ResourceModel, state: dict[str, Any], inputs: dict[str, Any], ignore: list[str]) -> Diff:
    """The provider's diff of the declared ``inputs`` against the ``state`` its last Read
    stored: every declared key, every key with a default (:attr:`ResourceModel.defaults`: an
    argument not set is its default), and every key the state holds that is no longer
    declared, minus the ``ignore`` list (the bridge passes ``ignoreChanges`` to the diff) and what
    ``DiffSuppressFunc`` suppresses."""
    result = Diff()
    inputs = {**model.defaults, **inputs}  # an argument not set is its default
    for key in sorted(set(inputs) | set(state)):
        if key in ignore or key in model.computed:  # computed by Read
            continue
        declared = key in inputs
        old, new = state.get(key), inputs.get(key)
        if old == new or model.suppressed(key, old, new, declared):
            continue
        if old in (None, "") and new in (None, ""):  # an unset Optional string is "" (SDKv2)
            continue
        if not declared and key not in model.force_new and key not in model.not_computed:
            continue  # Optional and not set: the state's value stands
        result.changed.append(key)
        if key in model.force_new:
            result.replace.append(key)
    return result

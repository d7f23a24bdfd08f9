"""One rulebook of Own's setup page: each rule judges a snapshot of an app's settings, and both
faces, the emulated org (``simulate``, ``review``) and a live one (``verify``), report by it."""

from __future__ import annotations

import pytest

from ownscim_infra.config import load_config
from ownscim_infra.domain.findings import Code
from ownscim_infra.domain.own_setup import CAPABILITY_LABELS, OWN_CAPABILITIES, REGIONS_NAMESPACE
from ownscim_infra.domain.setup_rules import RULES, AppSettings, AttributeSettings, breaches
from ownscim_infra.live import okta_api, verify
from ownscim_infra.offline.findings import setup_findings
from ownscim_infra.offline.okta_provisioning import Assignment, OktaApp, RegionsAttribute
from tests.conftest import EXAMPLE

GOOD_ATTRIBUTE = AttributeSettings("regions", REGIONS_NAMESPACE, "NONE", "string")
GOOD = AppSettings(
    capabilities=dict(OWN_CAPABILITIES),
    source="test",
    attribute=GOOD_ATTRIBUTE,
    feature_status="ENABLED",
    group_priorities=(("Own US", 1), ("Own EMEA", 2)),
)
WRONG = {
    Code.REGIONS_ATTRIBUTE_MISSING: {"attribute": None},
    Code.REGIONS_NAMESPACE: {"attribute": AttributeSettings("regions", REGIONS_NAMESPACE + ":User", "NONE", "string")},
    Code.REGIONS_EXTERNAL_NAME: {"attribute": AttributeSettings("region", REGIONS_NAMESPACE, "NONE", "string")},
    Code.REGIONS_TYPE: {"attribute": AttributeSettings("regions", REGIONS_NAMESPACE, "NONE", "array")},
    Code.REGIONS_SCOPE: {"attribute": AttributeSettings("regions", REGIONS_NAMESPACE, "SELF", "string")},
    Code.FEATURE_STATUS: {"feature_status": "DISABLED"},
    Code.CAPABILITY_CREATE: {"capabilities": {**OWN_CAPABILITIES, "lifecycleCreate": "DISABLED"}},
    Code.CAPABILITY_DEACTIVATE: {"capabilities": {**OWN_CAPABILITIES, "lifecycleDeactivate": "DISABLED"}},
    Code.CAPABILITY_PROFILE: {"capabilities": {**OWN_CAPABILITIES, "profile": "ENABLED"}},
    Code.CAPABILITY_PASSWORD: {"capabilities": {**OWN_CAPABILITIES, "password": "ENABLED"}},
    Code.PUSH_GROUPS: {"push_groups": True},
    Code.PUSH_MAPPINGS: {"push_mappings": 2},
    Code.PRIORITY_TIE: {"group_priorities": (("Own US", 1), ("Own EMEA", 1))},
}


def with_(**changes: object) -> AppSettings:
    return AppSettings(**{**GOOD.__dict__, **changes})  # type: ignore[arg-type]


def test_the_setup_page_as_written_breaks_no_rule():
    assert breaches(GOOD) == []


def test_every_rule_has_a_case_here():
    assert set(WRONG) == {rule.code for rule in RULES}


@pytest.mark.parametrize("code", list(WRONG), ids=str)
def test_each_wrong_setting_breaks_its_rule_and_only_it(code):
    assert [b.code for b in breaches(with_(**WRONG[code]))] == [code]


def test_a_setting_the_snapshot_could_not_read_is_not_judged():
    wrong = with_(**WRONG[Code.REGIONS_TYPE], unread=frozenset({"type"}))
    assert breaches(wrong) == []


def test_capabilities_and_the_attribute_matter_only_once_someone_is_assigned():
    nobody = with_(attribute=None, capabilities=dict.fromkeys(OWN_CAPABILITIES, "DISABLED"), assigned=False)
    assert breaches(nobody) == []


# --------------------------------------------------------------------------- the two faces


def offline_app(settings: AppSettings) -> OktaApp:
    attr = settings.attribute
    return OktaApp(
        capabilities={k: v or "DISABLED" for k, v in settings.capabilities.items()},
        capabilities_source="test",
        attribute=None if attr is None else RegionsAttribute(attr.external_name, attr.external_namespace, attr.scope),
        assignments=tuple(
            Assignment(f"group {g}", {"regions": "us1"}, group=g, priority=p) for g, p in settings.group_priorities
        ),
    )


def live_app(settings: AppSettings) -> okta_api.LiveApp:
    attr, caps = settings.attribute, settings.capabilities
    return okta_api.LiveApp(
        org_url="https://example.okta.com",
        app=okta_api.App(
            "0oa1", "scim2headerauth", "Own", "ACTIVE", None, ("GROUP_PUSH",) if settings.push_groups else ()
        ),
        connection=None,
        feature=okta_api.ProvisioningFeature(
            settings.feature_status,
            caps["lifecycleCreate"],
            caps["lifecycleDeactivate"],
            caps["profile"],
            caps["password"],
        ),
        push_mappings=[okta_api.PushMapping(f"m{n}", "00g1", None, "ACTIVE") for n in range(settings.push_mappings)],
        schema_attributes=None
        if attr is None
        else {
            "regions": okta_api.SchemaAttribute(
                "regions", "regions", attr.type, attr.scope, attr.external_name, attr.external_namespace
            )
        },
        groups=[
            okta_api.GroupAssignment(f"00g{n}", g, None, p, {}) for n, (g, p) in enumerate(settings.group_priorities)
        ],
        users=[],
        people={},
        groups_by_name={},
    )


#: The rules the emulated org can be judged by (it keeps no attribute type, no Push Groups, and
#: folds the feature's status into the capabilities).
OFFLINE = [c for c in WRONG if c not in (Code.REGIONS_TYPE, Code.FEATURE_STATUS, Code.PUSH_GROUPS, Code.PUSH_MAPPINGS)]


@pytest.mark.parametrize("code", OFFLINE, ids=str)
def test_the_emulated_org_reports_each_breach_by_its_rule(code):
    settings = with_(**WRONG[code])
    app = offline_app(settings)
    assert app.settings().capabilities == {k: v or "DISABLED" for k, v in settings.capabilities.items()}
    assert [f.code for f in setup_findings(app.settings())] == [code]


#: verify's check for each rule (the priority tie is the group checks' business: Okta orders by position).
LIVE = {
    **dict.fromkeys([Code.FEATURE_STATUS, *[r.code for r in RULES if r.setting in CAPABILITY_LABELS]], Code.FEATURES),
    **dict.fromkeys(
        [Code.REGIONS_ATTRIBUTE_MISSING, Code.REGIONS_NAMESPACE, Code.REGIONS_EXTERNAL_NAME, Code.REGIONS_TYPE],
        Code.REGIONS_ATTRIBUTE,
    ),
    Code.REGIONS_SCOPE: Code.REGIONS_ATTRIBUTE,
    Code.PUSH_GROUPS: Code.GROUP_PUSH,
    Code.PUSH_MAPPINGS: Code.GROUP_PUSH,
}


@pytest.mark.parametrize("code", list(LIVE), ids=str)
def test_verify_reports_each_breach_by_its_rule(code):
    config = load_config(EXAMPLE)
    live = live_app(with_(**WRONG[code]))
    assert [b.code for b in breaches(verify.settings_of(live))] == [code]
    checks = [verify.check_features(config, live), verify.check_group_push(live), verify.check_attribute(config, live)]
    assert {f.code: str(f.status) for f in checks} == {
        check: "drift" if check == LIVE[code] else "ok"
        for check in (Code.FEATURES, Code.GROUP_PUSH, Code.REGIONS_ATTRIBUTE)
    }


def test_a_tie_names_its_groups():
    [tie] = setup_findings(offline_app(with_(**WRONG[Code.PRIORITY_TIE])).settings())
    assert tie.code == Code.PRIORITY_TIE and tie.groups == ("Own US", "Own EMEA")

"""The Okta lookups the program makes: a hundred people (or existing groups) a call, the same
resources as one lookup a person declared, and a clear failure naming what Okta does not have.

``golden/generated-250.resources.jsonl`` holds the resources the program declared for the
generated 250-person config *before* the lookups were batched (commit 597610b, one
``okta.user.get_user`` a person): batching must not change one of them. Regenerate it only
for a change of the resources made on purpose (``OWNSCIM_UPDATE_GOLDEN=1``).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from urllib.parse import quote_plus

import pulumi
import pytest

from ownscim_infra.offline.mocks import OfflineMocks, lookup_group_id, lookup_user_id
from ownscim_infra.offline.plan import build_plan
from ownscim_infra.program import lookups
from tests import generated
from tests.conftest import example_data, run_config

BEFORE_BATCHING = Path(__file__).parent.parent / "offline" / "golden" / "generated-250.resources.jsonl"
USERS = "okta:user/getUsers:getUsers"
GROUPS = "okta:index/getGroups:getGroups"


@pytest.fixture(scope="module")
def plan_250(tmp_path_factory):
    config, _ = generated.write(tmp_path_factory.mktemp("generated"), 250, 12)
    return build_plan(config)


def searched_logins(plan) -> list[list[str]]:
    return [lookups.searched_logins(x["args"]["searches"]) for x in plan.lookups if x["token"] == USERS]


def test_250_people_are_read_in_3_lookups(plan_250):
    calls = [x for x in plan_250.lookups if x["token"] == USERS]
    assert len(calls) == 3 == math.ceil(250 / 100)
    assert all(call["args"]["compoundSearchOperator"] == "or" for call in calls)
    batches = searched_logins(plan_250)
    assert sorted(len(b) for b in batches) == [50, 100, 100]
    assert sorted(login for b in batches for login in b) == sorted(p.login for p in plan_250.config.people)
    assert not [x for x in plan_250.lookups if x["token"] not in (USERS, GROUPS)]  # no lookup a person is left


def test_existing_groups_are_read_in_one_lookup(plan_250):
    [call] = [x for x in plan_250.lookups if x["token"] == GROUPS]
    existing = [g.name for g in plan_250.config.groups if not g.create]
    assert len(existing) == 2
    assert call["args"] == {
        "search": 'type eq "OKTA_GROUP" and (profile.name eq "Own Team 004" or profile.name eq "Own Team 009")'
    }


def test_every_resource_is_the_one_declared_before_batching(plan_250):
    now = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in plan_250.to_json()["resources"]]
    if os.environ.get("OWNSCIM_UPDATE_GOLDEN") == "1":
        BEFORE_BATCHING.write_text("\n".join(now) + "\n", encoding="utf-8")
    before = BEFORE_BATCHING.read_text(encoding="utf-8").splitlines()
    assert len(now) == len(before) == 275
    for old, new in zip(before, now, strict=True):
        assert new == old


class OktaWithout(OfflineMocks):
    """An org where some logins and group names do not exist; the others are answered in
    Okta's own case (upper), with Okta's ids."""

    def __init__(self, *missing: str) -> None:
        super().__init__()
        self.missing = set(missing)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list | None]:
        answer, deps = super().call(args)
        for key, field in (("users", "login"), ("groups", "name")):
            if key in answer:
                answer[key] = [
                    {**item, field: item[field].upper(), "id": f"okta-{item[field]}"}
                    for item in answer[key]
                    if item[field] not in self.missing
                ]
        return answer, deps


def test_a_login_okta_does_not_have_fails_the_program_naming_it(write_config):
    path = write_config(example_data())
    with pytest.raises(pulumi.RunError) as failure:  # Pulumi prints a RunError's message, no traceback
        run_config(path, mocks=OktaWithout("sam.rivera@example.com"))
    assert isinstance(failure.value, lookups.NotFoundInOkta)
    assert str(failure.value).startswith("Okta has no user with the login 'sam.rivera@example.com': check `people`")
    assert "dana.lee" not in str(failure.value)


def test_every_missing_login_and_group_is_named_at_once(tmp_path):
    config, _ = generated.write(tmp_path, 250, 12)
    gone = [generated.login(3), generated.login(240)]  # in two different lookups
    with pytest.raises(lookups.NotFoundInOkta, match="users with the logins") as failure:
        run_config(config, mocks=OktaWithout(*gone))
    assert failure.value.missing == gone
    with pytest.raises(lookups.NotFoundInOkta, match=r"no group \(type OKTA_GROUP\) named 'Own Team 009'"):
        run_config(config, mocks=OktaWithout(generated.group_name(9)))


def test_okta_matches_logins_and_group_names_whatever_their_case(write_config):
    """Okta compares logins and group names case-insensitively and answers in its own case."""
    run = run_config(write_config(example_data()), mocks=OktaWithout())
    inputs = {r.name: r.inputs for r in run.registrations}
    assert inputs["own-scim-user-dana.lee@example.com"]["userId"] == "okta-dana.lee@example.com"
    assert inputs["own-scim-group-assignment-salesforce-admins"]["groupId"] == "okta-Salesforce Admins"


def test_quotes_and_backslashes_are_escaped_in_okta_searches(write_config):
    data = example_data()
    data["groups"][3]["name"] = 'Sales "EMEA" \\ Ops'
    data["people"][0]["login"] = 'o"neil\\x@example.com'
    plan = build_plan(write_config(data))
    users = next(  # the people's lookup (the groups' members have their own)
        x for x in plan.lookups if x["token"] == USERS and len(x["args"]["searches"]) == 2
    )["args"]["searches"]
    assert users[0] == {"expression": r'profile.login eq "o\"neil\\x@example.com"'}  # the provider would not escape
    assert users[1] == {"name": "profile.login", "value": "sam.rivera@example.com", "comparison": "eq"}
    groups = next(x for x in plan.lookups if x["token"] == GROUPS)["args"]["search"]
    assert groups == r'type eq "OKTA_GROUP" and (profile.name eq "Sales \"EMEA\" \\ Ops")'
    inputs = {r.name: r.inputs for r in plan.resources}
    assert inputs["own-scim-user-o-neil-x@example.com"]["userId"] == lookup_user_id('o"neil\\x@example.com')
    assert inputs["own-scim-group-assignment-sales-emea-ops"]["groupId"] == lookup_group_id('Sales "EMEA" \\ Ops')


def test_long_logins_make_smaller_lookups_within_the_search_limit():
    """100 logins of 100 characters would make a 13 KB search: the batches stay under
    MAX_SEARCH_CHARS, in order, each login once."""
    logins = [f"{'x' * 80}{i:05d}@example-company.com"[-100:] for i in range(250)]
    batches = lookups.user_batches(logins + logins[:10])
    assert [login for batch in batches for login in batch] == logins
    assert len(batches) > 3
    for batch in batches:
        search = " or ".join(f'profile.login eq "{login}"' for login in batch)
        assert len(batch) <= lookups.VALUES_PER_LOOKUP and len(quote_plus(search)) <= lookups.MAX_SEARCH_CHARS
    typical = [generated.login(i) for i in range(1000)]
    assert [len(b) for b in lookups.user_batches(typical)] == [100] * 10

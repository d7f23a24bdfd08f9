"""The offline plan, as reviewers use it: the command, its three formats, its errors."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from ownscim_infra.config import load_config
from ownscim_infra.offline.plan import RENDERERS, build_plan, render_markdown, render_text
from tests.cli.runner import Ran, ownscim
from tests.conftest import EXAMPLE, KNOWN_TOKEN, REPO, example_data


def plan_cmd(*args: str) -> Ran:
    return ownscim("plan", *args)


@pytest.fixture(scope="module")
def example_plan(api_example):
    """The example set up through Okta's API: the connection carries the token."""
    return build_plan(api_example, scim_token=KNOWN_TOKEN)


def test_json_lists_every_resource_with_inputs_and_options(example_plan):
    doc = json.loads(RENDERERS["json"](example_plan))
    assert set(doc) == {"config", "resources", "lookups", "outputs", "warnings"}
    assert [w["code"] for w in doc["warnings"]] == ["api-provisioning"]
    types = [r["type"] for r in doc["resources"]]
    assert types[:5] == [
        "ownscim:okta:OwnScimProvisioning",
        "okta:app/autoLogin:AutoLogin",
        "okta:app/connection:Connection",
        "okta:app/features:Features",
        "okta:index/appUserSchemaProperty:AppUserSchemaProperty",
    ]
    assert len(doc["resources"]) == 20  # 6 groups: 5 created, 6 assignments, 1 memberships, 1 rule
    for r in doc["resources"]:
        assert set(r) == {"type", "name", "parent", "inputs", "options"}
        assert set(r["options"]) == {
            "protect",
            "deleteBeforeReplace",
            "replaceOnChanges",
            "dependsOn",
            "beforeDeleteHooks",
            "ignoreChanges",
            "replacementTrigger",
        }
    conn = next(r for r in doc["resources"] if r["type"] == "okta:app/connection:Connection")
    assert conn["inputs"]["profile"] == {"authScheme": "TOKEN", "token": "[secret]"}
    assigns = [r for r in doc["resources"] if r["type"] == "okta:app/groupAssignment:GroupAssignment"]
    assert [a["inputs"]["priority"] for a in assigns] == [1, 2, 3, 4, 5, 6]
    assert doc["outputs"]["peopleCount"] == 2


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_known_token_in_no_format(example_plan, fmt):
    out = RENDERERS[fmt](example_plan)
    assert KNOWN_TOKEN not in out
    assert "[secret]" in out


def test_markdown_has_tables_and_mermaid(example_plan):
    md = render_markdown(example_plan)
    assert "| 1 | Own Admins Global | created | emea2, uk1, us1 |" in md
    assert "| 4 | Salesforce Admins | existing (looked up by name) | us1 |" in md
    assert "| sam.rivera@example.com | all regions (us1, emea2, uk1) |" in md
    assert "| Update User Attributes (profile) | DISABLED |" in md
    assert "```mermaid\ngraph LR" in md
    assert "  g1 --> r_emea2" in md and "  g1 --> r_uk1" in md


def test_group_names_cannot_inject_markdown_or_mermaid(write_config):
    data = example_data()
    data["groups"][0]["name"] = 'Evil"] --> r_us1 <img src=x onerror=alert(1)> | x'
    md = render_markdown(build_plan(write_config(data)))
    assert '  g0["1: Evil#quot;] --#gt; r_us1 #lt;img src=x onerror=alert(1)#gt; | x"]' in md
    assert '| 1 | Evil"] --&gt; r_us1 &lt;img src=x onerror=alert(1)&gt; \\| x | created | emea2, uk1, us1 |' in md
    assert "<img" not in md.split("### Stack outputs")[0]  # the outputs are in an inert code block


def test_text_fits_100_columns_unless_wide(example_plan):
    narrow, wide = render_text(example_plan), render_text(example_plan, width=None)
    assert max(len(line) for line in narrow.splitlines()) <= 100
    assert max(len(line) for line in wide.splitlines()) > 100
    assert "own-scim-regions-attribute" in narrow and "Depends on" in wide and "Depends on" not in narrow


def test_text_summarises_for_a_terminal(example_plan):
    text = render_text(example_plan, width=None)
    assert text.startswith("Offline plan for ")
    assert "20 resources" in text.splitlines()[0]
    assert (
        "externalNamespace urn:ietf:params:scim:schemas:core:2.0, scope NONE, protected, deletion guarded by a hook"
    ) in text
    assert "  2: Own EMEA -> emea2, uk1" in text
    assert "|" not in text.split("Resources:")[0]


def test_summaries_come_from_the_declared_resources_not_the_yaml():
    """If the program declared something else than the YAML says, the plan must show it."""
    plan = build_plan(EXAMPLE)  # its own plan: the module's fixture stays untouched
    for r in plan.resources:
        if r.type == "okta:app/groupAssignment:GroupAssignment" and r.inputs["priority"] == 2:
            r.inputs["profile"] = json.dumps({"regions": "us1"})
    assert "| 2 | Own EMEA | created | us1 |" in render_markdown(plan)


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_command_is_deterministic(fmt):
    first, second = plan_cmd("--format", fmt), plan_cmd("--format", fmt)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert first.stdout


def test_default_config_is_the_example():
    res = plan_cmd()
    assert res.returncode == 0
    assert res.stdout.startswith("Offline plan for config/example.yaml")


def test_invalid_config_exits_2_with_every_error_and_no_traceback(write_config):
    data = example_data()
    data["groups"][1]["regions"] = ["us1", "nowhere1"]
    data["app"]["token"] = "abc"
    path = write_config(data)
    res = plan_cmd(str(path), "--format", "json")
    assert res.returncode == 2
    assert res.stdout == ""
    assert "Traceback" not in res.stderr
    assert re.search(
        rf"{re.escape(str(path))}:\d+:\d+: groups\[1\] \(Own EMEA\)\.regions\[1\]: region 'nowhere1' is not", res.stderr
    )
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: app\.token: secrets never go in the config file", res.stderr)


def test_manual_plan_shows_steps(write_config):
    data = example_data()
    data["app"].pop("manual_steps_done")
    res = plan_cmd(str(write_config(data)), "--format", "markdown")
    assert res.returncode == 0, res.stderr
    assert "| Provisioning | manual: set by hand in the Admin Console (steps in the outputs) |" in res.stdout
    assert "Deactivate Users: enabled" in res.stdout
    assert "regions attribute | not declared yet" in res.stdout
    assert res.stdout.count("(none yet: assignments are declared once app.manual_steps_done is true") == 2


def test_unknown_command_and_no_command_exit_2():
    res = ownscim()
    assert res.returncode == 2 and "plan" in res.stderr
    res = ownscim("nosuch")
    assert res.returncode == 2 and "invalid choice: 'nosuch'" in res.stderr


def test_directory_adds_the_blocked_assignment_warning(tmp_path):
    """dana.lee is assigned directly and is in Own US: Okta will refuse to delete her direct
    assignment (E0000046), so the plan warns before anyone changes her regions."""
    res = plan_cmd("config/example.yaml", "--directory", "config/example-directory.yaml", "--wide")
    assert res.returncode == 0, res.stderr
    assert (
        "[assignment-blocked-by-group] dana.lee@example.com is assigned directly and is in assigned group(s) "
        "Own US" in res.stdout
    )
    alone = tmp_path / "acme.yaml"  # no acme-directory.yaml beside it
    alone.write_text((REPO / "config" / "example.yaml").read_text())
    assert "assignment-blocked-by-group" not in plan_cmd(str(alone)).stdout  # needs the directory
    # the example's directory sits beside it: found without --directory
    assert "[assignment-blocked-by-group] dana.lee@example.com" in plan_cmd("config/example.yaml", "--wide").stdout


def test_the_config_is_read_once_a_plan_and_again_when_it_changes(write_config):
    """The plan reads the config and the program it runs reads it again: the second read of
    the unchanged file gives the config already validated; an edit between two plans shows."""
    data = example_data()
    path = write_config(data)
    first = build_plan(path)
    assert load_config(path) is first.config
    data["groups"][0]["regions"] = ["uk1"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert "| 1 | Own Admins Global | created | uk1 |" in render_markdown(build_plan(path))


def test_a_member_missing_from_the_directory_is_warned_as_a_person_is(write_config):
    """A login in a group's ``members`` that the directory does not have fails ``pulumi up``
    (the program looks members up by login) as a missing ``people`` login does: the plan
    warns about both, the member by its key path."""
    data = example_data()
    dach = next(i for i, g in enumerate(data["groups"]) if g.get("members"))
    data["groups"][dach]["members"].append("mia.schmit@example.com")
    res = plan_cmd(str(write_config(data)), "--directory", "config/example-directory.yaml", "--wide")
    assert res.returncode == 0, res.stderr
    assert (
        f"[person-not-in-okta] groups[{dach}].members[1] (Own DACH): mia.schmit@example.com is not in the directory "
        "(did you mean mia.schmidt@example.com?): pulumi up fails looking the person up by login"
    ) in res.stdout

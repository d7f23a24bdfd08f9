"""Issue 17's "done means", through the CLI: a ``regions`` value edited in the Admin Console is
not repaired by a plain ``pulumi up``, the report names the repair, and that repair converges."""

from __future__ import annotations

import json

from tests.cli.runner import ownscim

CONFIG = "config/example.yaml"
GROUP_URN = (
    "urn:pulumi:example::ownscim::ownscim:okta:OwnScimProvisioning$okta:app/groupAssignment:GroupAssignment"
    "::own-scim-group-assignment-own-us"
)


def simulate(*argv: str) -> tuple[int, dict]:
    ran = ownscim("simulate", CONFIG, "--previous", CONFIG, "--format", "json", *argv)
    assert ran.returncode in (0, 1), ran.stderr
    return ran.returncode, json.loads(ran.stdout)


def test_a_console_edit_is_not_repaired_by_pulumi_up_and_its_named_repair_converges(tmp_path):
    console = tmp_path / "console.yaml"
    console.write_text("- {action: set-regions, group: Own US, regions: emea2}\n")

    code, plain = simulate("--console", str(console))
    assert code == 1, "drift is left: exit 1"
    assert {c["op"] for c in plain["changes"]} == {"same"}, "a plain pulumi up changes nothing"
    assert {c["op"] for c in plain["nextRun"]} == {"same"}, "and nor does the next one: the drift stays"
    (drift,) = plain["drift"]
    assert drift["resource"] == "own-scim-group-assignment-own-us"
    repair = drift["repair"]
    assert repair.startswith(f"pulumi up --replace '{GROUP_URN}'")

    urn = repair.split("'")[1]
    code, repaired = simulate("--console", str(console), "--replace", urn)
    assert code == 0, repaired
    assert [c["name"] for c in repaired["changes"] if c["op"] != "same"] == ["own-scim-group-assignment-own-us"]
    assert repaired["drift"] == [
        {"resource": "own-scim-group-assignment-own-us", "what": drift["what"], "repair": None}
    ]
    assert {c["op"] for c in repaired["nextRun"]} == {"same"}, "a further pulumi up is all same: converged"
    jordan = next(u for u in repaired["users"] if u["login"] == "jordan.kim@example.com")
    assert jordan["ok"] and jordan["own"]["regions"] == ["us1"]


def test_the_text_report_shows_the_drift_and_its_repair_whole(tmp_path):
    console = tmp_path / "console.yaml"
    console.write_text("- {action: set-regions, group: Own US, regions: emea2}\n")
    ran = ownscim("simulate", CONFIG, "--previous", CONFIG, "--console", str(console))
    assert ran.returncode == 1, ran.stderr
    assert "Admin Console, before this run: set-regions group 'Own US': regions 'emea2'" in ran.stdout
    assert "Drift: the config against Okta after the run (1 left, 0 repaired):" in ran.stdout
    assert f"      pulumi up --replace '{GROUP_URN}'\n" in ran.stdout, "the URN on one line, to copy"
    assert "A further pulumi up (previewed): all 18 resource(s) same" in ran.stdout


def test_review_takes_the_console_file_and_reports_the_drift(tmp_path):
    console = tmp_path / "console.yaml"
    console.write_text("- {action: unassign, group: Own EMEA}\n")
    ran = ownscim("review", CONFIG, CONFIG, "--console", str(console), "--refresh", "--format", "json")
    assert ran.returncode in (0, 1), ran.stderr
    document = json.loads(ran.stdout)
    assert document["drift"] == [
        {
            "resource": "own-scim-group-assignment-own-emea",
            "what": "group 'Own EMEA' is not assigned to the app",
            "repair": None,
        }
    ]
    assert [r["name"] for r in document["resources"]] == ["own-scim-group-assignment-own-emea"]


def test_a_bad_console_file_exits_2_naming_the_key(tmp_path):
    console = tmp_path / "console.yaml"
    console.write_text("- {action: unassign, group: Own US}\n- {action: paint-it-blue}\n")
    ran = ownscim("simulate", CONFIG, "--previous", CONFIG, "--console", str(console))
    assert ran.returncode == 2
    assert f"{console}:2:12: [1].action: must be 'set-regions', 'unassign'" in ran.stderr
    assert "(got 'paint-it-blue')" in ran.stderr


def test_an_app_renamed_in_the_console_is_repaired_by_the_named_refresh_and_converges(tmp_path):
    """Issue 17.7: the app's label comes back only through its Read (``pulumi up --refresh``)."""
    console = tmp_path / "console.yaml"
    console.write_text("- {action: rename-app, to: Own (old)}\n")
    code, plain = simulate("--console", str(console))
    assert code == 1
    assert {c["op"] for c in plain["changes"]} == {"same"}, "a plain pulumi up does not repair it"
    (drift,) = plain["drift"]
    assert drift["resource"] == "own-scim-app" and drift["repair"].startswith("pulumi up --refresh ")

    code, repaired = simulate("--console", str(console), "--refresh")
    assert code == 0, repaired
    assert [(c["name"], c["op"]) for c in repaired["changes"] if c["op"] != "same"] == [("own-scim-app", "update")]
    assert repaired["drift"] == [{"resource": "own-scim-app", "what": drift["what"], "repair": None}]
    assert {c["op"] for c in repaired["nextRun"]} == {"same"}, "a further pulumi up is all same: converged"

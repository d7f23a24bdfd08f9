"""The one wording of each repair: ``verify`` (live) and ``simulate``'s drift name the same
command for the same drift, and a command naming a URN is printed whole."""

from __future__ import annotations

from ownscim_infra.config import load_config
from ownscim_infra.domain import repairs
from ownscim_infra.live.verify import Repairs
from tests.conftest import EXAMPLE


def test_verify_and_the_drift_word_a_repair_the_same():
    config = load_config(EXAMPLE)
    live = Repairs(config, "acme-prod")
    assert live.group_regions("Own US") == repairs.group_regions("acme-prod", "own-us")
    assert live.person_regions("dana.lee@example.com", "emea2") == repairs.person_regions(
        "acme-prod", "Own", "dana.lee@example.com", "emea2"
    )
    assert live.console_assignments == repairs.console_assignments("Own")


def test_every_command_naming_a_urn_is_printed_whole_on_its_own_line():
    text = repairs.app_deleted("acme-prod", "own-scim-connection", "own-scim-features")
    lines = repairs.repair_lines(text, 60, "  ")
    urns = [line for line in lines if "urn:pulumi:" in line]
    assert [line.split("'")[0].strip() for line in urns] == ["pulumi state delete", "pulumi state delete"]
    assert all(line.endswith("'") and len(line) > 60 for line in urns), "whole, wider than the width"
    assert all(len(line) <= 60 for line in lines if line not in urns)
    assert ";" not in lines

"""The findings' messages (ownscim_infra/offline/findings.py) read as sentences whatever the
settings' source: where Okta's settings were read or set is said beside the value."""

from __future__ import annotations

import pytest

from ownscim_infra.domain.own_setup import OWN_CAPABILITIES
from ownscim_infra.domain.setup_rules import AppSettings
from ownscim_infra.offline.findings import setup_findings

#: The sources the emulated Okta (okta_provisioning.OktaApp.from_org) and verify give.
SOURCES = [
    "provisioning is off: the app is INACTIVE, deactivated in Okta",
    "provisioning is off: the connection is UNKNOWN",
    "set by hand in the Admin Console",
    "USER_PROVISIONING read through Okta's API",
    "no app",
]


@pytest.mark.parametrize("source", SOURCES)
def test_a_capability_off_names_its_source_in_parentheses(source):
    settings = AppSettings(capabilities=dict.fromkeys(OWN_CAPABILITIES, "DISABLED"), source=source, attribute=None)
    found = {f.code: f.message for f in setup_findings(settings)}
    message = found["capability-lifecycleCreate"]
    assert message.startswith(f"Create Users (lifecycleCreate) is DISABLED ({source}); it must be ENABLED"), message
    assert " in the " + source not in message  # "is DISABLED in the provisioning is off: ..." was the bug

"""The property that ties ``verify`` to the program: after the emulated ``pulumi up`` of a
config (the real program, through the emulated engine and provider, into the one model of
Okta), ``verify`` of that config against that org finds no drift, for every config the suite
generates (tests/generated.py). ``verify``'s expectations are then checked against what the
program does, not against the functions they are computed with."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ownscim_infra.live.verify import verify
from tests import generated
from tests.live.applied import pulumi_up


def write(directory, people: int, groups: int, extra_users: int, provisioning: str):
    config, users = generated.write(directory, people, groups, extra_users, others=("Everyone",))
    if provisioning == "api":
        data = yaml.safe_load(config.read_text())
        data["app"]["provisioning"] = "api"
        data["app"].pop("manual_steps_done")
        config.write_text(yaml.safe_dump(data, sort_keys=False))
    return config, users


@settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.integers(0, 6),
    groups=st.integers(1, 6),
    extra_users=st.integers(0, 3),
    provisioning=st.sampled_from(["manual", "api"]),
)
def test_verify_after_pulumi_up_reports_no_drift(
    okta_server, fake_org, tmp_path_factory, people, groups, extra_users, provisioning
):
    config, users = write(tmp_path_factory.mktemp("generated"), people, groups, extra_users, provisioning)
    org, run = pulumi_up(config, users)
    assert run.ok, run.failed
    okta_server.fake.serve(org)
    report = verify(str(config))
    assert not report.drift, [(f.check, f.subject, f.message) for f in report.drifted]
    # app, connection, features, group-push, regions-attribute, other-groups, and one a group and a person
    assert len(report.findings) == 6 + groups + people
    assert {f.status for f in report.findings} == {"ok"}

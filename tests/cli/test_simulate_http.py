"""``simulate``'s receiver: in process by default, served on 127.0.0.1 with ``--http``; the
flag and ``--receiver URL`` exclude each other."""

from __future__ import annotations

import re

from tests.cli.runner import ownscim


def test_simulate_runs_the_receiver_in_process_unless_told_http():
    in_process = ownscim("simulate", "config/example.yaml")
    over_http = ownscim("simulate", "config/example.yaml", "--http")
    assert in_process.returncode == over_http.returncode == 0, in_process.stderr + over_http.stderr
    assert "Receiver: http://127.0.0.1:0/scim/v2 (started here, temporary database)" in in_process.stdout
    port = re.search(r"Receiver: http://127\.0\.0\.1:(\d+)/scim/v2 \(started here", over_http.stdout)
    assert port is not None and int(port.group(1)) > 0
    assert over_http.stdout.replace(f":{port.group(1)}/", ":0/") == in_process.stdout


def test_http_and_a_receiver_url_exclude_each_other():
    ran = ownscim("simulate", "config/example.yaml", "--http", "--receiver", "http://127.0.0.1:9/scim/v2")
    assert ran.returncode == 2
    assert "not allowed with argument" in ran.stderr and "--http" in ran.stderr

"""The console file (``--console FILE``): the issue's actions read, bad input named like the config's."""

from __future__ import annotations

from pathlib import Path

import pytest

from ownscim_infra.config import ConfigError
from ownscim_infra.config.console import load_console

#: The actions of issue 17, as an admin writes them.
ISSUE_EXAMPLE = """\
- {action: set-regions, group: Own US, regions: "emea2"}        # a group assignment's value
- {action: set-regions, person: dana.lee@example.com, regions: "us1"}
- {action: unassign, person: sam.rivera@example.com}
- {action: unassign, group: Own EMEA}
- {action: add-member, group: Own US, login: new.hire@example.com}
- {action: remove-member, group: Own US, login: jordan.kim@example.com}
- {action: rename-group, group: Own US, to: US Team}
- {action: delete-app}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "console.yaml"
    path.write_text(text)
    return path


def test_the_issues_actions_are_read_in_order(tmp_path):
    actions = load_console(write(tmp_path, ISSUE_EXAMPLE))
    assert [a.action for a in actions] == [
        "set-regions",
        "set-regions",
        "unassign",
        "unassign",
        "add-member",
        "remove-member",
        "rename-group",
        "delete-app",
    ]
    assert (actions[0].group, actions[0].regions) == ("Own US", "emea2")
    assert (actions[1].person, actions[1].regions) == ("dana.lee@example.com", "us1")
    assert (actions[4].group, actions[4].login) == ("Own US", "new.hire@example.com")
    assert actions[6].to == "US Team"


def test_a_list_of_regions_is_the_consoles_comma_separated_value(tmp_path):
    (action,) = load_console(write(tmp_path, "- {action: set-regions, group: Own US, regions: [us1, emea2]}\n"))
    assert action.regions == "us1,emea2"


def test_every_problem_names_the_file_line_key_path_value_and_what_is_allowed(tmp_path):
    path = write(
        tmp_path,
        "- {action: unassign, group: Own US}\n"
        "- {action: set-regions, group: Own US, regions: us1}\n"
        "- {action: unasign, person: sam.rivera@example.com}\n"
        "- {action: unassign, group: Own EMEA, person: sam.rivera@example.com}\n"
        "- {action: rename-group, group: Own US}\n"
        "- {action: delete-app, colour: blue}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_console(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"4 problem(s) in {path}:"
    assert lines[1] == (
        f"  {path}:3:12: [2].action: must be 'set-regions', 'unassign', 'add-member', 'remove-member', "
        "'rename-group', 'deactivate-rule', 'edit-rule', 'rename-app', 'deactivate-app' or 'delete-app'; "
        "did you mean `unassign`? (got 'unasign')"
    )
    assert lines[2].startswith(f"  {path}:4:3: [3]: unassign takes `group` or `person`, not both")
    assert lines[3].startswith(f"  {path}:5:3: [4]: rename-group needs `to`")
    assert lines[4].startswith(f"  {path}:6:24: [5].colour: unknown key; allowed here: action, group, person")


def test_a_mapping_is_not_a_console_file(tmp_path):
    with pytest.raises(ConfigError, match="must be a YAML list of actions"):
        load_console(write(tmp_path, "action: delete-app\n"))


def test_an_empty_file_is_no_action(tmp_path):
    assert load_console(write(tmp_path, "# nothing done by hand\n")) == []


def test_the_apps_label_and_deactivation_are_console_actions(tmp_path):
    """Issue 17.7: ``rename-app`` takes the new label (``to``) and nothing else; ``deactivate-app``
    takes no key."""
    actions = load_console(write(tmp_path, "- {action: rename-app, to: Own (old)}\n- {action: deactivate-app}\n"))
    assert [(a.action, a.to, a.subject) for a in actions] == [
        ("rename-app", "Own (old)", "the app"),
        ("deactivate-app", None, "the app"),
    ]
    assert actions[0].render() == "rename-app the app: to 'Own (old)'"
    path = write(tmp_path, "- {action: rename-app}\n- {action: deactivate-app, group: Own US}\n")
    with pytest.raises(ConfigError) as caught:
        load_console(path)
    lines = str(caught.value).splitlines()
    assert lines[1].startswith(f"  {path}:1:3: [0]: rename-app needs `to`")
    assert lines[2].startswith(f"  {path}:2:3: [1]: deactivate-app does not take `group`")


def test_the_action_type_names_exactly_the_actions_the_reader_takes():
    """``ActionName`` (for the type checker) and ``ACTIONS`` (what the reader and ``--help``
    list) name the same actions, in the same order."""
    import typing

    from ownscim_infra.config.console import ACTIONS, ActionName

    assert typing.get_args(ActionName) == tuple(ACTIONS)

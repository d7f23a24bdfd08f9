"""End to end, offline: from the declared Okta resources to users in Own's regions.

``python -m ownscim_infra simulate [CONFIG] [--directory FILE] [--receiver URL | --http]
[--previous CONFIG [--previous-directory FILE]] [--format text|json]``

1. The Pulumi program runs under the mock runtime (:func:`ownscim_infra.offline.plan.build_plan`).
2. Okta's side is emulated from the *declared* resources (:mod:`.rollout`: the engine applies
   them to an emulated org, then :mod:`.okta_provisioning` provisions Own after each step),
   never from the YAML, and drives a SCIM receiver exactly as Okta's SCIM client does. With
   no ``--receiver`` it starts :mod:`ownscim_infra.receiver` with a temporary database and the
   config's regions, in this process: the same requests reach the receiver's application
   through an in-process transport (:mod:`ownscim_infra.receiver.in_process`), without a
   socket; with ``--http`` it serves that receiver on a free port of 127.0.0.1 instead, and
   the requests go over HTTP. With ``--receiver URL`` the token comes from ``OWN_SCIM_TOKEN``.
3. Own's state is read back through SCIM (Own's extension schema) and compared with what the
   *config* means (:mod:`.expectations`): so a bug in the program, or a silent
   misconfiguration, shows as a difference with its cause. The report (:mod:`.report`) folds
   what Okta's provisioning recorded as it worked; :mod:`.report_text` renders it.

This module is the run only.

With ``--previous``, the previous config (and directory) is provisioned first, then the
change to the current one is applied the way ``pulumi up`` would: assignments that are
replaced delete-before-replace are removed first (Okta deactivates), then the new state is
assigned. This is how Own's region move (unassign, then assign) is exercised.

Exit codes: 0 every user as the config means and no finding; 1 otherwise (each difference
and finding says why); 2 bad input (config, directory, missing token).
"""

from __future__ import annotations

import copyreg
import dataclasses
import io
import pickle
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from dataclasses import replace as replace_fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pulumi

from ownscim_infra.config import ConfigError, ConfigIssue
from ownscim_infra.config.console import ConsoleAction, read_console
from ownscim_infra.config.directory import Directory, DirectoryUser, load_directory
from ownscim_infra.config.yaml_reader import Positions
from ownscim_infra.domain import heap, naming
from ownscim_infra.domain.errors import InputError
from ownscim_infra.domain.findings import Finding
from ownscim_infra.domain.own_setup import DEFAULT_BUSINESS_UNIT, okta_fold
from ownscim_infra.domain.repairs import Drift
from ownscim_infra.offline.console import app_deactivated_finding, apply_console, with_memberships
from ownscim_infra.offline.drift import drift_of, introduced_by, repaired, stack_of
from ownscim_infra.offline.engine import assignments_held
from ownscim_infra.offline.expectations import expectations
from ownscim_infra.offline.findings import regions_not_guaranteed, rule_findings, setup_findings, typo_findings
from ownscim_infra.offline.okta_org import DirectoryIndex, OktaOrg
from ownscim_infra.offline.okta_provisioning import Provisioner
from ownscim_infra.offline.plan import Plan, build_plan, declared_members, not_in_directory
from ownscim_infra.offline.report import Before, Judge, OwnState, SimulationReport, console_changes, fold_events
from ownscim_infra.offline.rollout import Progress, Rollout, app_deleted_finding
from ownscim_infra.offline.scim_client import REQUEST_DEADLINE, OktaScimClient, ReceiverError
from ownscim_infra.offline.steps import Step
from ownscim_infra.receiver.settings import OWN_USER_SCHEMA, TOKEN_ENV, Deactivation

if TYPE_CHECKING:
    import httpx

    from ownscim_infra.receiver.in_process import InProcessReceiver
    from ownscim_infra.receiver.settings import ReceiverSettings
    from ownscim_infra.receiver.storage import SqliteStorage


@dataclass(frozen=True)
class State:
    """One state of Okta: the program's plan for a config, and the directory."""

    plan: Plan
    directory: Directory
    directory_file: str = ""


#: What Okta makes of a direct assignment of a member of an assigned group (:class:`.okta_org.OktaOrg`).
DirectScope = Literal["USER", "GROUP"]


@dataclass(frozen=True)
class DayTwo:
    """How the change's ``pulumi up`` meets an org that lived after the previous run (day two),
    read and checked (:meth:`read`); the default: nothing happened, a plain ``pulumi up``.

    - ``console``: the console file (``--console``, :class:`Console`): Admin Console actions
      applied after the previous config's run and before the change's (:mod:`.console`; in the
      file's order, Okta's provisioning reacting to each before the next, and Own's "before"
      read after them); the drift they make and the run repairs is reported with ``repair``
      ``None`` (:mod:`.drift`), what Okta did in Own for them in ``console_changes``.
    - ``refresh``: ``pulumi up --refresh`` for the change's run (:meth:`.engine.Engine.refresh`).
    - ``replace``: the logical names the change's run replaces whatever their diff
      (``pulumi up --replace URN``; :func:`replace_targets` makes them of URNs).
    - ``direct_scope``: ``USER`` or ``GROUP``: Okta's scope of a direct assignment of a member of
      an assigned group (:class:`.okta_org.OktaOrg`; articulate/terraform-provider-okta #264,
      unverified), in every run.
    """

    console: Console | None = None
    refresh: bool = False
    replace: tuple[str, ...] = ()
    direct_scope: DirectScope = "USER"

    @classmethod
    def read(
        cls,
        current: State,
        *,
        console: str | Path | None = None,
        refresh: bool = False,
        replace: Sequence[str] = (),
        direct_scope: DirectScope = "USER",
    ) -> DayTwo:
        """The options as a command takes them: the console file's path (read here:
        :meth:`Console.read`) and ``--replace`` targets (URNs or names: :func:`replace_targets`
        against ``current``'s plan).

        :raises ConfigError: an invalid console file. :raises InputError: a target no resource is."""
        read = None if console is None else Console.read(console)
        return cls(read, refresh, tuple(replace_targets(current, replace)), direct_scope)


def read_own_state(reader: OktaScimClient, login: str) -> OwnState | None:
    """Look ``login`` up through SCIM and read Own's extension (regions, role, business unit)."""
    found = reader.find(login)
    if found is None:
        return None
    own = found.get(OWN_USER_SCHEMA) or {}
    regions = own.get("regions") or [] if isinstance(own, dict) else None
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise ReceiverError(
            f"the receiver at {reader.base_url} answered a user lookup with {OWN_USER_SCHEMA} that is not "
            'Own\'s extension ({"regions": [...], "role": ..., "businessUnit": ...})'
        )
    return OwnState(bool(found.get("active", True)), tuple(regions), own.get("role"), own.get("businessUnit"))


def _existing_groups(current: State, previous: State | None) -> list[str]:
    """The Okta groups that exist before any run: every ``create: false`` group of either
    config and every group the first run's directory lists, except those the first run's
    config creates; and every group only the change's directory lists that neither config
    creates.

    The first directory is Okta as it is before the change (with one directory for both,
    that one): a group it lists exists, so a change that creates a group of that name, or
    renames one to it, fails at Okta's unique names (:meth:`.okta_org.OktaOrg.create_group`)
    instead of passing as a new, empty group. A name only the change's own directory lists
    for a group the change creates or renames is that group after the change.
    """
    first = previous or current
    created_first = {okta_fold(g.name) for g in first.plan.config.groups if g.create}
    created_now = {okta_fold(g.name) for g in current.plan.config.groups if g.create}
    looked_up = [g.name for st in (previous, current) if st for g in st.plan.config.groups if not g.create]
    listed_before = [g for u in first.directory.users for g in u.groups]
    listed_after = [g for u in current.directory.users for g in u.groups if okta_fold(g) not in created_now]
    names = dict.fromkeys([*looked_up, *listed_before, *listed_after])
    return [n for n in names if okta_fold(n) not in created_first]


class OwnReader:
    """Own's state of a login: read through SCIM (:func:`read_own_state`), or, from a receiver
    started in this process for the run, from its database (``store``: the receiver's
    :meth:`~ownscim_infra.receiver.storage.SqliteStorage.own_state`, what the Own UI shows, one
    indexed read instead of a request through the receiver's application: a review of 5,000
    people read Own 5,000 times, 0.35 ms a lookup).

    With a receiver started empty for the run (``started_empty``), only Okta's requests put
    users in it: a login Okta has sent no request for (none of ``okta``'s exchanges) is absent
    without asking, so the reads grow with the users Okta provisioned, not with the directory
    (a directory of 50,000 users with 500 of them assigned: 500 lookups, not 50,000)."""

    def __init__(
        self,
        reader: OktaScimClient,
        okta: OktaScimClient,
        *,
        started_empty: bool,
        store: SqliteStorage | None = None,
    ) -> None:
        self.reader, self.okta, self.started_empty, self.store = reader, okta, started_empty, store
        self._sent: set[str] = set()
        self._seen = 0

    def __call__(self, login: str) -> OwnState | None:
        """Own's state of ``login`` (``None``: absent).

        :raises ReceiverError: the receiver is unusable (:func:`read_own_state`)."""
        if self.started_empty:
            exchanges = self.okta.exchanges
            self._sent.update(okta_fold(e.login) for e in exchanges[self._seen :])
            self._seen = len(exchanges)
            if okta_fold(login) not in self._sent:
                return None
        return self.read(login)

    def read(self, login: str) -> OwnState | None:
        """Ask Own for ``login`` (the one place Own is read).

        :raises ReceiverError: the receiver is unusable (:func:`read_own_state`)."""
        if self.store is None:
            return read_own_state(self.reader, login)
        held = self.store.own_state(login)
        if held is None:
            return None
        return OwnState(held.active, held.regions, held.role or None, held.business_unit or None)


class BeforeReader:
    """Own's state after the previous config's run (:attr:`before`, with what the previous
    config meant), read as late as it can be: only Okta's requests change Own during the
    change's run, so a user's state is read just before Okta's first request for the user
    (:meth:`on_request`, the Okta client's ``on_request``), and a user Okta sends nothing is
    after the change as before it (:meth:`unchanged`). The reads grow with the users the
    change touches, not with the org."""

    def __init__(self, read: OwnReader, previous: State) -> None:
        meant = {okta_fold(k): v for k, v in expectations(previous.plan.config, previous.directory).items()}
        self.read = read
        self.before = Before({}, meant)

    def on_request(self, login: str) -> None:
        """Okta is about to send a request for ``login``: read its state first, once."""
        key = okta_fold(login)
        if key not in self.before.own:
            self.before.own[key] = self.read(login)

    def unchanged(self, login: str, own: OwnState | None) -> None:
        """``own`` is ``login``'s state after the change: before it too, unless Okta sent a request for it."""
        self.before.own.setdefault(okta_fold(login), own)


def run_simulation(
    current: State,
    base_url: str,
    token: str,
    *,
    previous: State | None = None,
    started_here: bool = False,
    connection_api: bool = True,
    day_two: DayTwo = DayTwo(),
    progress: Progress | None = None,
    set_account_regions: Callable[[tuple[str, ...]], None] | None = None,
    request_deadline: float = REQUEST_DEADLINE,
    order: list[str] | None = None,
    transport: httpx.BaseTransport | None = None,
    own_store: SqliteStorage | None = None,
) -> SimulationReport:
    """``pulumi up`` of ``previous`` (if any) then of ``current`` on an emulated org, Okta's
    provisioning of Own after each step, then Own's state against what ``current``'s config
    means. Sends requests to ``base_url`` only.

    :param day_two: the console file's actions between ``previous``'s run and ``current``'s,
        ``pulumi up --refresh`` and ``--replace`` for ``current``'s, and Okta's scope of a direct
        assignment (:class:`DayTwo`).
    :param order: the order of ``current``'s parallel steps (:meth:`.engine.Engine.up`;
        the review explores them: :attr:`SimulationReport.conflicts`).
    :param connection_api: whether Okta serves this app's connection through its API
        (:class:`.okta_org.OktaOrg`); only ``provisioning: api`` depends on it.
    :param started_here: the receiver was started for this run, empty (:class:`OwnReader`).
    :param progress: told how far each phase is (``simulate`` draws a bar on a terminal).
    :param set_account_regions: gives the receiver's Own account its regions (a receiver
        started here): ``previous``'s for its run, then those and ``current``'s, so that a
        region the change adds is not in Own before it (a user with every region keeps those
        it was created with).
    :param request_deadline: seconds each SCIM request may take in all
        (:class:`.scim_client.OktaScimClient`'s ``deadline``).
    :param transport: where the requests to ``base_url`` go instead of the network (a receiver
        in this process: :class:`ownscim_infra.receiver.in_process.InProcessTransport`).
    :param own_store: the database of the receiver at ``base_url``, started in this process for
        the run: Own's state is read there (:class:`OwnReader`) instead of through SCIM.
    :raises ReceiverError: the receiver is unusable: unreachable, the token refused, an answer
        that is not SCIM, or a request not answered within ``request_deadline``.
    """
    with (
        closing(OktaScimClient(base_url, token, deadline=request_deadline, transport=transport)) as okta,
        closing(OktaScimClient(base_url, token, deadline=request_deadline, transport=transport)) as reader,
    ):
        after_base = run_base(
            okta,
            current,
            previous,
            connection_api=connection_api,
            day_two=day_two,
            progress=progress,
            set_account_regions=set_account_regions,
        )
        return run_change(
            after_base,
            okta,
            reader,
            previous=previous,
            started_here=started_here,
            day_two=day_two,
            set_account_regions=set_account_regions,
            order=order,
            own_store=own_store,
            progress=progress,
        )


@dataclass
class AfterBase:
    """Okta and the engine as BASE's run (``pulumi up`` of the previous config) and the
    console's actions after it left them, before the change's run: the emulated org, the
    rollout (the engine's state, Okta's last resolution), its provisioner (the events so far),
    ``current`` with the memberships the console changed, and what BASE's run and the console
    found. Own is the receiver's database at that moment (kept apart: :func:`change_runs`)."""

    org: OktaOrg
    rollout: Rollout
    current: State
    previous_findings: list[Finding] = field(default_factory=list)
    previous_failed: Step | None = None
    introduced: list[Drift] = field(default_factory=list)
    console_findings: list[Finding] = field(default_factory=list)
    in_own: list[str] = field(default_factory=list)


def run_base(
    okta: OktaScimClient,
    current: State,
    previous: State | None,
    *,
    connection_api: bool = True,
    day_two: DayTwo = DayTwo(),
    progress: Progress | None = None,
    set_account_regions: Callable[[tuple[str, ...]], None] | None = None,
) -> AfterBase:
    """The emulated org with ``previous``'s ``pulumi up`` run on it (Okta provisioning Own through
    ``okta`` after each step) and ``day_two``'s console actions applied after it; without
    ``previous``, the org as the directory makes it, nothing run. Parameters as
    :func:`run_simulation`'s.

    :raises ReceiverError: the receiver is unusable."""
    provisioner = Provisioner(okta)
    org = OktaOrg((previous or current).directory, connection_api=connection_api, direct_scope=day_two.direct_scope)
    org.seed_groups(_existing_groups(current, previous))
    org.seed_rule_exclusions((previous or current).directory)
    after = AfterBase(org, Rollout(org, provisioner, progress=progress), current)
    if previous is not None:
        rollout = after.rollout
        if set_account_regions is not None:
            set_account_regions(tuple(previous.plan.config.regions))
        first = rollout.up(previous.plan.resources, previous.plan.config, phase="pulumi up (previous config)")
        after.previous_findings = setup_findings(rollout.app().settings()) + first.findings
        after.previous_findings += rule_findings(previous.plan.config, previous.directory)
        after.previous_failed = first.result.failed
        if day_two.console is not None:
            after.current, after.introduced, after.console_findings, after.in_own = _apply_console(
                rollout, previous, current, day_two.console
            )
    return after


def run_change(
    after_base: AfterBase,
    okta: OktaScimClient,
    reader: OktaScimClient,
    *,
    previous: State | None = None,
    started_here: bool = False,
    day_two: DayTwo = DayTwo(),
    set_account_regions: Callable[[tuple[str, ...]], None] | None = None,
    order: list[str] | None = None,
    own_store: SqliteStorage | None = None,
    progress: Progress | None = None,
) -> SimulationReport:
    """The change's ``pulumi up`` (``after_base.current``) on the org :func:`run_base` left
    (``after_base``, which the run changes), Okta provisioning Own through ``okta``, then Own's
    state (read through ``reader``, or ``own_store``) against what the config means.
    Parameters as :func:`run_simulation`'s.

    :raises ReceiverError: the receiver is unusable."""
    current, org, rollout = after_base.current, after_base.org, after_base.rollout
    provisioner = rollout.provisioner
    read = OwnReader(reader, okta, started_empty=started_here, store=own_store)
    before: BeforeReader | None = None
    if previous is not None:
        # Own "before the change" is read after the console's actions, just in time
        before = BeforeReader(read, previous)
        okta.on_request = before.on_request
        if set_account_regions is not None:
            set_account_regions(tuple(dict.fromkeys([*previous.plan.config.regions, *current.plan.config.regions])))
    # the change's pulumi up runs on Okta as it was; the new directory's memberships are the
    # admins' doing in Okta, after it (the program changes only its `members` and `rule` groups')
    run = rollout.up(
        current.plan.resources,
        current.plan.config,
        directory_after=current.directory,
        order=order,
        refresh=day_two.refresh,
        replace=day_two.replace,
    )
    okta.on_request = None
    app = rollout.app()
    findings = (
        after_base.console_findings
        + setup_findings(app.settings())
        + run.findings
        + typo_findings(current.plan.config, current.directory)
        + rule_findings(current.plan.config, current.directory)
    )
    wanted = expectations(
        current.plan.config, current.directory, (previous.plan.config, previous.directory) if previous else None
    )
    judge = Judge(
        findings=findings,
        assigned=rollout.assigned,
        done=fold_events(provisioner.events, provisioner.run),
        before=None if before is None else before.before,
        stopped_at=None if run.result.failed is None else run.result.failed.name,
    )
    logins = list(dict.fromkeys([u.login for u in current.directory.users] + list(wanted)))
    owns = []
    for n, login in enumerate(logins, start=1):
        if progress is not None:
            progress("reading Own", n, len(logins))
        owns.append(read(login))
        if before is not None:
            before.unchanged(login, owns[-1])
    with heap.bulk():  # a line for each directory user
        users = [judge.user(login, wanted[login], own) for login, own in zip(logins, owns, strict=True)]
    caveats: dict[str, str] = {}
    declared = declared_members(current.plan, current.directory)
    for f in regions_not_guaranteed(current.plan.config, current.directory, declared, day_two.direct_scope):
        caveats.setdefault(okta_fold(f.logins[0]), f.message)
    for user in users:  # a label: whether Okta keeps the direct value is not known (#264)
        user.not_guaranteed = caveats.get(okta_fold(user.login))
    attr = app.attribute
    after = drift_of(current.plan.config, org, rollout.engine.state, stack_of(current.plan.config_file))
    return SimulationReport(
        config=current.plan.config_file,
        directory=current.directory_file,
        previous=None if previous is None else f"{previous.plan.config_file} with directory {previous.directory_file}",
        receiver=okta.base_url,
        receiver_started_here=started_here,
        capabilities=app.capabilities,
        capabilities_source=app.capabilities_source,
        attribute=None
        if attr is None
        else {
            "externalName": attr.external_name,
            "externalNamespace": attr.external_namespace,
            "scope": attr.scope,
        },
        users=users,
        findings=findings,
        previous_findings=after_base.previous_findings,
        changes=list(run.result.steps),
        okta={"groupAssignments": assignments_held(org, rollout.app_id)},
        update_failed=run.result.failed,
        previous_failed=after_base.previous_failed,
        conflicts=run.conflicts,
        rule_timing=run.rule_timing,
        drift=after + repaired(after_base.introduced, after),
        console=[a.render() for a in day_two.console.actions] if day_two.console else [],
        console_changes=after_base.in_own,
        next_run=rollout.engine.preview(current.plan.resources)
        if day_two.console or day_two.refresh or day_two.replace
        else None,
        fixed=[(a, b) for g in run.conflicts for i, a in enumerate(g) for b in g[i + 1 :] if not run.independent(a, b)],
    )


@dataclass(frozen=True)
class Console:
    """A console file read (:func:`ownscim_infra.config.console.load_console`): its ``file``
    and its ``actions``, in order."""

    file: str
    actions: list[ConsoleAction]
    #: where each key and value is in the file (:func:`~ownscim_infra.config.console.read_console`)
    positions: Positions | None = None

    @classmethod
    def read(cls, path: str | Path) -> Console:
        """Read and validate the console file at ``path``. :raises ConfigError: as ``load_console``."""
        actions, positions = read_console(path)
        return cls(str(path), actions, positions)


def _apply_console(
    rollout: Rollout, previous: State, current: State, console: Console
) -> tuple[State, list[Drift], list[Finding], list[str]]:
    """The admins' actions after ``previous``'s run: applied to the org in the file's order,
    Okta's provisioning reacting to each before the next; returns ``current`` with the
    memberships they changed, the drift they made (against the previous config, which the
    org matched before them), ``app-deleted`` when they deleted the app
    (:func:`.rollout.app_deleted_finding`, naming who had the app just before),
    ``app-deactivated`` when they deactivated it (:func:`.console.app_deactivated_finding`), and what
    Okta's provisioning did in Own in reaction (:func:`~.report.console_changes`)."""
    org, stack = rollout.org, stack_of(previous.plan.config_file)
    had = drift_of(previous.plan.config, org, rollout.engine.state, stack)
    had_app = [list(rollout.users())]  # who has the app before each action, and after the last

    def react() -> None:  # Okta's provisioning reacts to each action before the next (the admins' order)
        rollout.react()
        had_app.append(list(rollout.users()))

    seen = len(rollout.provisioner.events)
    ruled = apply_console(org, rollout.app_id, console.actions, console.file, console.positions, after=react)
    in_own = console_changes(rollout.provisioner.events[seen:])
    made = introduced_by(had, drift_of(previous.plan.config, org, rollout.engine.state, stack))
    directory = with_memberships(current.directory, org, console.actions)
    deleted = []
    at = next((n for n, a in enumerate(console.actions) if a.action == "delete-app"), None)
    if at is not None:
        how = "deleted by hand in the Admin Console (--console)"
        deleted.append(app_deleted_finding(previous.plan.config.app.label, how, had_app[at]))
    at = next((n for n, a in enumerate(console.actions) if a.action == "deactivate-app"), None)
    if at is not None:  # never safe, whatever the run does after it
        deleted.append(app_deactivated_finding(previous.plan.config.app.label, had_app[at]))
    return replace_fields(current, directory=directory), made, deleted + ruled, in_own


# --------------------------------------------------------------------------- command


def load_state(
    config_file: str | Path,
    directory_file: str | Path,
    loaded: State | None = None,
    *,
    previous: State | None = None,
) -> State:
    """The plan of ``config_file`` and the directory of ``directory_file``; the directory of
    ``loaded`` when it was read from the same file (a review's BASE and NEW share one
    directory: it is read and validated once, and never changed by a run). With ``previous``,
    the plan of the program run on the stack ``previous``'s run left: it reads back
    ``previous``'s outputs (:func:`~ownscim_infra.offline.plan.build_plan`'s
    ``previous_outputs``), as ``pulumi up`` of the next config does.

    :raises ConfigError: either is invalid, or a person of the config is not in the directory
        (the program looks people up by login: ``pulumi up`` would fail).
    :raises InputError: the program refuses the config on the stack ``previous`` left
        (:func:`~ownscim_infra.program.stack.previous_run_problems`: ``pulumi up`` would stop
        before changing anything).
    """
    try:
        plan = build_plan(config_file, previous_outputs=None if previous is None else previous.plan.outputs)
    except pulumi.RunError as refused:  # each line names the file and the key
        raise InputError(str(refused)) from None
    same = loaded is not None and Path(loaded.directory_file).resolve() == Path(directory_file).resolve()
    dirs = loaded.directory if loaded is not None and same else load_directory(directory_file)
    missing = [p.login for p in plan.config.people if dirs.user(p.login) is None]
    if missing:
        raise ConfigError(
            directory_file,
            [
                ConfigIssue(
                    "users",
                    login,
                    f"the config's person {login!r} {not_in_directory(login, dirs)}",
                )
                for login in missing
            ],
        )
    return State(plan, dirs, str(directory_file))


def simulate(
    config: str | Path,
    directory: str | Path,
    *,
    receiver_url: str | None = None,
    token: str | None = None,
    previous: tuple[str | Path, str | Path] | None = None,
    business_unit: str = DEFAULT_BUSINESS_UNIT,
    deactivation: Deactivation = "remove",
    request_deadline: float = REQUEST_DEADLINE,
    progress: Progress | None = None,
    console: str | Path | None = None,
    refresh: bool = False,
    replace: Sequence[str] = (),
    direct_scope: DirectScope = "USER",
    http: bool = False,
) -> SimulationReport:
    """Build the plan(s), start a receiver unless ``receiver_url`` is given, run, report.

    :param console: a console file (:mod:`ownscim_infra.config.console`): the Admin Console
        actions between ``previous``'s run and this one (needs ``previous``).
    :param refresh: ``pulumi up --refresh``. :param replace: ``pulumi up --replace URN`` targets
        (URNs, or the logical names that end them). :param direct_scope: Okta's scope of a direct
        assignment. The four are read, once ``previous`` and the config are, into one
        :class:`DayTwo` (:meth:`DayTwo.read`).

    :param deactivation: what the receiver started here does with a deactivated user:
        ``remove`` (Own's documented deprovisioning, the default) or ``keep`` (kept inactive;
        :class:`~ownscim_infra.receiver.settings.ReceiverSettings`). A receiver at
        ``receiver_url`` behaves as it was started.
    :param request_deadline: seconds each SCIM request may take in all.
    :param http: serve the receiver started here on 127.0.0.1 and send it the requests over
        HTTP (default: in this process, without a socket; :func:`simulate_states`).
    :raises ConfigError: invalid config or directory, or a configured person missing from
        the directory. :raises InputError: ``receiver_url`` without ``token``.
        :raises ReceiverError: the receiver is unusable (see :func:`run_simulation`).
    """
    before = load_state(*previous) if previous else None
    if console is not None and before is None:
        raise InputError("--console needs --previous CONFIG: the actions are made after the previous run")
    if (refresh or replace) and before is None:
        option = "--refresh" if refresh else "--replace"
        raise InputError(f"{option} needs --previous CONFIG: it runs the change as a later `pulumi up` on its stack")
    current = load_state(config, directory, before, previous=before)
    return simulate_states(
        current,
        before,
        receiver_url=receiver_url,
        token=token,
        business_unit=business_unit,
        deactivation=deactivation,
        request_deadline=request_deadline,
        progress=progress,
        day_two=DayTwo.read(current, console=console, refresh=refresh, replace=replace, direct_scope=direct_scope),
        http=http,
    )


def replace_targets(current: State, targets: Sequence[str]) -> list[str]:
    """The logical names of ``pulumi up --replace`` targets: a URN's last part
    (``urn:pulumi:STACK::ownscim::TYPE::NAME``), or a name.

    :raises InputError: a target that names no resource the program declares, or a URN of
        another stack or project than the config's (:func:`~ownscim_infra.offline.drift.stack_of`,
        :data:`~ownscim_infra.domain.naming.PROJECT`)."""
    stack = stack_of(current.plan.config_file)
    for target in targets:
        parts = target.split("::")
        if target.startswith("urn:pulumi:") and len(parts) >= 3:
            theirs = (parts[0].removeprefix("urn:pulumi:").rsplit("/", 1)[-1], parts[1])
            if theirs != (stack, naming.PROJECT):
                raise InputError(
                    f"--replace {target!r}: a URN of stack {theirs[0]!r}, project {theirs[1]!r}; "
                    f"this run is stack {stack!r}, project {naming.PROJECT!r}"
                )
    declared = {r.name for r in current.plan.resources}
    names = [t.rsplit("::", 1)[-1] for t in targets]
    unknown = [t for t, n in zip(targets, names, strict=True) if n not in declared]
    if unknown:
        raise InputError(
            f"--replace {unknown[0]!r}: the program declares no resource of that name "
            "(a URN ends with a resource's name, e.g. ::own-scim-group-assignment-own-us)"
        )
    return names


def simulate_states(
    current: State,
    before: State | None = None,
    *,
    receiver_url: str | None = None,
    token: str | None = None,
    business_unit: str = DEFAULT_BUSINESS_UNIT,
    deactivation: Deactivation = "remove",
    request_deadline: float = REQUEST_DEADLINE,
    progress: Progress | None = None,
    connection_api: bool = True,
    order: list[str] | None = None,
    day_two: DayTwo = DayTwo(),
    http: bool = False,
) -> SimulationReport:
    """:func:`simulate` of states already loaded (:func:`load_state`), on an org whose
    connection Okta serves through its API (``connection_api``, :class:`.okta_org.OktaOrg`);
    ``order``: the order of the parallel steps of ``current``'s run; ``day_two`` (the console's
    actions, ``--refresh``, ``--replace`` as logical names, Okta's scope of a direct
    assignment, read: :class:`DayTwo`): :func:`run_simulation`.

    Without ``receiver_url`` a receiver is started with a temporary database: in this process
    (:func:`ownscim_infra.receiver.in_process.serve_in_process`: the same application and
    requests, no socket; Own's state read from its database), or with ``http`` served by
    uvicorn on a free port of 127.0.0.1 (Own's state read through SCIM, as from ``receiver_url``)."""
    with ExitStack() as stack:
        started_here = receiver_url is None
        set_account_regions: Callable[[tuple[str, ...]], None] | None = None
        transport: httpx.BaseTransport | None = None
        own_store: SqliteStorage | None = None
        if receiver_url is None:
            from ownscim_infra.receiver import serve_in_background, serve_in_process

            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="ownscim-sim-"))
            settings = _own_settings(current, before, Path(tmp) / "own.db", business_unit, deactivation)
            token = settings.token
            if http:
                handle = stack.enter_context(serve_in_background(settings))
                receiver_url, set_account_regions = handle.base_url, handle.app.set_account_regions
            else:
                local = stack.enter_context(serve_in_process(settings))
                receiver_url, set_account_regions = local.base_url, local.app.set_account_regions
                transport, own_store = local.transport, local.store
        elif not token:
            raise InputError(f"--receiver needs Own's SCIM token in {TOKEN_ENV}")
        return run_simulation(
            current,
            receiver_url,
            token,
            previous=before,
            started_here=started_here,
            progress=progress,
            connection_api=connection_api,
            set_account_regions=set_account_regions,
            request_deadline=request_deadline,
            order=order,
            day_two=day_two,
            transport=transport,
            own_store=own_store,
        )


def _own_settings(
    current: State, before: State | None, db_path: Path, business_unit: str, deactivation: Deactivation
) -> ReceiverSettings:
    """The settings of a receiver started for a run: a new random token, the account with every
    region either config names (a region may leave the config), the database at ``db_path``."""
    from ownscim_infra.receiver import ReceiverSettings

    regions = dict.fromkeys([*(before.plan.config.regions if before else []), *current.plan.config.regions])
    # durability "normal": the database is a temporary file deleted when the run ends, so a
    # flush to disk per commit (what "full" buys against a power loss) protects nothing
    return ReceiverSettings(
        regions=tuple(regions),
        token=secrets.token_urlsafe(24),
        db_path=db_path,
        business_unit=business_unit,
        durability="normal",
        deactivation=deactivation,
    )


#: While a snapshot is thawed (:meth:`_Frozen.thaw`): the objects its copies share, by key.
_THAWING: ContextVar[dict[object, object]] = ContextVar("_THAWING")

#: What no run changes once made, shared by a snapshot's copies instead of copied: the states
#: (plans and directories), the directories and their users (frozen pydantic models) and the
#: org's index of a directory.
_KEPT: tuple[type, ...] = (State, Directory, DirectoryUser, DirectoryIndex)


def _shared(key: object) -> object:
    """The object shared under ``key`` with the snapshot being thawed (pickle calls it)."""
    return _THAWING.get()[key]


class _Frozen:
    """:class:`AfterBase` kept as bytes (:mod:`pickle`), to be thawed into independent copies,
    one a run. Shared by the copies, not copied: the objects of the types of :data:`_KEPT`, and
    the Okta client (``"okta"``: each copy gets its own, on its own receiver), each pickled as a
    call of :func:`_shared` by the pickler's ``dispatch_table`` (looked up by type in C: a
    ``persistent_id`` hook, a Python call for each of the 3 million objects of a 50,000-user
    org, was most of the snapshot's cost; the directory's users were most of the objects). The
    rollout's ``progress`` callback is left out and given back to each copy."""

    def __init__(self, after: AfterBase, okta: OktaScimClient) -> None:
        self._kept: dict[object, object] = {}

        def keep(obj: object) -> Any:
            self._kept.setdefault(id(obj), obj)
            return (_shared, (id(obj),))

        def client(obj: OktaScimClient) -> Any:
            if obj is not okta:
                raise pickle.PicklingError("a snapshot of BASE's run holds another SCIM client")
            return (_shared, ("okta",))

        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = {**copyreg.dispatch_table, **dict.fromkeys(_KEPT, keep), OktaScimClient: client}
        progress, after.rollout.progress = after.rollout.progress, None
        try:
            pickler.dump(after)
        finally:
            after.rollout.progress = progress
        self._bytes, self._progress = buffer.getvalue(), progress

    def thaw(self, okta: OktaScimClient) -> AfterBase:
        """A new copy whose provisioner sends through ``okta``."""
        token = _THAWING.set({**self._kept, "okta": okta})
        try:
            after = pickle.loads(self._bytes)
        finally:
            _THAWING.reset(token)
        assert isinstance(after, AfterBase)
        after.rollout.progress = self._progress
        return after


@contextmanager
def change_runs(
    current: State,
    before: State,
    *,
    business_unit: str = DEFAULT_BUSINESS_UNIT,
    deactivation: Deactivation = "remove",
    request_deadline: float = REQUEST_DEADLINE,
    progress: Progress | None = None,
    connection_api: bool = True,
    day_two: DayTwo = DayTwo(),
) -> Iterator[Callable[[list[str] | None], SimulationReport]]:
    """Runs of the change ``before`` -> ``current`` in orders of its parallel steps, as many
    :func:`simulate_states` (``before`` and ``current``, the same options, a receiver in this
    process) that share BASE's run: it is made once (:func:`run_base`, the console's actions
    after it), then kept (Okta, the engine and the provisioner as :class:`_Frozen`; Own as a
    copy of the receiver's database, SQLite's online backup: :meth:`SqliteStorage.backup`), and
    each run of the change (:func:`run_change`) starts from its own copy of both, on a receiver
    of its own. Yields ``run(order)``: the report of the change's run in ``order`` (``None``:
    the engine's own), each the report :func:`simulate_states` gives for the same order
    (``tests/offline/test_review_reuse.py``). A review explores up to six orders: BASE's run
    was made seven times, each as long as a simulation of BASE.

    :raises ReceiverError: the receiver is unusable (from ``run`` too)."""
    from ownscim_infra.receiver import serve_in_process

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ownscim-sim-")))
        settings = _own_settings(current, before, tmp / "own.db", business_unit, deactivation)

        def clients(
            within: ExitStack, base_url: str, transport: httpx.BaseTransport
        ) -> tuple[OktaScimClient, OktaScimClient]:
            made = tuple(
                within.enter_context(
                    closing(OktaScimClient(base_url, settings.token, deadline=request_deadline, transport=transport))
                )
                for _ in range(2)
            )
            return made[0], made[1]

        first = stack.enter_context(serve_in_process(settings))
        okta, reader = clients(stack, first.base_url, first.transport)
        after: AfterBase | None = run_base(
            okta,
            current,
            before,
            connection_api=connection_api,
            day_two=day_two,
            progress=progress,
            set_account_regions=first.app.set_account_regions,
        )
        assert after is not None
        frozen, sent = _Frozen(after, okta), list(okta.exchanges)
        first.store.backup(tmp / "base.db")
        runs = 0

        def change(
            after_n: AfterBase,
            receiver: InProcessReceiver,
            okta_n: OktaScimClient,
            reader_n: OktaScimClient,
            order: list[str] | None,
        ) -> SimulationReport:
            return run_change(
                after_n,
                okta_n,
                reader_n,
                previous=before,
                started_here=True,
                day_two=day_two,
                set_account_regions=receiver.app.set_account_regions,
                order=order,
                own_store=receiver.store,
                progress=progress,
            )

        def run(order: list[str] | None) -> SimulationReport:
            nonlocal after, runs
            if after is not None:  # the first run: on BASE's own org and receiver
                first_after, after = after, None
                return change(first_after, first, okta, reader, order)
            runs += 1  # a later one: on copies of both
            db = tmp / f"own-{runs}.db"
            shutil.copyfile(tmp / "base.db", db)
            try:
                with ExitStack() as within:
                    receiver = within.enter_context(serve_in_process(dataclasses.replace(settings, db_path=db)))
                    okta_n, reader_n = clients(within, receiver.base_url, receiver.transport)
                    okta_n.exchanges = list(sent)
                    return change(frozen.thaw(okta_n), receiver, okta_n, reader_n, order)
            finally:
                db.unlink(missing_ok=True)

        yield run

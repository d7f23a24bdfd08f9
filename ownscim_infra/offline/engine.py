"""The Pulumi engine, emulated: ``pulumi up`` of a plan against the state of the last run.

The offline plan (:mod:`.plan`) records what the program declares, as the engine receives it
(inputs, and the options ``dependsOn``, ``protect``, ``deleteBeforeReplace``,
``replaceOnChanges``, ``ignoreChanges``, ``replacementTrigger``, ``beforeDeleteHooks``). This
module applies such a plan the way the engine of Pulumi CLI 3.226+ would, with the provider
of :mod:`.provider` against an emulated org (:class:`.okta_org.OktaOrg`), and keeps the state
the engine would keep, so that the next run's steps follow from it. The engine's source is
``pkg/resource/deploy/step_generator.go`` (pulumi/pulumi); ``docs/provider-semantics.md``
lists each behaviour with its source.

For each declared resource, in dependency order:

- no state: **create**;
- ``ignoreChanges``: the ignored inputs are set back to the last run's
  (``processIgnoreChanges``) and the provider's diff skips them;
- ``replacementTrigger``: a value that differs from the recorded one replaces the resource
  without asking the provider (``shouldTriggerReplace``; no recorded value, or none now:
  no replacement);
- otherwise the provider's diff (:func:`.provider.diff`): a changed ``ForceNew`` key, or a
  changed key listed in ``replaceOnChanges``, is a **replace**; any other change an
  **update**; none: **same**;
- a replacement deletes first when ``deleteBeforeReplace`` is set (the provider never asks
  for it here), else creates the new resource and deletes the old one at the end; the
  replacement is created from the program's inputs, not the ignored ones;
- a replace or delete of a ``protect``-ed resource fails; a ``before_delete`` hook (the
  attribute's and the app's guards) runs before the delete and fails it by raising; on a
  plain delete the hook runs before the ``protect`` check (``(*DeleteStep).Apply``,
  ``pkg/resource/deploy/step.go``); :meth:`Engine.preview` runs none (``RunHooks`` skips
  them in a dry run).

Resources no longer declared are deleted after every create and update, dependents first,
in antichains (``ScheduleDeletes`` in ``step_generator.go``: the condemned resources no other
condemned resource depends on, then the next layer). Steps whose dependencies are met run in
parallel (``stepExecutor.ExecuteParallel`` in ``pkg/resource/deploy/step_executor.go``
"submits an antichain for parallel execution"; a resource is registered, and its step
generated, as soon as its dependencies resolve): the order in which they reach Okta is not
defined. By default the emulation runs each such set in the reverse of the program's order,
so that a program that relies on declaration order shows it; ``up(..., order=[a, b, ...])``
runs the named steps, which must have no dependency between them (:func:`independent`), in
that order instead, so that a caller can explore the orders that matter
(:func:`conflict_groups`). The first failed step stops the run:
later steps are not run, and the state keeps what was done (``pulumi up`` reports "update
failed" and the next run starts from there).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from ownscim_infra.offline import provider
from ownscim_infra.offline.mocks import Registration
from ownscim_infra.offline.okta_org import OktaApiError, OktaOrg
from ownscim_infra.offline.steps import Op, Status, Step, Trigger
from ownscim_infra.program import component, lookups

#: ``<id of NAME>``, ``<id of Okta user LOGIN>``, ``<id of Okta group NAME>``: the mocks' ids.
_MOCK_ID = "<id of "


@dataclass
class ResourceState:
    """One resource in the engine's state: its ``id``, the ``inputs`` it was last applied
    with (the ignored ones as they were), the provider's ``outputs`` (its last Read), and the
    options recorded with it (``dependsOn``, ``protect``, ``replacementTrigger``, hooks)."""

    type: str
    name: str
    parent: str | None
    custom: bool
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    options: dict[str, Any]
    #: deleted by the first half of a delete-before-replace whose create has not succeeded
    #: (pulumi/pulumi ``pkg/resource/deploy/step.go``, ``(*DeleteStep).Apply`` sets
    #: ``PendingReplacement`` once the provider's Delete succeeded): it stays in the state, the
    #: next run creates its replacement without deleting it again (``step_generator.go``,
    #: ``continueStepsFromDiff``: no ``DeleteReplacementStep`` when ``old.PendingReplacement``),
    #: and one no longer declared leaves the state without a Delete (``GenerateDeletes``:
    #: ``RemovePendingReplaceStep``)
    pending_replacement: bool = False


@dataclass
class RunResult:
    """A ``pulumi up``: its ``steps`` (one a declared or deleted resource, in the order they
    ran, those not run last), the ``state`` after it, and the failed step (``None`` when the
    update succeeded)."""

    steps: list[Step]
    state: dict[str, ResourceState]
    failed: Step | None = None

    @property
    def ok(self) -> bool:
        """Whether the update succeeded."""
        return self.failed is None


@dataclass
class RefreshResult:
    """A ``pulumi refresh``: the resources whose state ``changed``, those Okta no longer has
    (``gone``: dropped from the state), and the resource whose Read ``failed`` (``error``)."""

    changed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    failed: str | None = None
    error: str = ""


class StepError(Exception):
    """A step failed: Okta refused it, or a hook or ``protect`` stopped it."""


#: The changed path of a replacement the engine makes because the resource is pending replacement.
PENDING_REPLACEMENT = "(pending replacement)"

#: What fails a step: Okta's answer, the engine (``protect``), a ``before_delete`` hook.
_REFUSALS = (
    OktaApiError,
    StepError,
    provider.ProviderError,
    component.RegionsAttributeDeleteRefused,
    component.AppDeleteRefused,
)

#: Called after each step that ran, with the step: the simulation provisions Own from the
#: org's new assignments there.
OnStep = Callable[[Step], None]


class Engine:
    """Applies plans to :attr:`org` one run after the other, keeping the state between runs."""

    def __init__(self, org: OktaOrg, *, on_step: OnStep | None = None) -> None:
        self.org = org
        self.state: dict[str, ResourceState] = {}
        self._old: dict[str, ResourceState] = {}
        self._on_step = on_step
        self._replace: set[str] = set()

    @property
    def current(self) -> dict[str, ResourceState]:
        """What the state holds at this moment: during a run, the last run's resources that
        this run has not reached yet, and what it has done so far."""
        return {**self._old, **self.state}

    def resource(self, name: str) -> ResourceState | None:
        """``current.get(name)``, without building :attr:`current`."""
        found = self.state.get(name)
        return found if found is not None else self._old.get(name)

    # -- the run ---------------------------------------------------------------

    def up(
        self,
        registrations: Sequence[Registration],
        *,
        order: Sequence[str] = (),
        refresh: bool = False,
        replace: Sequence[str] = (),
    ) -> RunResult:
        """``pulumi up`` of the program that made ``registrations``; :attr:`state` is updated.

        ``order``: names of steps with no dependency between them (declared resources, or
        deletes of one antichain) that reach Okta in this order (default: the reverse of the
        program's). A login or group name the program looks up that the org does not have
        fails the run before any step, as it fails the program (:func:`_program_failure`).
        ``refresh``: ``pulumi up --refresh`` (:meth:`refresh` first; a failed refresh fails
        the run before any step). ``replace``: ``pulumi up --replace URN`` for each of these
        names: the resource is replaced whatever its diff (``deleteBeforeReplace`` and
        ``protect`` as for any replacement; pulumi/pulumi ``step_generator.go``, the
        ``--replace`` targets are a forced ``Replace``)."""
        self._replace = set(replace)  # before any step: a target not run is still a replace
        failure = self._program_failure(registrations)
        if failure is not None:
            return failure
        if refresh:
            refreshed = self.refresh()
            if refreshed.failed:
                return self._refresh_failure(registrations, refreshed)
        old = self.state
        new: dict[str, ResourceState] = {}
        self._old = old
        self.state = new  # filled as the steps run: the state so far, for the step callback
        chain = list(order)
        steps: list[Step] = []
        later: list[ResourceState] = []  # create-before-delete replacements' old resources
        failed: Step | None = None
        for reg in _dependency_order(registrations, chain):
            if failed is not None:
                steps.append(self._unrun(reg, old.get(reg.name), new))
                continue
            step = self._apply(reg, old.get(reg.name), new, later)
            steps.append(step)
            if step.status == Status.FAILED:
                failed = step
        removed = [old[n] for layer in delete_antichains(old, set(new), chain) for n in layer]
        for gone in [*later, *removed]:
            if failed is not None:
                if gone.name not in new:
                    steps.append(Step(gone.name, gone.type, Op.DELETE, status=Status.NOT_RUN))
                    new[gone.name] = gone  # still in the state
                continue
            step = self._delete(gone, replaced=gone in later)
            steps.append(step)
            if step.status == Status.FAILED:
                failed = step
                if gone.name not in new:
                    new[gone.name] = gone
        self.state, self._old = new, {}
        return RunResult(steps, new, failed)

    def _program_failure(self, registrations: Sequence[Registration]) -> RunResult | None:
        """The run when a lookup does not find everything, else ``None``.

        The program reads the people and the existing groups in batches (``okta.user.get_users``,
        ``okta.get_groups``), which answer without what Okta does not have; the program then
        raises :class:`~ownscim_infra.program.lookups.NotFoundInOkta` naming every missing
        login and group, so the program fails (``pulumi preview`` too) and ``pulumi up``
        changes nothing. The step of the first resource that needs a missing id fails with
        that message; every other step is not run; the state is kept.
        """
        missing: dict[str, dict[str, None]] = {"user": {}, "group": {}}
        first: Registration | None = None
        for reg in registrations:
            for kind, value in _looked_up(reg.inputs):
                found = self.org.find_user_id(value) if kind == "user" else self.org.find_group(value)
                if found is None:
                    missing[kind][value] = None
                    first = first or reg
        if first is None:
            return None
        error = "the program fails, so pulumi up changes nothing: " + "; ".join(
            lookups.not_found_message(kind, list(values)) for kind, values in missing.items() if values
        )
        steps, kept, failed = [], dict(self.state), None
        for reg in _dependency_order(registrations):
            step = self._unrun(reg, self.state.get(reg.name), kept)
            if reg is first:
                step.status, step.error, failed = Status.FAILED, error, step
            steps.append(step)
        self.state = kept
        return RunResult(steps, kept, failed)

    def preview(self, registrations: Sequence[Registration]) -> list[Step]:
        """``pulumi preview`` of the program against :attr:`state` (a further ``pulumi up``,
        planned, nothing run): each declared resource's step as :meth:`up` would plan it,
        then the deletes; every step ``not run``. Reads nothing from Okta, as a plain preview."""
        steps = []
        for reg in _dependency_order(registrations):
            before = self.state.get(reg.name)
            if before is None:
                steps.append(Step(reg.name, reg.type, Op.CREATE, status=Status.NOT_RUN))
                continue
            try:
                op, paths, _ = self._plan(reg, self._resolve(reg.inputs, self.state), before)
            except OktaApiError as exc:
                steps.append(Step(reg.name, reg.type, Op.UPDATE, status=Status.NOT_RUN, error=str(exc)))
                continue
            steps.append(Step(reg.name, reg.type, op, paths, status=Status.NOT_RUN))
        declared = {r.name for r in registrations}
        for layer in delete_antichains(self.state, declared):
            steps += [Step(n, self.state[n].type, Op.DELETE, status=Status.NOT_RUN) for n in layer]
        return steps

    # -- refresh -----------------------------------------------------------------------

    def refresh(self) -> RefreshResult:
        """``pulumi refresh`` (and the first half of ``pulumi up --refresh``): each resource's
        Read (:func:`.provider.read`), then the state as the bridge records it.

        - The outputs become what Okta holds; the **inputs** too, for the keys the state
          already has (pulumi-terraform-bridge ``pkg/tfbridge``, ``ExtractInputsFromOutputs``
          with ``isRefresh``: "only extract new values for inputs that are already present").
          The options, ``replacementTrigger`` among them, are the engine's and stay as
          recorded: a ``regions`` value edited in the console becomes the recorded input while
          the trigger is unchanged, so the next ``pulumi up`` is ``same``.
        - A Read that answers "gone" (a 404 the provider handles by clearing the id) drops the
          resource from the state: the next ``pulumi up`` creates it again.
        - A Read that fails (the connection's and the features' Read have no 404 handling)
          fails the refresh; the resources read before it keep their new state.
        """
        result = RefreshResult()
        for name, state in list(self.state.items()):
            if not state.custom:
                continue
            try:
                outputs = provider.read(state.type, self.org, state.id, state.outputs)
            except OktaApiError as exc:
                result.failed, result.error = name, f"refreshing {name}: {exc}"
                break
            if outputs is None:
                del self.state[name]
                result.gone.append(name)
                continue
            inputs = {k: outputs.get(k, v) for k, v in state.inputs.items()}
            if inputs != state.inputs or outputs != state.outputs:
                result.changed.append(name)
            self.state[name] = dataclasses.replace(state, inputs=inputs, outputs=outputs)
        return result

    def _refresh_failure(self, registrations: Sequence[Registration], refreshed: RefreshResult) -> RunResult:
        """``pulumi up --refresh`` whose refresh failed: no step runs; the failed one is the
        resource whose Read failed (its last state kept)."""
        steps, kept, failed = [], dict(self.state), None
        for reg in _dependency_order(registrations):
            step = self._unrun(reg, self.state.get(reg.name), kept)
            if reg.name == refreshed.failed:
                step.status, step.error, failed = Status.FAILED, refreshed.error, step
            steps.append(step)
        if failed is None:  # the resource whose Read failed is no longer declared
            failed = Step(refreshed.failed or "", "", Op.SAME, status=Status.FAILED, error=refreshed.error)
            steps.insert(0, failed)
        self.state = kept
        return RunResult(steps, kept, failed)

    # -- one resource ----------------------------------------------------------------

    def _resolve(self, value: Any, new: dict[str, ResourceState]) -> Any:
        """Replace the mocks' ids by the org's: a resource's by its id in this run's state,
        a looked-up user or group by Okta's answer (:class:`OktaApiError` when none)."""
        if isinstance(value, dict):
            return {k: self._resolve(v, new) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, new) for v in value]
        if not isinstance(value, str) or not value.startswith(_MOCK_ID) or not value.endswith(">"):
            return value
        inner = value[len(_MOCK_ID) : -1]
        if inner.startswith("Okta user "):
            return self.org.find_user(inner.removeprefix("Okta user "))
        if inner.startswith("Okta group "):
            return self.org.lookup_group(inner.removeprefix("Okta group "))
        return new[inner].id if inner in new else value

    def _plan(
        self, reg: Registration, inputs: dict[str, Any], before: ResourceState
    ) -> tuple[Op, list[str], dict[str, Any]]:
        """(op, changed paths, inputs to record) for a declared resource that has state."""
        ignore = list(reg.options.get("ignoreChanges") or [])
        kept = dict(inputs)
        for key in ignore:  # processIgnoreChanges
            if key in before.inputs:
                kept[key] = before.inputs[key]
            else:
                kept.pop(key, None)
        trigger, was = reg.options.get("replacementTrigger"), before.options.get("replacementTrigger")
        if trigger is not None and was is not None and trigger != was:
            return Op.REPLACE, ["replacementTrigger"], kept
        if not reg.custom:
            return Op.SAME, [], kept
        result = provider.diff(provider.MODELS[reg.type], before.outputs, kept, ignore)
        on_changes = set(reg.options.get("replaceOnChanges") or [])
        replace = result.replace or [k for k in result.changed if k in on_changes or "*" in on_changes]
        if replace or before.pending_replacement:  # continueStepsFromDiff: a pending replacement is a replace
            return Op.REPLACE, result.changed or [PENDING_REPLACEMENT], kept
        return (Op.UPDATE if result.changed else Op.SAME), result.changed, kept

    def _apply(
        self, reg: Registration, before: ResourceState | None, new: dict[str, ResourceState], later: list[ResourceState]
    ) -> Step:
        try:
            inputs = self._resolve(reg.inputs, new)
        except OktaApiError as exc:
            failed = Step(reg.name, reg.type, Op.CREATE if before is None else Op.SAME)
            failed.fail(exc)
            return self._keep(reg, before, new, failed)
        if before is None:
            step = Step(reg.name, reg.type, Op.CREATE)
            return self._run(step, lambda: self._create(reg, inputs, new), reg, before, new)
        op, paths, kept = self._plan(reg, inputs, before)
        if reg.name in self._replace:  # pulumi up --replace: a forced replacement
            op, paths = Op.REPLACE, ["--replace"]
        dbr = bool(reg.options.get("deleteBeforeReplace"))
        step = Step(reg.name, reg.type, op, paths, delete_before_replace=op == Op.REPLACE and dbr)
        if paths == ["replacementTrigger"]:
            step.trigger = Trigger(before.options.get("replacementTrigger"), reg.options.get("replacementTrigger"))
        if op == Op.SAME:
            new[reg.name] = self._recorded(reg, before, kept, before.outputs)
            return step
        if op == Op.UPDATE:
            model = provider.MODELS[reg.type]
            return self._run(
                step,
                lambda: self._store(
                    new, self._recorded(reg, before, kept, model.update_from(self.org, before.id, before.outputs, kept))
                ),
                reg,
                before,
                new,
            )

        def replace() -> None:
            if before.options.get("protect"):
                raise StepError(f"unable to replace protected resource {reg.name!r}: `pulumi state unprotect` first")
            if dbr and not before.pending_replacement:  # a pending one was deleted by a run before
                self._run_hooks(before)
                self._provider_delete(before)
                # deleted: it stays in the state, pending replacement, until its create succeeds
                new[reg.name] = dataclasses.replace(before, pending_replacement=True)
                if self._on_step is not None:  # the engine's DeleteReplaced step, then CreateReplacement
                    self._on_step(step)
            self._create(reg, inputs, new)
            if not dbr:
                later.append(before)

        return self._run(step, replace, reg, before, new)

    def _run(
        self,
        step: Step,
        action: Callable[[], None],
        reg: Registration,
        before: ResourceState | None,
        new: dict[str, ResourceState],
    ) -> Step:
        try:
            action()
        except _REFUSALS as exc:
            step.fail(exc)
            self._keep(reg, before, new, step)
        if self._on_step is not None:
            self._on_step(step)
        return step

    def _keep(self, reg: Registration, before: ResourceState | None, new: dict[str, ResourceState], step: Step) -> Step:
        """A failed step leaves the last run's state of the resource (if any) as it was."""
        if before is not None and reg.name not in new:
            new[reg.name] = before
        return step

    def _unrun(self, reg: Registration, before: ResourceState | None, new: dict[str, ResourceState]) -> Step:
        """The step the engine would have run after the failure (the state keeps ``before``)."""
        if before is None:
            return Step(reg.name, reg.type, Op.CREATE, status=Status.NOT_RUN)
        new[reg.name] = before
        if reg.name in self._replace:  # pulumi up --replace: a forced replacement, whatever the diff
            dbr = bool(reg.options.get("deleteBeforeReplace"))
            return Step(reg.name, reg.type, Op.REPLACE, ["--replace"], Status.NOT_RUN, delete_before_replace=dbr)
        try:
            op, paths, _ = self._plan(reg, self._resolve(reg.inputs, new), before)
        except OktaApiError as exc:
            return Step(reg.name, reg.type, Op.UPDATE, status=Status.NOT_RUN, error=str(exc))
        return Step(reg.name, reg.type, op, paths, status=Status.NOT_RUN)

    def _create(self, reg: Registration, inputs: dict[str, Any], new: dict[str, ResourceState]) -> None:
        outputs: dict[str, Any] = {}
        if not reg.custom:
            rid = reg.name
        else:
            rid, outputs = provider.MODELS[reg.type].create(self.org, inputs)
        self._store(
            new,
            ResourceState(reg.type, reg.name, reg.parent, reg.custom, rid, inputs, outputs, copy.deepcopy(reg.options)),
        )

    @staticmethod
    def _store(new: dict[str, ResourceState], state: ResourceState) -> None:
        new[state.name] = state

    @staticmethod
    def _recorded(
        reg: Registration, before: ResourceState, inputs: dict[str, Any], outputs: dict[str, Any]
    ) -> ResourceState:
        return ResourceState(
            reg.type, reg.name, reg.parent, reg.custom, before.id, inputs, outputs, copy.deepcopy(reg.options)
        )

    def _run_hooks(self, state: ResourceState) -> None:
        """The ``before_delete`` hooks recorded with the resource, as the engine runs them
        (pulumi/pulumi ``pkg/resource/deploy/step.go``, ``(*DeleteStep).Apply`` ->
        ``(*Deployment).RunHooks``, ``deployment.go``): by name, the program's functions
        (:func:`~ownscim_infra.program.component.guard_regions_attribute` for the attribute,
        :func:`~ownscim_infra.program.component.guard_app` for the app); a hook that raises
        fails the delete. Only :meth:`up` runs them: ``RunHooks`` skips a hook in a dry run
        (``pulumi preview``) unless it is registered ``on_dry_run``, which the program's are not.

        :raises ~ownscim_infra.program.component.RegionsAttributeDeleteRefused: the attribute's guard.
        :raises ~ownscim_infra.program.component.AppDeleteRefused: the app's guard."""
        guards = (
            (component.ATTRIBUTE_GUARD_HOOK, component.guard_regions_attribute),
            (component.APP_GUARD_HOOK, component.guard_app),
        )
        for hook in state.options.get("beforeDeleteHooks") or []:
            for prefix, guard in guards:
                if hook.startswith(prefix):
                    guard(
                        pulumi.ResourceHookArgs(
                            urn=state.name,
                            id=state.id,
                            name=state.name,
                            type=state.type,
                            old_inputs=state.inputs,
                            old_outputs=state.outputs,
                        )
                    )

    def _provider_delete(self, state: ResourceState) -> None:
        if state.custom:
            provider.MODELS[state.type].delete(self.org, state.id, state.outputs)

    def _delete(self, state: ResourceState, *, replaced: bool) -> Step:
        step = Step(state.name, state.type, Op.REPLACE if replaced else Op.DELETE)

        def delete() -> None:
            if state.pending_replacement:  # RemovePendingReplaceStep: deleted already, no hook, no Delete
                return
            # (*DeleteStep).Apply runs the before_delete hooks first, then refuses a protected
            # resource (not on a replacement: protect was checked when it was planned)
            self._run_hooks(state)
            if state.options.get("protect") and not replaced:
                raise StepError(
                    f"unable to delete protected resource {state.name!r}: `pulumi state unprotect` it first"
                )
            self._provider_delete(state)

        try:
            delete()
        except _REFUSALS as exc:
            step.fail(exc)
        if self._on_step is not None:
            self._on_step(step)
        return step


def _looked_up(value: Any) -> list[tuple[str, str]]:
    """``("user", login)`` and ``("group", name)`` of every looked-up id (the mocks'
    ``<id of Okta user LOGIN>``, ``<id of Okta group NAME>``) inside an input value."""
    if isinstance(value, dict):
        return [found for v in value.values() for found in _looked_up(v)]
    if isinstance(value, list):
        return [found for v in value for found in _looked_up(v)]
    if isinstance(value, str) and value.startswith(_MOCK_ID) and value.endswith(">"):
        inner = value[len(_MOCK_ID) : -1]
        for kind, prefix in (("user", "Okta user "), ("group", "Okta group ")):
            if inner.startswith(prefix):
                return [(kind, inner.removeprefix(prefix))]
    return []


def _dependency_order(registrations: Sequence[Registration], chain: Sequence[str] = ()) -> list[Registration]:
    """Topological order by ``dependsOn`` (and parent); the resources whose dependencies are
    met at the same time (which the engine runs in parallel) in the reverse of their
    registration order. ``chain``: names of resources with no dependency between them, run in
    that order (each made to wait for the one before it: no cycle, as none depends on
    another). Level by level (Kahn's algorithm): linear in the resources and edges."""
    by_name = {r.name: r for r in registrations}
    deps = {
        r.name: {d for d in [*r.options.get("dependsOn", []), r.parent] if d is not None and d in by_name}
        for r in registrations
    }
    chained = [name for name in chain if name in by_name]
    for before, after in itertools.pairwise(chained):
        deps[after].add(before)
    position = {r.name: i for i, r in enumerate(registrations)}
    waiting = {name: len(needs) for name, needs in deps.items()}
    dependents: dict[str, list[str]] = {}
    for name, needs in deps.items():
        for need in needs:
            dependents.setdefault(need, []).append(name)
    order: list[Registration] = []
    ready = [name for name, count in waiting.items() if count == 0]
    while len(order) < len(by_name):
        if not ready:  # a cycle cannot come from a Pulumi program; keep the rest in program order
            placed = {r.name for r in order}
            ready = [name for name in deps if name not in placed]
        ready.sort(key=lambda n: -position[n])
        order += [by_name[name] for name in ready]
        following = []
        for name in ready:
            for dependent in dependents.get(name, []):
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    following.append(dependent)
        ready = following
    return order


def delete_antichains(old: dict[str, ResourceState], kept: set[str], chain: Sequence[str] = ()) -> list[list[str]]:
    """The deletes of the resources of ``old`` not in ``kept``, as the engine schedules them
    (``ScheduleDeletes``, ``step_generator.go``): antichains, each the condemned resources no
    remaining condemned resource depends on, run one after the other; the steps of one
    antichain run in parallel. Within one, the emulation's order (dependents first, as
    :func:`_reverse_dependency_order`) with the names of ``chain`` in ``chain``'s order."""
    condemned = [n for n in _reverse_dependency_order(list(old.values())) if n not in kept]
    dependents: dict[str, set[str]] = {n: set() for n in condemned}
    for n in condemned:
        for need in [*old[n].options.get("dependsOn", []), old[n].parent]:
            if need in dependents and need != n:
                dependents[need].add(n)
    chained = {name: i for i, name in enumerate(chain)}
    left, layers = list(condemned), []
    while left:
        waiting = set(left)
        layer = [n for n in left if not dependents[n] & waiting] or left[:1]
        slots = [n for n in layer if n in chained]
        ordered = iter(sorted(slots, key=chained.__getitem__))
        layers.append([next(ordered) if n in chained else n for n in layer])
        done = set(layer)
        left = [n for n in left if n not in done]
    return layers


def _reachable(deps: dict[str, set[str]]) -> dict[str, set[str]]:
    """Every resource's transitive dependencies."""
    closed: dict[str, set[str]] = {}

    def visit(name: str) -> set[str]:
        if name not in closed:
            closed[name] = set()
            for need in deps.get(name, ()):
                closed[name] |= {need, *visit(need)}
        return closed[name]

    for name in deps:
        visit(name)
    return closed


def independent(registrations: Sequence[Registration], old: dict[str, ResourceState]) -> Callable[[str, str], bool]:
    """``independent(a, b)``: whether the engine may run the steps of ``a`` and ``b`` in
    either order: two declared resources neither of which depends on the other, even through
    others (the engine generates a step as soon as its dependencies resolve), or two deletes
    of the same antichain (:func:`delete_antichains`). A declared resource's step always runs
    before the deletes."""
    deps = {r.name: {d for d in [*r.options.get("dependsOn", []), r.parent] if d is not None} for r in registrations}
    reach = _reachable(deps)
    layer = {n: i for i, names in enumerate(delete_antichains(old, set(deps))) for n in names}

    def check(a: str, b: str) -> bool:
        if a == b:
            return False
        if a in deps and b in deps:
            return a not in reach[b] and b not in reach[a]
        return a in layer and b in layer and layer[a] == layer[b]

    return check


def conflict_groups(
    steps: Sequence[Step], touches: dict[str, set[str]], independent_of: Callable[[str, str], bool]
) -> list[list[str]]:
    """The sets of steps whose order matters: steps that change something, have no dependency
    between them (``independent_of``) and touch a same thing (``touches``: step name ->
    folded logins whose app assignment the step can change, and the group names it takes or
    gives up, :func:`.rollout.group_name_claims`), joined transitively; each in the order the
    steps ran. A set of one is left out.

    Only the pairs that share a touched thing are compared (an index from each thing to the
    steps touching it, in the order they ran): a first ``pulumi up`` of 5,000 people is 5,000
    steps touching one person each, 5,000 pairs to look at instead of 12.5 million
    (``tests/offline/test_engine.py::test_conflict_groups_are_those_of_every_pair_compared``)."""
    names = [s.name for s in steps if s.op != Op.SAME and touches.get(s.name)]
    parent = {n: n for n in names}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    touching: dict[str, list[str]] = {}
    for n in names:
        for thing in touches[n]:
            touching.setdefault(thing, []).append(n)
    compared: set[tuple[str, str]] = set()
    for sharing in touching.values():
        for i, a in enumerate(sharing):
            for b in sharing[i + 1 :]:  # a ran before b, as every pair of the definition
                if (a, b) not in compared:
                    compared.add((a, b))
                    if independent_of(a, b):
                        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(root(n), []).append(n)
    return [g for g in groups.values() if len(g) > 1]


def _reverse_dependency_order(states: list[ResourceState]) -> list[str]:
    """Names in an order where each resource comes before those it depends on (deletes)."""
    as_regs = [
        Registration(s.type, s.name, s.parent, {}, {"dependsOn": s.options.get("dependsOn", [])}, s.custom)
        for s in states
    ]
    return [r.name for r in reversed(_dependency_order(as_regs))]


def assignments_held(org: OktaOrg, app_id: str | None) -> list[dict[str, Any]]:
    """``[{"group", "priority"}]``: the group assignments as Okta holds them, by priority."""
    if app_id is None or app_id not in org.apps:
        return []
    held = org.apps[app_id].group_assignments
    rows = [{"group": org.groups[g].name, "priority": a["priority"]} for g, a in held.items() if g in org.groups]
    return sorted(rows, key=lambda r: (r["priority"], r["group"]))


def profile_of(state: ResourceState) -> dict[str, Any]:
    """The profile a resource's state holds (its provider's last Read), as a dict."""
    return dict(json.loads(state.outputs.get("profile") or "{}"))

"""Pulumi's mock runtime, set up in one place: for the offline plan and for the tests.

:class:`OfflineMocks` answers the engine: each resource gets the deterministic id
``<id of NAME>``, the Okta users and groups the program looks up
(``okta:user/getUsers:getUsers``, ``okta:index/getGroups:getGroups``) get ``<id of Okta user
LOGIN>`` / ``<id of Okta group NAME>``. :class:`RecordingMonitor` keeps every ``RegisterResource`` request as the engine
would receive it -- inputs camelCase, secrets still wrapped, and the options the plain
mocks do not see (parent, protect, deleteBeforeReplace, replaceOnChanges, dependencies,
ignoreChanges, replacementTrigger, hooks).
:func:`run_program` runs a program function under both, isolated in its own context so
that it can run many times in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ownscim_infra.program import lookups

#: Pulumi's marker of a secret value in a serialized property map (``rpc.SpecialSigKey``).
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
#: What a secret is replaced with wherever this project shows a value.
SECRET_PLACEHOLDER = "[secret]"
#: Computed outputs the plan cannot know before ``pulumi up``.
UNKNOWN_AFTER_APPLY = "(known after pulumi up)"


def mock_id(name: str) -> str:
    """The id the mocks give the resource with logical name ``name``."""
    return f"<id of {name}>"


def lookup_user_id(login: str) -> str:
    """The id the mocks give the Okta user found by ``login``."""
    return f"<id of Okta user {login}>"


def lookup_group_id(name: str) -> str:
    """The id the mocks give the existing Okta group found by ``name``."""
    return f"<id of Okta group {name}>"


def redact(value: Any) -> Any:
    """Replace every Pulumi-serialized secret inside ``value`` by ``"[secret]"``; numbers
    that protobuf carried as floats but are whole (``priority``) become ints again."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return SECRET_PLACEHOLDER
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _name_of(urn: str) -> str:
    """``urn:pulumi:stack::project::type$type::name`` -> ``name``."""
    return urn.rsplit("::", 1)[-1]


def _is_stack(urn: str) -> bool:
    """Whether ``urn`` is the root stack's (its own type, last in the type chain)."""
    return urn.split("::")[-2].split("$")[-1] == "pulumi:pulumi:Stack"


@dataclass
class Registration:
    """One resource as the engine received it: ``type`` token, logical ``name``, ``parent``
    logical name (``None`` under the stack), ``inputs`` (camelCase, secrets redacted),
    ``options``, and whether it is ``custom`` (a provider resource, not a component)."""

    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    options: dict[str, Any]
    custom: bool


@dataclass
class Invocation:
    """One data-source call (``token``, ``args``) the program made."""

    token: str
    args: dict[str, Any]


#: The type token of a stack reference (read by the program to know its stack's last outputs).
STACK_REFERENCE = "pulumi:pulumi:StackReference"


class OfflineMocks(pulumi.runtime.Mocks):
    """Deterministic answers for every resource and every invoke; no network, no credentials.

    ``previous_outputs``: the stack's outputs as its last ``pulumi up`` left them, which a
    ``pulumi:pulumi:StackReference`` read answers (as the engine's builtin provider does,
    ``readStackReference``: ``name``, ``outputs``, ``secretOutputNames``); ``None``: not known,
    the reference's outputs stay unknown (the plan of a config on its own)."""

    def __init__(self, previous_outputs: dict[str, Any] | None = None) -> None:
        self.invocations: list[Invocation] = []
        self.previous_outputs = previous_outputs
        self._lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        """Every resource gets :func:`mock_id` and its inputs as state; a connection's
        ``status`` is unknown until ``pulumi up``; a stack reference answers
        ``previous_outputs`` when they are known."""
        if args.typ == STACK_REFERENCE and self.previous_outputs is not None:
            name = args.inputs["name"]
            return name, {"name": name, "outputs": dict(self.previous_outputs), "secretOutputNames": []}
        state = dict(args.inputs)
        if args.typ == "okta:app/connection:Connection":
            state["status"] = UNKNOWN_AFTER_APPLY
        return mock_id(args.name), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        """Answer the Okta lookups the program makes, recording each: every login a
        ``getUsers`` call searches for is an Okta user (:func:`lookup_user_id`), every group
        name a ``getGroups`` search names is an Okta group (:func:`lookup_group_id`), spelled
        as searched.

        :raises NotImplementedError: any other data source (the program must not call one unnoticed).
        """
        with self._lock:
            self.invocations.append(Invocation(args.token, dict(args.args)))
        if args.token == lookups.USERS_TOKEN:
            logins = lookups.searched_logins(args.args.get("searches") or [])
            return {"users": [{"id": lookup_user_id(x), "login": x, "email": x} for x in logins]}, []
        if args.token == lookups.GROUPS_TOKEN:
            names = lookups.searched_group_names(args.args.get("search") or "")
            return {"groups": [{"id": lookup_group_id(n), "name": n, "type": "OKTA_GROUP"} for n in names]}, []
        raise NotImplementedError(f"the offline mocks do not answer {args.token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A ``MockMonitor`` that also records each ``RegisterResource`` request in full."""

    def __init__(self, mocks: OfflineMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.stack_outputs: dict[str, Any] | None = None
        self._lock = threading.Lock()
        #: the event loops Pulumi's mock monitor opens in the executor's threads
        #: (``_ensure_event_loop``): :func:`run_program` closes them with the executor
        self.thread_loops: set[asyncio.AbstractEventLoop] = set()

    def _keep_thread_loop(self) -> None:
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return
        with self._lock:
            self.thread_loops.add(loop)

    def Invoke(self, request: Any) -> Any:  # the gRPC name
        """Answer a data source through the mocks, as the plain mock monitor does."""
        try:
            return super().Invoke(request)
        finally:
            self._keep_thread_loop()

    def RegisterResource(self, request: Any) -> Any:  # the gRPC name
        """Record the request (inputs redacted, options), then register it as the plain mock monitor does."""
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
            parent = None if not request.parent or _is_stack(request.parent) else _name_of(request.parent)
            options = {
                "protect": bool(request.protect),
                "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                "replaceOnChanges": sorted(request.replaceOnChanges),
                "dependsOn": sorted({_name_of(u) for u in request.dependencies}),
                "beforeDeleteHooks": sorted(request.hooks.before_delete),
                "ignoreChanges": sorted(request.ignoreChanges),
                "replacementTrigger": (
                    redact(json_format.MessageToDict(request.replacement_trigger))
                    if request.HasField("replacement_trigger")
                    else None
                ),
            }
            with self._lock:
                self.registrations.append(
                    Registration(request.type, request.name, parent, redact(raw), options, bool(request.custom))
                )
        try:
            return super().RegisterResource(request)
        finally:
            self._keep_thread_loop()


@dataclass
class ProgramRun:
    """The result of :func:`run_program`: every registration, every invoke, and the
    program's outputs resolved (a secret output becomes ``"[secret]"``)."""

    registrations: list[Registration]
    invocations: list[Invocation]
    outputs: dict[str, Any] = field(default_factory=dict)


async def _resolve(value: Any) -> Any:
    out = pulumi.Output.from_input(value)
    if await out.is_secret():
        return SECRET_PLACEHOLDER
    return await out.future()


def run_program(
    program: Callable[[], dict[str, Any]],
    *,
    config: dict[str, str],
    secret_keys: list[str],
    project: str = "ownscim",
    stack: str = "offline",
    mocks: OfflineMocks | None = None,
) -> ProgramRun:
    """Run ``program`` (which declares resources and returns its outputs) under the mock
    runtime, as ``pulumi preview`` would, with stack ``config`` (``{"ownscim:config": ...}``)
    of which ``secret_keys`` are secrets; ``mocks``: other answers than :class:`OfflineMocks`'
    (a subclass, e.g. an org without some user), for one run.

    Returns a :class:`ProgramRun`. Raises whatever the program raises (e.g.
    ``pulumi.RunError`` for an invalid config). Each call runs in a fresh
    ``contextvars.Context``, so runs do not leak resources or config into each other.
    """

    def body() -> ProgramRun:
        # Our own loop, closed at the end with its executor and the loops Pulumi's mock monitor
        # opened in the executor's threads: an event loop left to the garbage collector at exit
        # prints "Exception ignored in BaseEventLoop.__del__ ... Invalid file descriptor".
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        answers = mocks or OfflineMocks()
        monitor = RecordingMonitor(answers)
        try:
            return run(answers, monitor)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            asyncio.set_event_loop(None)
            loop.close()
            for thread_loop in monitor.thread_loops:
                thread_loop.close()

    def run(answers: OfflineMocks, monitor: RecordingMonitor) -> ProgramRun:
        pulumi.runtime.set_mocks(answers, project=project, stack=stack, preview=True, monitor=monitor)
        # set_mocks leaves the set of outputs to wait for shared by every run (the runtime's
        # MockSettings never sets it): one set per run, so a run never waits for another's
        runtime_settings.SETTINGS.outputs = set()
        pulumi.runtime.set_all_config(config, secret_keys)
        result = ProgramRun(monitor.registrations, answers.invocations)

        async def main() -> None:
            outputs = program()
            result.outputs = {k: await _resolve(v) for k, v in outputs.items()}

        try:
            with _few_full_collections():
                _sync_await(run_pulumi_func(main))
        except BaseException as failure:
            _cancel_leftovers(failure)
            raise
        return result

    return contextvars.Context().run(body)


#: Collections of the middle generation between two of the oldest during a run (Python's
#: default is 10): see :func:`_few_full_collections`.
FULL_COLLECTION_EVERY = 1000


@contextlib.contextmanager
def _few_full_collections() -> Iterator[None]:
    """Run with the oldest generation of the cyclic garbage collector collected rarely.

    A run keeps every resource's outputs, futures and tasks alive until its end (some 60
    objects a resource), and Python's collector scans them all at each full collection. At
    5,000 people that was 17 full collections and a third of the plan's CPU time (cProfile:
    the time showed in whatever allocated when a collection started; ``gc.get_stats``).
    Collecting the oldest generation after :data:`FULL_COLLECTION_EVERY` collections of the
    middle one keeps the young garbage collected as before (peak memory unchanged, measured)
    and restores the thresholds after the run.
    """
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(young, middle, max(oldest, FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, oldest)


#: The faults of failed runs (type and message), raised to the caller: the runtime's futures
#: that carry them are not reported again as "exception was never retrieved"
#: (:func:`_cancel_leftovers`). Not the exceptions themselves: they would keep whole runs alive.
_RAISED: set[tuple[type, str]] = set()


def _cancel_leftovers(failure: BaseException) -> None:
    """After a failed run, cancel what it left in the event loop (the other outputs and
    registrations of a failed program, e.g. every id of a failed lookup) and let the loop
    stay quiet about the futures that carry ``failure``: Pulumi's process would exit here,
    but this one goes on, and the caller has the error."""
    loop = asyncio.get_event_loop()  # the run's own
    _RAISED.add((type(failure), str(failure)))
    loop.set_exception_handler(_quiet_about_raised)
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _quiet_about_raised(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    fault = context.get("exception")
    if fault is None or (type(fault), str(fault)) not in _RAISED:
        loop.default_exception_handler(context)

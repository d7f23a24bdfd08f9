"""The simulation's report for a terminal: what ``pulumi up`` does, one row a user, then the
reasons and the findings (:func:`render_text`). Text only here; the model is :mod:`.report`.
"""

from __future__ import annotations

import json

from ownscim_infra.domain.repairs import repair_lines
from ownscim_infra.domain.tables import DEFAULT_WIDTH, aligned, wrapped
from ownscim_infra.offline.report import (
    RE_CREATED_ALTERNATIVE,
    ChangeKind,
    OwnState,
    ReasonKind,
    SimulationReport,
    UserResult,
)
from ownscim_infra.offline.steps import Op, Step


def _own_cell(own: OwnState | None) -> str:
    return own.render() if own else "absent"


def changed_summary(step: Step) -> str:
    """What a step changes, for a reader: the changed paths; for an assignment replaced by its
    ``replacementTrigger``, the declared values before and after (``regions us1 -> emea2``),
    which is what set the trigger off."""
    trigger = step.trigger
    if step.paths == ["replacementTrigger"] and trigger is not None:
        try:
            old, new = json.loads(str(trigger.recorded)), json.loads(str(trigger.declared))
        except ValueError:
            return trigger.render()
        if not isinstance(old, dict) or not isinstance(new, dict):
            return trigger.render()
        keys = sorted(set(old) | set(new))
        return ", ".join(f"{k} {old.get(k, '(none)')} -> {new.get(k, '(none)')}" for k in keys) or "profile"
    return ", ".join(step.paths) or "-"


def _changes_lines(report: SimulationReport, width: int | None) -> list[str]:
    """What the emulated ``pulumi up`` did: a count by operation, every step that is not
    ``same``, the failure, and the group order Okta holds after it."""
    counts: dict[str, int] = {}
    for step in report.changes:
        counts[step.op] = counts.get(step.op, 0) + 1
    summary = ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "nothing declared"
    lines = [f"pulumi up (emulated engine and okta provider): {len(report.changes)} resource(s): {summary}"]
    rows = [[str(s.op), s.name, changed_summary(s), str(s.status)] for s in report.changes if s.op != Op.SAME]
    if rows:
        lines += aligned(["Op", "Resource", "Changed", "Status"], rows, indent="  ", max_width=width)
    else:
        lines.append("  no changes: the state already matches the program")
    failed = report.update_failed
    if failed is not None:
        lines += wrapped(f"pulumi up FAILS at {failed.name}: {failed.error}", width)
    held = report.okta.get("groupAssignments") or []
    if held:
        text = "Okta holds the group assignments: " + ", ".join(f"{g['priority']} {g['group']}" for g in held)
        lines += wrapped(text, width)
    return lines


def _sent_cell(u: UserResult) -> str:
    if ChangeKind.RE_PROVISIONED in u.changes or ChangeKind.REACTIVATED in u.changes:
        return "no regions: reactivated (PATCH)"
    if ChangeKind.DEACTIVATED in u.changes:
        return "- (deactivated)"
    if not u.assigned:
        return "-"
    if not u.sent:
        return "nothing sent (already in Own)"
    return "(none: all regions)" if u.regions_sent is None else u.regions_sent


def _people_lines(report: SimulationReport, width: int | None) -> list[str]:
    """The users table, then (with ``--previous``) what the change did to each person."""
    header = ["User", "Assignment", "Okta sends regions", "Own holds", "Config means", "Result"]
    rows = [
        [u.login, u.assignment, _sent_cell(u), _own_cell(u.own), u.expected.render(), "ok" if u.ok else "DIFFERS"]
        for u in report.users
    ]
    lines = [*aligned(header, rows, max_width=width), ""]
    if report.console:  # Own "before the change" is read after these: they are not the change's
        lines += [f"What the Admin Console actions did in Own, before this run ({len(report.console_changes)}):"]
        lines += [w for line in report.console_changes for w in wrapped(line, width, "  ")] or ["  nobody"]
        lines.append("")
    if report.previous:
        changed = report.changed_users
        lines.append(f"What the change does to people in Own ({len(changed)} of {len(report.users)}):")
        if changed:
            rows = [[u.login, ", ".join(u.changes), _own_cell(u.before), _own_cell(u.own)] for u in changed]
            lines += aligned(["User", "Change", "Before", "After"], rows, indent="  ", max_width=width)
            for u in changed:  # the cause and what to do; a re-creation resets what an admin set in Own
                lines += wrapped(f"{u.login}: {u.change_text()}; what to do: {u.action}", width, "  ")
                for r in u.reasons:
                    if r.kind == ReasonKind.RE_CREATED:
                        lines += wrapped(f"{u.login}: {r.text}", width, "  ")
            if any(ChangeKind.RE_CREATED in u.changes for u in changed):
                lines += wrapped(RE_CREATED_ALTERNATIVE, width, "  ")
        else:
            lines.append("  nobody: Own holds the same users as before")
        lines.append("")
    return lines


def _not_guaranteed_lines(report: SimulationReport, width: int | None) -> list[str]:
    """The people whose regions in Own are not guaranteed (``regions-not-guaranteed``), with why."""
    labelled = [u.not_guaranteed for u in report.users if u.not_guaranteed]
    if not labelled:
        return []
    lines = ["Regions not guaranteed (assigned directly and in an assigned group):"]
    for text in labelled:
        lines += wrapped(f"- {text.removeprefix('regions not guaranteed: ')}", width, "  ")
    return lines


def _findings_lines(report: SimulationReport, width: int | None) -> list[str]:
    lines = []
    for u in report.users:
        if not u.ok:
            lines.append(f"{u.login} differs:")
            for r in u.reasons:
                lines += wrapped(f"- {r.text}", width, "  ")
    if report.previous_findings:
        lines.append("Findings of the previous config (before the change):")
        for f in report.previous_findings:
            lines += wrapped(f"- [{f.code}] {f.message}", width, "  ")
    if report.findings:
        lines.append("Findings:")
        for f in report.findings:
            lines += wrapped(f"- [{f.code}] {f.message}", width, "  ")
            for step in f.steps:
                lines += wrapped(step, width, "      ")
    return lines


def drift_lines(report: SimulationReport, width: int | None) -> list[str]:
    """What the config declares against what Okta holds after the run, with each repair
    (nothing when there is no drift)."""
    if not report.drift:
        return []
    left = [d for d in report.drift if d.repair is not None]
    lines = [
        f"Drift: the config against Okta after the run ({len(left)} left, {len(report.drift) - len(left)} repaired):"
    ]
    for d in report.drift:
        lines += wrapped(f"- {d.resource}: {d.what}", width, "  ")
        lines += (
            ["    Repair:", *repair_lines(d.repair, width, "      ")] if d.repair else ["    Repaired by this run."]
        )
    return lines


def _next_run_lines(report: SimulationReport, width: int | None) -> list[str]:
    """A further plain ``pulumi up``, previewed (with ``--console``, ``--refresh``, ``--replace``)."""
    if report.next_run is None:
        return []
    changing = [s for s in report.next_run if s.op != Op.SAME]
    if not changing:
        return [f"A further pulumi up (previewed): all {len(report.next_run)} resource(s) same"]
    rows = [[str(s.op), s.name, changed_summary(s)] for s in changing]
    head = f"A further pulumi up (previewed): {len(changing)} of {len(report.next_run)} resource(s) change"
    return [head, *aligned(["Op", "Resource", "Changed"], rows, indent="  ", max_width=width)]


def render_text(report: SimulationReport, width: int | None = DEFAULT_WIDTH) -> str:
    """The report for a terminal: what ``pulumi up`` does, one row a user, then the reasons
    and the findings. Tables fit ``width`` columns (``None``: as wide as they take)."""
    caps = ", ".join(f"{k} {v}" for k, v in report.capabilities.items())
    attr = report.attribute
    header = [
        f"Simulation of {report.config} with directory {report.directory}",
        *([f"Applied as a change from {report.previous} (provisioned first)"] if report.previous else []),
        *(f"Admin Console, before this run: {action}" for action in report.console),
        f"Receiver: {report.receiver}"
        + (" (started here, temporary database)" if report.receiver_started_here else ""),
        f"Okta provisioning ({report.capabilities_source}): {caps}",
        "regions attribute: "
        + (
            f"externalName {attr['externalName']}, externalNamespace {attr['externalNamespace']}, scope {attr['scope']}"
            if attr
            else "not declared"
        ),
    ]
    lines = [
        *(line for text in header for line in wrapped(text, width)),
        "",
        *_changes_lines(report, width),
        "",
        *_people_lines(report, width),
        *_not_guaranteed_lines(report, width),
        *_findings_lines(report, width),
        *drift_lines(report, width),
        *_next_run_lines(report, width),
    ]
    ok_count = sum(u.ok for u in report.users)
    found = len(report.findings) + len(report.previous_findings)
    labelled = sum(bool(u.not_guaranteed) for u in report.users)
    lines.append(
        f"{len(report.users)} users: {ok_count} as the config means, {len(report.users) - ok_count} differ"
        + (f"; {labelled} with regions not guaranteed" if labelled else "")
        + f"; {found} finding(s)"
    )
    return "\n".join(lines) + "\n"

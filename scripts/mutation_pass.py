# ruff: noqa: E501  (the mutants are source lines, quoted as they stand)
"""Break each safety promise by hand, once, and see which tests catch it.

Usage: .venv/bin/python scripts/mutation_pass.py [--out FILE] [--only MODULE]

``--only kinds/endpoint.py`` runs just the mutants of the modules whose name contains it.

Each mutant is one small edit to the source that takes a promise out (a claim that ignores the
state, a write without its condition, a click that skips the rails...). The script applies it
in a throwaway git worktree of HEAD, runs the tests that guard that part, and writes which of
them failed. A mutant no test catches is a promise no test holds. It takes about 2 minutes per
mutant on 2 cores; CI does not run it.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
PYTEST = REPO / ".venv" / "bin" / "pytest"
MUTANTS = [
    (
        "claim takes a finding in any state",
        "state/store.py",
        'if current is None or not current.due(now):\n                raise StateConflict(finding_id, current, "claim it")',
        'if current is None:\n                raise StateConflict(finding_id, current, "claim it")',
    ),
    (
        "state writes without the version condition",
        "state/store.py",
        'ConditionExpression="version = :v",',
        'ConditionExpression="attribute_exists(pk) OR version = :v",',
    ),
    (
        "a write that loses a race fails",
        "state/store.py",
        "                current = lost.found\n",
        "                raise\n",
    ),
    (
        "the worker's idempotency off",
        "handlers/remediate.py",
        "        self._run = run\n",
        "        self._run = run.__wrapped__\n",
    ),
    (
        "the state guard off (plan and claim)",
        "cycle/contracts.py",
        "        return self.state is State.APPROVED or (",
        "        return True or (",
    ),
    (
        "no check that credentials reach the finding's account",
        "cycle/remediation.py",
        "            if reached != account:",
        "            if False:",
    ),
    (
        "an approval skips the rails",
        "cycle/engine.py",
        "        return self.settle([sf] if sf else [])",
        "        return execute(self.store, self.policy, self.clients_for, [sf], now=self.now, actor=self.actor) if sf else []",
    ),
    (
        "an event is planned with every approved finding",
        "cycle/engine.py",
        '"actions": self.settle(stored.values())',
        '"actions": [o for o in self.settle(self.store.by_state(State.APPROVED)) if o.finding_id in stored]',
    ),
    (
        "gone counts as remediated",
        "cycle/remediation.py",
        "            Result.GONE: State.RESOLVED,",
        "            Result.GONE: State.REMEDIATED,",
    ),
    (
        "grace period two minutes short",
        "cycle/remediation.py",
        "        if ready > now:",
        "        if ready > now + timedelta(minutes=2):",
    ),
    (
        "blast radius shared by all detectors",
        "cycle/remediation.py",
        "        if taken[f.detector] >= settings.max_actions_per_run:",
        "        if taken['all'] >= settings.max_actions_per_run:",
    ),
    (
        "no exemption at re-check",
        "cycle/remediation.py",
        '            if why:\n                self.settle(sf, State.RESOLVED, f"exempt at re-check: {why}")',
        '            if False:\n                self.settle(sf, State.RESOLVED, f"exempt at re-check: {why}")',
    ),
    (
        "budget idempotency ignores the invocation's deadline",
        "runtime.py",
        "        config.register_lambda_context(context)",
        "        pass",
    ),
    (
        "real-time ignores exemption tags",
        "handlers/realtime.py",
        "                and not exemption(\n                    f.tags, det, self.now.date(), self.policy.exempt_tag, self.policy.snooze_tag\n                )",
        "                and True",
    ),
    (
        "any Slack user may decide",
        "handlers/slack.py",
        "    if not allowed:",
        "    if False:",
    ),
    (
        "Slack signature not checked",
        "handlers/slack.py",
        "    if body is None or not verify(body, headers, signing_secret, clock):",
        "    if body is None:",
    ),
    (
        "inference-component traffic not attributed to its endpoint",
        "kinds/endpoint.py",
        "    return component_endpoint.get(component) if component else None",
        "    return None",
    ),
    (
        "async work not counted",
        "kinds/endpoint.py",
        '    "InvocationsProcessed": "Sum",\n    "ApproximateBacklogSize": "Maximum",\n',
        "",
    ),
    (
        "a variant scaled to zero still priced",
        "kinds/endpoint.py",
        '            running = v.get("CurrentInstanceCount", conf.get("InitialInstanceCount"))',
        '            running = conf.get("InitialInstanceCount")',
    ),
    (
        "an unreadable endpoint config guessed as a plain endpoint",
        "kinds/endpoint.py",
        '        raise CannotJudge(f"its endpoint config cannot be read ({code})") from err',
        '        conf = {"ProductionVariants": [{"VariantName": v["VariantName"], "InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 1} for v in desc["ProductionVariants"]]}',
    ),
]
CORE_TESTS = [
    "tests/functional/test_cycle.py",
    "tests/functional/test_remediation.py",
    "tests/functional/test_remediate_function.py",
    "tests/functional/test_realtime_function.py",
    "tests/functional/test_budget_function.py",
    "tests/functional/test_fanout.py",
]
# The tests that guard each module, where they are not the core ones.
TESTS_FOR = {
    "handlers/slack.py": [
        "tests/functional/test_slack_function.py",
        "tests/functional/test_hostile_input.py",
    ],
    "kinds/endpoint.py": [
        "tests/functional/test_endpoint_kinds.py",
        "tests/functional/test_idle_endpoint.py",
    ],
}


def run(root: pathlib.Path) -> list[tuple[str, list[str] | str]]:
    results: list[tuple[str, list[str] | str]] = []
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    for name, rel, old, new in MUTANTS:
        if only and only not in rel:
            continue
        path = root / "layers/govbot/govbot" / rel
        src = path.read_text()
        if old not in src:
            results.append((name, "the mutation no longer applies: update this script"))
            continue
        path.write_text(src.replace(old, new, 1))
        try:
            done = subprocess.run(
                [
                    str(PYTEST),
                    "-q",
                    "-n",
                    "2",
                    "-p",
                    "no:cacheprovider",
                    *TESTS_FOR.get(rel, CORE_TESTS),
                ],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=1800,
            )
            failed = sorted(
                {
                    line.split(" ")[1]
                    for line in done.stdout.splitlines()
                    if line.startswith(("FAILED", "ERROR"))
                }
            )
            results.append((name, failed))
        finally:
            path.write_text(src)
        print(
            f"{name}: {len(results[-1][1]) if isinstance(results[-1][1], list) else results[-1][1]}",
            flush=True,
        )
    return results


def main() -> int:
    out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else None
    with tempfile.TemporaryDirectory() as tmp:
        tree = pathlib.Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(tree), "HEAD"], cwd=REPO, check=True
        )
        try:
            results = run(tree)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO)
    lines = ["| promise taken out | tests that failed |", "|---|---|"]
    for name, failed in results:
        caught = (
            ", ".join(f"`{f.split('::')[-1]}`" for f in failed)
            if isinstance(failed, list)
            else failed
        )
        lines.append(f"| {name} | {caught or '**none: no test holds this promise**'} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if out:
        out.write_text(table)
    missed = [n for n, f in results if not f or isinstance(f, str)]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

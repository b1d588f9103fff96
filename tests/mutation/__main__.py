"""`python -m tests.mutation` (`make mutation`): how many small breakages of the engine the tests catch.

mutmut changes the modules that decide what changes and when (the diff, the ignore rules,
retries, the planner, the plan file, the lock, the stale-plan check) one small edit at a
time (a flipped comparison, a dropped condition, a constant returned) and reruns the tests
that reach the edited function. A mutant the tests notice is killed; one they don't
survives. Modules run one after another with one worker: the machine is shared.

Prints a score per module and every surviving mutant, writes tests/mutation/results.md, and
exits 1 when a module is under the threshold or a mutant is reached by no test. A survivor
that no behaviour can tell apart from the original (an equivalent mutant) is listed in
EQUIVALENT below with the reason, and shown as such instead of as a gap.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results.md"
THRESHOLD = 0.90


@dataclass(frozen=True)
class Module:
    """A module under mutation; `functions` narrows it to the functions named (globs)."""

    label: str
    path: str
    functions: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")

    def globs(self) -> list[str]:
        if not self.functions:
            return [f"{self.dotted}.*"]
        return [f"{self.dotted}.x_{name}__mutmut_*" for name in self.functions] + [
            f"{self.dotted}.xǁ*ǁ{name}__mutmut_*" for name in self.functions
        ]

    def owns(self, mutant: str) -> bool:
        return any(fnmatch.fnmatchcase(mutant, g) for g in self.globs())


MODULES = (
    Module("diff", "provisioner/engine/diff.py"),
    Module("ignore", "provisioner/engine/ignore.py"),
    Module("retry", "provisioner/engine/retry.py"),
    Module("planner", "provisioner/engine/planner.py"),
    Module("plan", "provisioner/engine/plan.py"),
    Module("lock", "provisioner/engine/lock.py"),
    # The stale-plan check `apply PLANFILE` and the drift job share; only it is mutated there.
    Module("stale-plan", "provisioner/workflows/apply_steps.py", ("stale", "refuse_if_moved")),
)

#: Survivors no test can kill, by (function, line removed, line added), with the reason.
#: Keyed by the edit rather than mutmut's number, which shifts when the function changes.
EQUIVALENT: dict[tuple[str, str, str], str] = {}


def _equivalent(function: str, removed: str, added: str, reason: str) -> None:
    EQUIVALENT[(function, removed, added)] = reason


_equivalent(
    "_prefixes",
    "for end in range(1, len(parts) + 1):",
    "for end in range(1, len(parts) + 2):",
    "the extra prefix slices past the end: it is the whole path again, matched as before",
)
_equivalent(
    "_all_changes",
    '_compare(desired.body, view, "", frozenset(kind.meta.unordered), out)',
    "_compare(desired.body, view, None, frozenset(kind.meta.unordered), out)",
    "the root path is only joined (None and '' are both falsy there) and looked up among"
    " the unordered paths (neither is one)",
)
_equivalent(
    "live_token",
    "owned = without_ignored(desired.body, desired.ignore) if desired.ignore else desired.body",
    "owned = without_ignored(desired.body, desired.ignore) if (desired.ignore) or True else desired.body",
    "with no ignore rules without_ignored returns a copy of the whole body: the same projection",
)
_SHORTCUT = "if want == have and type(want) is type(have):"
for _mutated in (
    "if want == have and type(None) is type(have):",
    "if want == have and type(want) is type(None):",
):
    _equivalent(
        "scalars_equal",
        _SHORTCUT,
        _mutated,
        "a shortcut: for two equal values of one type every later branch answers True as well",
    )
_equivalent(
    "scalars_equal",
    "return want is have or (want == have and isinstance(want, bool) and isinstance(have, bool))",
    "return want is have and (want == have and isinstance(want, bool) and isinstance(have, bool))",
    "True and False are singletons: two equal bools are the same object, so both halves agree",
)
_ZIP = "return all(values_equal(w, h) for w, h in zip(want, have, strict=True))"
for _mutated in ("strict=None))", "strict=False))", "))"):
    _equivalent(
        "values_equal",
        _ZIP,
        _ZIP.replace("strict=True))", _mutated),
        "the lengths were compared just before, so zip never meets lists of different lengths",
    )
_FIRST = "the first part of a split on '/' is the same whatever the number of splits"
_MATCH = 'return any(address == t or address.split("/", 1)[0] == t for t in targets)'
for _mutated in ('address.split("/", )[0]', 'address.split("/", 2)[0]'):
    _equivalent("_matches", _MATCH, _MATCH.replace('address.split("/", 1)[0]', _mutated), _FIRST)
_TARGET_KINDS = '| {t.split("/", 1)[0] for t in targets if t.split("/", 1)[0] in self.kinds}'
for _old, _new in (
    ('{t.split("/", 1)[0] for', '{t.split("/", )[0] for'),
    ('{t.split("/", 1)[0] for', '{t.split("/", 2)[0] for'),
    ('if t.split("/", 1)[0] in', 'if t.split("/", )[0] in'),
    ('if t.split("/", 1)[0] in', 'if t.split("/", 2)[0] in'),
):
    _equivalent("Planner.snapshot", _TARGET_KINDS, _TARGET_KINDS.replace(_old, _new), _FIRST)
_KIND = 'kind = session.planner.kinds.get(address.split("/", 1)[0])'
for _mutated in ('address.split("/", )[0]', 'address.split("/", 2)[0]'):
    _equivalent("stale", _KIND, _KIND.replace('address.split("/", 1)[0]', _mutated), _FIRST)
_POOL = "the pool's size bounds only how many reads overlap; no answer depends on it"
_WORKERS = "workers = max(1, min(max(self.parallelism, len(by_kind)), READ_WORKERS))"
_equivalent("Planner.observe", _WORKERS, "workers = None", _POOL)
_equivalent("Planner.observe", _WORKERS, _WORKERS.replace("max(1,", "max(2,"), _POOL)
_equivalent(
    "Planner.observe",
    "with ThreadPoolExecutor(max_workers=workers) as pool:",
    "with ThreadPoolExecutor(max_workers=None) as pool:",
    _POOL,
)
_equivalent(
    "Planner._observe_as_desired_arrives",
    "with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:",
    "with ThreadPoolExecutor(max_workers=None) as pool:",
    _POOL,
)
_equivalent(
    "Planner._deletion",
    "blocked = None",
    'blocked = ""',
    "both branches below assign it before it is read",
)
_equivalent(
    "Planner._mark_policy",
    'for part in (kind.meta.labels_path or "").split("."):',
    'for part in (kind.meta.labels_path or "XXXX").split("."):',
    "a kind without a labels path cannot abandon, so it never gets here",
)
_COUNT = "out[c.action] = out.get(c.action, 0) + 1"
for _mutated in ("out.get(c.action, None)", "out.get(c.action, )", "out.get(c.action, 1)"):
    _equivalent(
        "Plan.counts",
        _COUNT,
        _COUNT.replace("out.get(c.action, 0)", _mutated),
        "every action a pending change can have is counted from 0 already; the default is never used",
    )
for _mutated in ("self._renewer.join(timeout=None)", "self._renewer.join(timeout=6)"):
    _equivalent(
        "LeaseLock.release",
        "self._renewer.join(timeout=5)",
        _mutated,
        "the renewer ends as soon as it is told to stop; the timeout only bounds a renewal stuck in a call",
    )
_equivalent(
    "LeaseLock.renew",
    "if self.info is None or self._generation is None:",
    "if self.info is None and self._generation is None:",
    "the lock sets and clears its info and generation together: one is never None without the other",
)
_JSON = "return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)"
for _mutated in ("sort_keys=None, ", ""):
    _equivalent(
        "Plan.to_json",
        _JSON,
        _JSON.replace("sort_keys=False, ", _mutated),
        "json.dumps leaves keys in their order unless told otherwise: False is its default",
    )
_OUTCOME = "exc = state.outcome.exception() if state.outcome else None"
_OUTCOME_ALWAYS = "exc = state.outcome.exception() if (state.outcome) or True else None"
_CLASSIFY = "err = classify(exc) if exc else None"
_CLASSIFY_ALWAYS = "err = classify(exc) if (exc) or True else None"
_NEXT = "wait = state.next_action.sleep if state.next_action else 0.0"
for _function in ("_log_retry", "RetryPolicy._wait"):
    _equivalent(
        _function,
        _OUTCOME,
        _OUTCOME_ALWAYS,
        "tenacity calls the wait and before_sleep only after an attempt, so the outcome is always set",
    )
    _equivalent(
        _function,
        _CLASSIFY,
        _CLASSIFY_ALWAYS,
        "only exceptions are retried, so exc is never None there (and classify(None) is None anyway)",
    )
_equivalent(
    "_log_retry",
    _NEXT,
    "wait = state.next_action.sleep if (state.next_action) or True else 0.0",
    "tenacity sets next_action before it calls before_sleep",
)
_equivalent(
    "_log_retry",
    _NEXT,
    "wait = state.next_action.sleep if state.next_action else 1.0",
    "tenacity sets next_action before it calls before_sleep: the fallback is never used",
)

#: The same run before the tests in tests/engine and tests/properties that aim at survivors were
#: written (2026-12-04): label -> (mutants, killed, survived, reached by no test).
BEFORE: dict[str, tuple[int, int, int, int]] = {
    "diff": (249, 92, 123, 34),
    "ignore": (142, 46, 15, 81),
    "retry": (101, 60, 41, 0),
    "planner": (631, 298, 284, 49),
    "plan": (227, 40, 169, 18),
}

KILLED = {1, 3}
TIMEOUT = {24, -24, 152, 255, 36}
NO_TESTS = {5, 33}


@dataclass
class Tally:
    module: Module
    total: int = 0
    killed: int = 0
    timeout: int = 0
    no_tests: list[str] = field(default_factory=list)
    survived: list[tuple[str, str]] = field(default_factory=list)  # (mutant, diff)
    equivalent: list[tuple[str, str, str]] = field(default_factory=list)  # (mutant, diff, reason)
    other: list[tuple[str, int | None]] = field(default_factory=list)

    @property
    def score(self) -> float:
        return (self.killed + self.timeout) / self.total if self.total else 1.0

    @property
    def score_without_equivalent(self) -> float:
        real = self.total - len(self.equivalent)
        return (self.killed + self.timeout) / real if real else 1.0

    @property
    def passed(self) -> bool:
        return self.score >= THRESHOLD and not self.no_tests


def _mutmut() -> str:
    beside = Path(sys.executable).parent / "mutmut"
    return str(beside) if beside.exists() else "mutmut"


def _run(module: Module, log: Path) -> None:
    cmd = [_mutmut(), "run", "--max-children", "1", *module.globs()]
    print(f"-- {module.label}: {' '.join(cmd[1:])}", flush=True)
    with log.open("w") as out:
        done = subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed on {module.path} (exit {done.returncode}); its output ends:\n{tail}")


def _diff(mutant: str) -> str:
    shown = subprocess.run(
        [_mutmut(), "show", mutant], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout
    return "\n".join(line for line in shown.splitlines()[1:] if line.strip())


def _edit(mutant: str, diff: str) -> tuple[str, str, str]:
    mangled = mutant.rsplit(".", 1)[-1].split("__mutmut_")[0]  # x_function, or xǁClassǁmethod
    function = mangled.replace("ǁ", ".").removeprefix("x.") if "ǁ" in mangled else mangled.removeprefix("x_")
    removed = " ".join(
        line[1:].strip() for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")
    )
    added = " ".join(
        line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
    )
    return function, removed, added


def _tally(module: Module) -> Tally:
    meta = ROOT / "mutants" / f"{module.path}.meta"
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    tally = Tally(module)
    for mutant, code in sorted(codes.items(), key=lambda kv: _natural(kv[0])):
        if not module.owns(mutant):
            continue
        tally.total += 1
        if code in KILLED:
            tally.killed += 1
        elif code in TIMEOUT:
            tally.timeout += 1
        elif code in NO_TESTS:
            tally.no_tests.append(mutant)
        elif code == 0:
            diff = _diff(mutant)
            reason = EQUIVALENT.get(_edit(mutant, diff))
            if reason:
                tally.equivalent.append((mutant, diff, reason))
            else:
                tally.survived.append((mutant, diff))
        else:
            tally.other.append((mutant, code))
    return tally


def _natural(name: str) -> tuple[str, int]:
    head, _, number = name.rpartition("__mutmut_")
    return head, int(number) if number.isdigit() else 0


def _table(tallies: list[Tally]) -> list[str]:
    columns = ("module", "mutants", "killed", "timeout", "survived", "equivalent", "no test", "score")
    rows = ["| " + " | ".join((*columns, "without equivalent")) + " |", "|" + " --- |" * 9]
    for t in tallies:
        rows.append(
            f"| {t.module.label} ({t.module.path}) | {t.total} | {t.killed} | {t.timeout}"
            f" | {len(t.survived)} | {len(t.equivalent)} | {len(t.no_tests)}"
            f" | {t.score:.1%} | {t.score_without_equivalent:.1%} |"
        )
    return rows


def _report(tallies: list[Tally], when: str) -> str:
    lines = [
        "# Mutation score of the engine",
        "",
        f"Last run: {when}, `make mutation` (mutmut, one worker, tests selected in pyproject's"
        " `[tool.mutmut]`). Score: killed (or timed out) over all mutants; the threshold is"
        f" {THRESHOLD:.0%} per module, with no mutant reached by no test.",
        "",
        *_table(tallies),
        "",
    ]
    if BEFORE:
        lines += [
            "Before the tests aimed at the survivors were written (same tests selected, same tool):",
            "",
            "| module | mutants | killed | survived | no test | score |",
            "|" + " --- |" * 6,
            *(
                f"| {label} | {total} | {killed} | {survived} | {none} | {killed / total:.1%} |"
                for label, (total, killed, survived, none) in BEFORE.items()
            ),
            "",
        ]
    for t in tallies:
        if not (t.survived or t.equivalent or t.no_tests or t.other):
            continue
        lines += [f"## {t.module.label}", ""]
        for mutant, diff in t.survived:
            lines += [f"Survived: `{mutant}`", "", "```diff", diff, "```", ""]
        for mutant, diff, reason in t.equivalent:
            lines += [f"Equivalent: `{mutant}`: {reason}", "", "```diff", diff, "```", ""]
        lines += [f"Reached by no test: `{m}`" for m in t.no_tests]
        lines += [f"Other outcome (exit {code}): `{m}`" for m, code in t.other]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", action="append", choices=[m.label for m in MODULES], help="run only these (repeatable)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse mutants/ (and its test-to-function map) from the last run"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="tally the last run's results without running anything"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results (Markdown)")
    args = parser.parse_args(argv)
    modules = [m for m in MODULES if not args.only or m.label in args.only]
    if not args.report_only:
        if not args.keep:
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        (ROOT / "mutants").mkdir(exist_ok=True)
        for module in modules:
            _run(module, ROOT / "mutants" / f"run-{module.label.replace(' ', '-')}.log")
    tallies = [_tally(m) for m in modules]
    print("\n".join(_table(tallies)))
    for t in tallies:
        for mutant, diff in t.survived:
            print(f"\nsurvived: {mutant}\n{diff}")
        for mutant in t.no_tests:
            print(f"\nreached by no test: {mutant}")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.out.write_text(_report(tallies, when))
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if all(t.passed for t in tallies) else 1


if __name__ == "__main__":
    sys.exit(main())

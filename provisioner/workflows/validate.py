"""`validate`: the specs checked as a plan would read them, with no API call.

Each environment's spec must load, and its ignore rules must match what a plan would build;
across all environments, a rule in a shared file must match somewhere, and the environments
are compared with each other for mistakes no single spec shows.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from provisioner.workflows.outcome import EXIT_ERROR, EXIT_OK, UsageError, warn

if TYPE_CHECKING:
    from provisioner.workflows.registry import Registry


def run(args: argparse.Namespace, registry: Registry) -> int:
    """`validate`: check every spec (or one) without calling any API; exit 1 if any is invalid."""
    from provisioner.spec.errors import SpecError
    from provisioner.spec.loader import list_envs, load_env_spec, specs_folder_problem
    from provisioner.workflows import ignore_check

    problem = specs_folder_problem(args.specs)
    if problem:
        raise UsageError(f"{args.specs}: {problem}")
    envs = [args.env] if args.env is not None else list_envs(args.specs)
    if not envs:
        raise UsageError(f"no environment specs found in {args.specs}")
    failed = 0
    checks = []
    loaded = []
    for env in envs:
        try:
            loaded.append(load_env_spec(args.specs, env))
            checks.append(ignore_check.enforce(loaded[-1], registry.reconcilers))
        except SpecError as exc:
            failed += 1
            print(str(exc), file=sys.stderr)
            continue
        if not args.quiet:
            print(f"{env}: valid")
    if args.env is not None:
        warn(*(w for c in checks for w in c.warnings))
    elif not failed and (nowhere := ignore_check.across_environments(checks)):
        print(str(SpecError(nowhere)), file=sys.stderr)
        failed += 1
    if args.env is None:
        from provisioner.spec.crosschecks import across_environments

        warn(*across_environments(loaded))
    return EXIT_ERROR if failed else EXIT_OK

"""Command line: `python -m emulator --port N --state FILE ...`."""

from __future__ import annotations

import argparse
import sys

from emulator.app import Emulator
from emulator.config import EmulatorConfig
from emulator.durations import PROFILES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state", default=".provisioner/emulator.sqlite")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--operation-delay", type=float, default=0.0, help="seconds every operation takes (flat profile)"
    )
    parser.add_argument(
        "--operation-profile",
        choices=PROFILES,
        default="flat",
        help="flat: every operation takes --operation-delay; realistic: typical per-kind durations",
    )
    parser.add_argument(
        "--profile-scale",
        type=float,
        default=0.01,
        help="multiplier of the realistic durations (0.01: a 10-minute create takes 6 s)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--project", action="append", default=[])
    parser.add_argument(
        "--enforce-enabled-apis",
        action="store_true",
        help="answer calls to an API the project has not enabled with 403 SERVICE_DISABLED",
    )
    parser.add_argument(
        "--api-propagation",
        type=float,
        default=None,
        help="seconds a freshly enabled API keeps answering SERVICE_DISABLED (default: the profile's)",
    )
    parser.add_argument(
        "--metric-propagation",
        type=float,
        default=None,
        help="seconds a new user-defined metric stays unknown to alert policies (default: the profile's)",
    )
    args = parser.parse_args(argv)
    emu = Emulator(
        EmulatorConfig(
            state_path=args.state,
            latency_ms=args.latency_ms,
            operation_delay_s=args.operation_delay,
            operation_profile=args.operation_profile,
            profile_scale=args.profile_scale,
            seed=args.seed,
            projects=args.project,
            host=args.host,
            enforce_enabled_apis=args.enforce_enabled_apis,
            api_propagation_s=args.api_propagation,
            metric_propagation_s=args.metric_propagation,
        )
    )
    emu.start(port=args.port)
    print(emu.base_url, flush=True)
    try:
        emu.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

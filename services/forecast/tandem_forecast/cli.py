"""`tandem-forecast setup|migrate|grpc|events|relay` (see tandem_plumbing.cli) and
`tandem-forecast backfill [--if-needed]` (see adapters/backfill.py).

`events` also starts `backfill --if-needed` as a child process: a fresh deployment fills
itself from sales while its consumers already run (the two overlap harmlessly). A child,
because the events process is eventlet's and must never import grpc.
"""
from __future__ import annotations

import argparse
import subprocess
import sys

from tandem_plumbing.cli import ServiceSpec, configure_logging, service_main

SPEC = ServiceSpec(
    name="forecast",
    package="tandem_forecast",
    distribution="tandem-forecast",
    models="tandem_forecast.adapters.models:metadata",
    events="tandem_forecast.adapters.events:ForecastEvents",
    grpc="tandem_forecast.adapters.grpc_server:register",
)


def backfill(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tandem-forecast backfill")
    parser.add_argument("--if-needed", action="store_true", help="only when no backfill finished yet")
    args = parser.parse_args(argv)
    configure_logging(SPEC.name, "backfill")
    from .adapters import backfill as command

    return command.run(args.if_needed)


def events_with_backfill(argv: list[str]) -> int:
    child = subprocess.Popen([sys.executable, "-m", "tandem_forecast.cli", "backfill", "--if-needed"])
    try:
        return service_main(SPEC, argv)
    finally:
        if child.poll() is None:  # stopping: an unfinished backfill runs again next start
            child.terminate()
            child.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["backfill"]:
        return backfill(argv[1:])
    if argv[:1] == ["events"]:
        return events_with_backfill(argv)
    return service_main(SPEC, argv)


if __name__ == "__main__":
    sys.exit(main())

"""One command per service, one subcommand per process role:

    tandem-<service> setup     # migrate its database and declare its consumer queues
    tandem-<service> migrate   # alembic upgrade head only
    tandem-<service> grpc      # the gRPC server (plain threads) [--with-relay: plus the relay]
    tandem-<service> events    # the nameko consumer (eventlet)
    tandem-<service> relay     # the outbox relay (pika)

Nothing heavy is imported at module level: the `events` role must monkey-patch
eventlet before anything else is imported. Every role logs and traces as
telemetry.py says (LOG_FORMAT, OTEL_EXPORTER_OTLP_ENDPOINT, TANDEM_TRACES_FILE); the
long-running ones serve /metrics when their metrics port is set.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import warnings
from dataclasses import dataclass
from importlib.metadata import version as package_version
from importlib.resources import files


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # "leads": names the database, exchange, queues, env variables
    package: str  # "tandem_leads": holds migrations/ and the distribution's version
    distribution: str  # "tandem-leads"
    models: str  # "tandem_leads.adapters.models:metadata"
    events: str  # "tandem_leads.adapters.events:LeadsEvents": the nameko service class
    grpc: str | None = None  # "tandem_leads.adapters.grpc_server:register": (server, engine) -> names


def load(ref: str):
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def configure_logging(service: str, role: str) -> None:
    """Logs and traces of this process (telemetry.configure), with the libraries' chatter turned down."""
    from .telemetry import configure

    configure(service, role)
    logging.getLogger("pika").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if role not in ("setup", "migrate"):  # Ops.Status reads the revision on every call
        logging.getLogger("alembic").setLevel(logging.WARNING)


def quiet_eventlet_notice() -> None:
    """nameko 2.14 needs eventlet; its deprecation notice says nothing an operator can act on."""
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")


def service_main(spec: ServiceSpec, argv: list[str] | None = None) -> int:
    quiet_eventlet_notice()
    parser = argparse.ArgumentParser(prog=f"tandem-{spec.name.replace('_', '-')}")
    parser.add_argument("role", choices=["setup", "migrate", "grpc", "events", "relay"])
    parser.add_argument(
        "--with-relay", action="store_true", help="grpc: also run the outbox relay, as a thread of this process"
    )
    args = parser.parse_args(argv)
    if args.with_relay and args.role != "grpc":
        parser.error("--with-relay goes with the grpc role")
    if args.role == "events":
        _green()  # before telemetry (or anything else) creates a lock or a thread
    configure_logging(spec.name, args.role)
    if args.role == "events":
        return _run_events(spec)
    if args.role == "migrate":
        return migrate(spec.name, spec.package)
    if args.role == "relay":
        return relay(spec.name)
    if args.role == "grpc":
        return _run_grpc(spec, args.with_relay)
    return _setup(spec)


def migrate(service: str, package: str) -> int:
    """alembic upgrade head of `service`'s database, from `package`/migrations."""
    from .migrations import upgrade
    from .settings import database_url

    upgrade(files(package) / "migrations", database_url(service))
    logging.getLogger(__name__).info("%s: database at head", service)
    return 0


def relay(service: str) -> int:
    """Publish `service`'s outbox until SIGTERM."""
    from .db import make_engine
    from .relay import configured_poll_interval, run_relay
    from .settings import amqp_uri, database_url
    from .telemetry import serve_metrics

    serve_metrics(service, "relay")
    run_relay(make_engine(database_url(service)), service, amqp_uri(), configured_poll_interval())
    return 0


def _setup(spec: ServiceSpec) -> int:
    from .consumer import declare_queues
    from .settings import amqp_uri

    migrate(spec.name, spec.package)
    names = declare_queues(load(spec.events), amqp_uri())
    logging.getLogger(__name__).info("%s: declared %d consumer queue(s)", spec.name, len(names))
    return 0


def _run_grpc(spec: ServiceSpec, with_relay: bool) -> int:
    import threading

    from .db import make_engine
    from .grpc_server import serve
    from .ops import add_ops
    from .relay import OutboxRelay, configured_poll_interval
    from .settings import amqp_uri, database_url, grpc_port
    from .telemetry import serve_metrics

    serve_metrics(spec.name, "grpc")
    engine = make_engine(database_url(spec.name))
    metadata = load(spec.models)
    register = load(spec.grpc) if spec.grpc else (lambda _server, _engine: [])

    def register_all(server):
        ops = add_ops(server, spec.name, package_version(spec.distribution), engine, metadata)
        return [*register(server, engine), ops]

    on_stop = None
    if with_relay:
        # One process fewer per service; with several replicas, one relay publishes
        # and the others stand by (the relay's lock), so order still holds.
        outbox_relay = OutboxRelay(engine, spec.name, amqp_uri(), poll_interval=configured_poll_interval())
        outbox_relay.watch_backlog()
        thread = threading.Thread(target=outbox_relay.run_forever, name="outbox-relay", daemon=True)
        thread.start()

        def on_stop():
            outbox_relay.stop()
            thread.join(timeout=10)

    serve(f"[::]:{grpc_port(spec.name)}", register_all, on_stop=on_stop)
    return 0


def _green() -> None:
    import eventlet

    eventlet.monkey_patch()
    from .db import make_psycopg_green

    make_psycopg_green()  # before psycopg is first imported


def _run_events(spec: ServiceSpec) -> int:
    from .consumer import watch_parked
    from .nameko_runner import run_service
    from .settings import amqp_uri
    from .telemetry import serve_metrics

    if serve_metrics(spec.name, "events") is not None:
        watch_parked(spec.name, amqp_uri())
    run_service(load(spec.events))
    return 0

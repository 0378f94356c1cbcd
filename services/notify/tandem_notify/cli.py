"""`tandem-notify setup|migrate|grpc|events|relay`: see tandem_plumbing.cli."""
from tandem_plumbing.cli import ServiceSpec, service_main

SPEC = ServiceSpec(
    name="notify",
    package="tandem_notify",
    distribution="tandem-notify",
    models="tandem_notify.adapters.models:metadata",
    events="tandem_notify.adapters.events:NotifyEvents",
    grpc="tandem_notify.adapters.grpc_server:register",
)


def main() -> int:
    return service_main(SPEC)

"""`tandem-service-desk setup|migrate|grpc|events|relay`: see tandem_plumbing.cli."""
from tandem_plumbing.cli import ServiceSpec, service_main

SPEC = ServiceSpec(
    name="service_desk",
    package="tandem_service_desk",
    distribution="tandem-service-desk",
    models="tandem_service_desk.adapters.models:metadata",
    events="tandem_service_desk.adapters.events:ServiceDeskEvents",
    grpc="tandem_service_desk.adapters.grpc_server:register",
)


def main() -> int:
    return service_main(SPEC)

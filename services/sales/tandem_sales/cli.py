"""`tandem-sales setup|migrate|grpc|events|relay`: see tandem_plumbing.cli."""
from tandem_plumbing.cli import ServiceSpec, service_main

SPEC = ServiceSpec(
    name="sales",
    package="tandem_sales",
    distribution="tandem-sales",
    models="tandem_sales.adapters.models:metadata",
    events="tandem_sales.adapters.events:SalesEvents",
    grpc="tandem_sales.adapters.grpc_server:register",
)


def main() -> int:
    return service_main(SPEC)

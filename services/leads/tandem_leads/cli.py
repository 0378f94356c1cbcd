"""`tandem-leads setup|migrate|grpc|events|relay`: see tandem_plumbing.cli."""
from tandem_plumbing.cli import ServiceSpec, service_main

SPEC = ServiceSpec(
    name="leads",
    package="tandem_leads",
    distribution="tandem-leads",
    models="tandem_leads.adapters.models:metadata",
    events="tandem_leads.adapters.events:LeadsEvents",
    grpc="tandem_leads.adapters.grpc_server:register",
)


def main() -> int:
    return service_main(SPEC)

"""`tandem-forecast setup|migrate|grpc|events|relay`: see tandem_plumbing.cli."""
from tandem_plumbing.cli import ServiceSpec, service_main

SPEC = ServiceSpec(
    name="forecast",
    package="tandem_forecast",
    distribution="tandem-forecast",
    models="tandem_forecast.adapters.models:metadata",
    events="tandem_forecast.adapters.events:ForecastEvents",
)


def main() -> int:
    return service_main(SPEC)

"""The forecast gRPC server serves every forecast servicer (and `tandem-forecast grpc` uses it)."""
from concurrent.futures import ThreadPoolExecutor

import grpc
from tandem_plumbing.cli import load

from tandem_forecast.cli import SPEC


def test_register_serves_the_forecast_services(pg_forecast_db):
    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    assert load(SPEC.grpc)(server, pg_forecast_db.engine) == [
        "tandem.forecast.v1.Forecasts", "tandem.forecast.v1.Analytics", "tandem.forecast.v1.Reports"]

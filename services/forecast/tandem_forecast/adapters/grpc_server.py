"""The forecast gRPC server's services: `Forecasts` (forecast_grpc), `Analytics` and
`Reports` (analytics_grpc)."""
from __future__ import annotations

from sqlalchemy import Engine

from . import analytics_grpc, forecast_grpc


def register(server, engine: Engine) -> list[str]:
    return [*forecast_grpc.register(server, engine), *analytics_grpc.register(server, engine)]

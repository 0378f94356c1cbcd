"""The Flask app factory: wires configuration, database, hashing and tokens to the routes."""
from __future__ import annotations

import re
import uuid

from flask import Flask, g, request
from tandem_plumbing.db import make_engine, session_factory

from ..config import GatewayConfig
from ..identity.security import Passwords, Tokens
from . import identity_routes, ops_routes, telemetry
from .areas import AREAS
from .context import Gateway
from .errors import register_error_handlers
from .limits import TokenBuckets
from .nul_guard import refuse_nul

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is echoed only when it is short and harmless in logs and headers.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def create_app(config: GatewayConfig | None = None, passwords: Passwords | None = None) -> Flask:
    config = config or GatewayConfig.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes  # larger bodies: 413 before any handler reads them
    app.json.sort_keys = False  # keep fields in the order the resource defines them
    engine = make_engine(config.database_url)
    app.extensions["tandem_gateway"] = Gateway(
        config=config,
        engine=engine,
        sessions=session_factory(engine),
        reads=(engine.execution_options(isolation_level="AUTOCOMMIT")
               if engine.dialect.name == "postgresql" else engine).connect,
        passwords=passwords or Passwords(),
        tokens=Tokens(
            config.jwt_secret, config.token_ttl_seconds, issuer=config.jwt_issuer, audience=config.jwt_audience
        ),
        rate_limit=TokenBuckets(config.rate_limit_per_minute),
    )

    @app.before_request
    def assign_request_id():
        client_id = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = client_id if _SANE_REQUEST_ID.match(client_id) else uuid.uuid4().hex

    telemetry.instrument(app)  # after the request id (the correlation id), before any refusal
    app.before_request(refuse_nul)  # before any route reads the request

    @app.after_request
    def send_request_id(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id") or uuid.uuid4().hex
        return response

    register_error_handlers(app)
    app.register_blueprint(identity_routes.bp)
    app.register_blueprint(ops_routes.bp)
    for area in AREAS:
        app.register_blueprint(area.bp)
    return app

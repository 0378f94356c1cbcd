"""Health, readiness, system status and the API's own description."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from ..adapters import backends
from ..identity.domain import ADMIN
from .auth import authenticated
from .context import gateway
from .errors import ApiError
from .openapi import document

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    gw = gateway()
    checks = backends.readiness(gw.engine, gw.config.service_addrs, gw.config.probe_timeout)
    unavailable = sorted(name for name, ok in checks.items() if not ok)
    if unavailable:
        raise ApiError(503, "not_ready", f"not answering: {', '.join(unavailable)}", {"unavailable": unavailable})
    services = {name: "serving" for name in checks if name != "database"}
    return jsonify({"status": "ready", "database": "ok", "services": services})


@bp.get("/api/v1/system/status")
@authenticated(ADMIN)
def system_status():
    gw = gateway()
    return jsonify({"services": backends.system_status(gw.engine, gw.config.service_addrs, gw.config.probe_timeout)})


@bp.get("/api/v1/openapi.json")
def openapi_json():
    return jsonify(document())


@bp.get("/docs")
def docs():
    return render_template("docs.html", doc=document())

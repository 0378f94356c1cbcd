"""REST routes for cases (see ../../../shared guide api.md)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cases", __name__)


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tag, paths and schemas."""
    return {"tags": [], "paths": {}, "schemas": {}}

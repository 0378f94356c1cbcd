"""NUL (U+0000) is refused at the door: PostgreSQL cannot store it in text, so every
service would fail on it with a 500 (found by fuzzing). An id holding it names no record
(404); a documented query parameter or a JSON body field holding it is invalid (400,
naming each). Query parameters an operation does not read are ignored, as they are
without NUL."""
from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import request
from werkzeug.routing import Rule

from . import openapi
from .errors import ApiError, validation_failed

NUL = "\x00"
NUL_RULE = "must not contain the NUL character (U+0000)"


def _nul_fields(value: Any, where: str) -> dict[str, str]:
    """Where in a decoded JSON body a string (or a key) holds NUL, as `a.b[0].c`."""
    found: dict[str, str] = {}
    if isinstance(value, str) and NUL in value:
        found[where or "body"] = NUL_RULE
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            found.update({inner: NUL_RULE} if NUL in key else _nul_fields(item, inner))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found.update(_nul_fields(item, f"{where}[{n}]"))
    return found


def _openapi_path(rule: Rule | None) -> str:
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule) if rule else ""


@cache
def _query_parameters() -> dict[tuple[str, str], frozenset[str]]:
    """(method, OpenAPI path) -> the query parameters the operation reads (others are ignored)."""
    doc = openapi.document()

    def resolved(parameter: dict) -> dict:
        return doc["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter

    return {(method.upper(), path): frozenset(p["name"] for p in map(resolved, item.get("parameters", []) +
                                                                     op.get("parameters", [])) if p["in"] == "query")
            for path, item in doc["paths"].items() for method, op in item.items() if method != "parameters"}


def refuse_nul() -> None:
    """Run before every request (see the module's docstring)."""
    if any(NUL in str(value) for value in (request.view_args or {}).values()):
        raise ApiError(404, "not_found", "no such record")
    documented = _query_parameters().get((request.method, _openapi_path(request.url_rule)), ())
    fields = {name: NUL_RULE for name, value in request.args.items(multi=True) if name in documented and NUL in value}
    # In JSON, NUL can only arrive escaped (a raw control character is malformed JSON).
    if request.is_json and b"\\u0000" in request.get_data(cache=True):
        fields.update(_nul_fields(request.get_json(silent=True), ""))
    if fields:
        raise validation_failed(fields)

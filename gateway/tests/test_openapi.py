"""The OpenAPI document describes exactly the app's routes, and /docs shows it."""
import re

import pytest

from tandem_gateway.http.openapi import document

METHODS = {"get", "put", "post", "patch", "delete"}


def flask_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def documented_routes(doc) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item if method in METHODS}


def test_the_document_and_the_routes_cannot_drift(app):
    assert documented_routes(document()) == flask_routes(app)


def test_it_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.1")
    assert response.json == document()


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_reference_resolves():
    doc = document()
    for ref in _refs(doc):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


def test_protected_operations_say_so_and_public_ones_do_not(app):
    doc = document()
    public = {("/healthz", "get"), ("/readyz", "get"), ("/docs", "get"), ("/api/v1/openapi.json", "get"),
              ("/api/v1/auth/token", "post"), ("/api/v1/web-to-lead", "post")}
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, method in documented_routes(doc):
        operation = doc["paths"][path][method]
        assert (operation.get("security") == []) == ((path, method) in public), (path, method)
        if (path, method) not in public:
            assert "401" in operation["responses"]


def test_it_is_a_valid_openapi_document():
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document())


def test_docs_is_a_page_listing_every_operation_without_outside_assets(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path, method in documented_routes(document()):
        assert f'id="{method}-{path}"' in page
    for schema in document()["components"]["schemas"]:
        assert f'id="schema-{schema}"' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page

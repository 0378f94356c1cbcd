"""Event schemas (`protos/events/<source>/<type>.v<schema_version>.json`, shapes in
`protos/events/shapes.json`): one for every type of the event catalogue, every event the
running system emits validates against its own, and each schema is backward compatible
with its copy in every release (`protos/releases/<version>/events`): additive only (the
rule in docs/architecture.md, "Event versioning")."""
from __future__ import annotations

import json
import re
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import requests
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "protos" / "events"
RELEASES = ROOT / "protos" / "releases"
CATALOGUE = ROOT / "docs" / "architecture.md"
SCHEMA_NAME = re.compile(r"^(?P<type>[a-z_]+)\.v(?P<version>\d+)\.json$")
# The keywords the schemas may use: the compatibility check below understands each one.
KEYWORDS = {"$schema", "title", "description", "$defs", "$ref", "type", "properties", "required",
            "additionalProperties", "items", "enum", "const", "anyOf", "propertyNames", "pattern"}


# -- reading the schemas ----------------------------------------------------------------------

def schema_files(root: Path) -> dict[tuple[str, str, int], Path]:
    """(source, type, schema_version) -> file, for the event schemas under `root`."""
    found = {}
    for path in sorted(root.glob("*/*.json")):
        match = SCHEMA_NAME.match(path.name)
        assert match, f"{path}: name it <type>.v<schema_version>.json"
        found[(path.parent.name, match["type"], int(match["version"]))] = path
    return found


def load(uri: str) -> dict:
    return json.loads(Path(urllib.request.url2pathname(urllib.parse.urlsplit(uri).path)).read_text())


def validator(path: Path) -> Draft202012Validator:
    """A validator of `path`, its relative `$ref`s read from the files beside it."""
    registry = Registry(retrieve=lambda uri: Resource.from_contents(load(uri)))
    return Draft202012Validator({"$ref": path.as_uri()}, registry=registry)


def catalogue() -> set[tuple[str, str]]:
    """(source, type) of every row of the event catalogue in docs/architecture.md."""
    text = CATALOGUE.read_text().split("### Event catalogue", 1)[1].split("\n## ", 1)[0]
    types = set()
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"[a-z_]+", cells[0]) and cells[1].startswith("`"):
            types |= {(cells[0], name) for name in re.findall(r"`([a-z_]+)`", cells[1])}
    return types


# -- the compatibility rule -------------------------------------------------------------------

def _resolve(node: dict, uri: str) -> tuple[dict, str]:
    """Follow `$ref`s (relative to the file `uri`); the node and the file it is in."""
    while "$ref" in node:
        target = urllib.parse.urljoin(uri, node["$ref"])
        uri, _, pointer = target.partition("#")
        node = load(uri)
        for part in filter(None, pointer.split("/")):
            node = node[part]
    return node, uri


def _types(node: dict) -> set:
    value = node.get("type")
    return set(value) if isinstance(value, list) else {value} if value else set()


def breaking_changes(old: dict, old_uri: str, new: dict, new_uri: str, where: str = "") -> list[str]:
    """What in `new` breaks a consumer written for `old` (or an old event read by a new
    consumer). Allowed: new optional properties, new enum values. Everything else that
    differs (a removed or newly required property, a changed type, const or pattern, a
    removed enum value, an object closed to extra properties, other alternatives) breaks."""
    old, old_uri = _resolve(old, old_uri)
    new, new_uri = _resolve(new, new_uri)
    at = where or "(root)"
    problems = []
    if _types(old) != _types(new):
        problems.append(f"{at}: type {sorted(_types(old))} became {sorted(_types(new))}")
    for key in ("const", "pattern"):
        if old.get(key) != new.get(key):
            problems.append(f"{at}: {key} {old.get(key)!r} became {new.get(key)!r}")
    if "enum" in new:
        removed = [v for v in old.get("enum", ["(any value)"]) if v not in new["enum"]]
        if removed:
            problems.append(f"{at}: enum values {removed} are gone")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, schema in old_props.items():
        if name not in new_props:
            problems.append(f"{at}: property {name!r} was removed")
        else:
            problems += breaking_changes(schema, old_uri, new_props[name], new_uri, f"{where}.{name}")
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    if old_required - new_required:
        problems.append(f"{at}: no longer required: {sorted(old_required - new_required)}")
    if new_required - old_required:
        problems.append(f"{at}: newly required (old events lack them): {sorted(new_required - old_required)}")
    old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
    if isinstance(old_extra, dict) and isinstance(new_extra, dict):
        problems += breaking_changes(old_extra, old_uri, new_extra, new_uri, f"{where}.*")
    elif old_extra is not False and new_extra is not True:
        problems.append(f"{at}: additionalProperties {old_extra!r} became {new_extra!r}")
    for key in ("items", "propertyNames"):
        if key in old or key in new:
            problems += breaking_changes(old.get(key, {}), old_uri, new.get(key, {}), new_uri, f"{where}[{key}]")
    old_any, new_any = old.get("anyOf", []), new.get("anyOf", [])
    if len(old_any) != len(new_any):
        problems.append(f"{at}: {len(old_any)} alternatives became {len(new_any)}")
    else:
        for i, (a, b) in enumerate(zip(old_any, new_any)):
            problems += breaking_changes(a, old_uri, b, new_uri, f"{where}|{i}")
    return problems


def release_problems(release_events: Path, current: Path) -> list[str]:
    """Every way the schemas under `current` break those of one release."""
    problems = []
    now = schema_files(current)
    for key, old in schema_files(release_events).items():
        if key not in now:
            problems.append(f"{old.relative_to(release_events)}: gone (a released event version stays)")
            continue
        found = breaking_changes({"$ref": old.as_uri()}, old.as_uri(), {"$ref": now[key].as_uri()}, now[key].as_uri())
        problems += [f"{now[key].relative_to(current)}: {problem}" for problem in found]
    return problems


def _nodes(node):
    """Every schema object in a document (for the keyword check)."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for sub in value.values():
                    yield from _nodes(sub)
            elif key in ("items", "additionalProperties", "propertyNames"):
                yield from _nodes(value)
            elif key == "anyOf":
                for sub in value:
                    yield from _nodes(sub)


def _event(**data_changes) -> dict:
    """A `user_created` as the gateway writes it."""
    user = {"id": "u1", "email": "mia@example.com", "name": "Mia", "role": "sales_manager", "manager_id": None,
            "active": True, "version": 1}
    return {"id": "e1", "type": "user_created", "source": "gateway", "time": "2026-11-27T10:00:00.123Z",
            "schema_version": 1, "correlation_id": "req-1", "data": {"user": user, "changed": [], **data_changes}}


# -- the schemas themselves -------------------------------------------------------------------

def test_every_event_type_of_the_catalogue_has_a_schema_and_nothing_else_does():
    types = catalogue()
    assert len(types) >= 16, types  # the parser still reads the table
    assert {(source, type_) for source, type_, _ in schema_files(EVENTS)} == types


@pytest.mark.parametrize("path", sorted(EVENTS.rglob("*.json")), ids=lambda p: str(p.relative_to(EVENTS)))
def test_a_schema_is_valid_uses_known_keywords_and_names_its_event(path):
    doc = json.loads(path.read_text())
    Draft202012Validator.check_schema(doc)
    for node in _nodes(doc):
        assert set(node) <= KEYWORDS, f"{path.name}: the compatibility check does not know {set(node) - KEYWORDS}"
        assert "$ref" not in node or set(node) <= {"$ref", "description"}, f"{path.name}: $ref with siblings"
    if path.name == "shapes.json":
        return
    match = SCHEMA_NAME.match(path.name)
    props = doc["properties"]
    assert (props["source"], props["type"], props["schema_version"]) == (
        {"const": path.parent.name}, {"const": match["type"]}, {"const": int(match["version"])})


def test_an_event_validates_and_a_wrong_one_says_what_is_wrong():
    check = validator(EVENTS / "gateway" / "user_created.v1.json")
    assert list(check.iter_errors(_event())) == []
    with_traceparent = {**_event(), "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    assert list(check.iter_errors(with_traceparent)) == []  # the envelope may grow

    wrong = {
        "unknown data field": _event(extra=1),
        "missing data field": {**_event(), "data": {"user": _event()["data"]["user"]}},
        "wrong type": {**_event(), "schema_version": "1"},
        "other version": {**_event(), "schema_version": 2},
        "role not in the enum": _event(user={**_event()["data"]["user"], "role": "owner"}),
        "float for a timestamp": {**_event(), "time": 1764237600.0},
        "no correlation id field": {k: v for k, v in _event().items() if k != "correlation_id"},
    }
    for what, event in wrong.items():
        assert list(check.iter_errors(event)), f"{what}: accepted"
    money = validator(EVENTS / "sales" / "opportunity_closed.v1.json")
    errors = list(money.iter_errors({"data": {"amount": {"amount": 12000.5, "currency": "USD"}}}))
    messages = [e.message for error in errors for e in (error, *error.context)]  # within anyOf [Money, null]
    assert "12000.5 is not of type 'string'" in messages, messages  # money never as a float


# -- compatibility with the releases ----------------------------------------------------------

def test_the_schemas_are_backward_compatible_with_every_release():
    releases = sorted(p for p in RELEASES.glob("*/events") if p.is_dir())
    assert releases, "no released event schemas under protos/releases/*/events"
    for release in releases:
        assert release_problems(release, EVENTS) == [], release.parent.name


def _edit(root: Path, name: str, change) -> None:
    path = root / name
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _data(doc: dict) -> dict:
    return doc["properties"]["data"]


def _lead(doc: dict) -> dict:
    return doc["$defs"]["LeadSnapshot"]


ASSIGNED, SHAPES = "leads/lead_assigned.v1.json", "shapes.json"
EDITS = {
    # name: (file, change, breaks?)
    "a required field removed": (ASSIGNED, lambda d: _data(d)["required"].remove("reason"), True),
    "a property dropped": (ASSIGNED, lambda d: _data(d)["properties"].pop("previous_owner_id"), True),
    "a type changed in a shared shape": (SHAPES, lambda d: _lead(d)["properties"]["score"].update(type="string"),
                                         True),
    "made nullable": (SHAPES, lambda d: _lead(d)["properties"]["company"].update(type=["string", "null"]), True),
    "an enum value removed": (ASSIGNED, lambda d: _data(d)["properties"]["reason"]["enum"].remove("manual"), True),
    "a new required field": (ASSIGNED, lambda d: (_data(d)["properties"].update(team_id={"type": "string"}),
                                                  _data(d)["required"].append("team_id")), True),
    "a timestamp's pattern changed": (SHAPES, lambda d: d["$defs"]["Timestamp"].update(pattern="^.*$"), True),
    "a new optional field": (ASSIGNED, lambda d: _data(d)["properties"].update(team_id={"type": "string"}), False),
    "a new enum value": (ASSIGNED, lambda d: _data(d)["properties"]["reason"]["enum"].append("territory"), False),
    "a new optional field in a shape": (SHAPES, lambda d: _lead(d)["properties"].update(phone={"type": "string"}),
                                        False),
    "a description reworded": (ASSIGNED, lambda d: d.update(description="Someone owns the lead now."), False),
}


@pytest.mark.parametrize("name", EDITS)
def test_the_compatibility_check_tells_breaking_from_additive_changes(name, tmp_path):
    """The released copy is today's schemas; the edited copy plays the next version."""
    file, change, breaks = EDITS[name]
    shutil.copytree(EVENTS, tmp_path / "next")
    _edit(tmp_path / "next", file, change)
    problems = release_problems(EVENTS, tmp_path / "next")
    assert bool(problems) == breaks, problems
    if breaks and file == SHAPES:  # every event that carries a lead is named
        assert any(p.startswith("leads/lead_created.v1.json:") for p in problems), problems


def test_a_released_event_version_must_not_disappear(tmp_path):
    shutil.copytree(EVENTS, tmp_path / "next")
    (tmp_path / "next" / "sales" / "contact_changed.v1.json").unlink()
    assert release_problems(EVENTS, tmp_path / "next") == [
        "sales/contact_changed.v1.json: gone (a released event version stays)"]


# -- what the running system emits ------------------------------------------------------------

@pytest.mark.e2e
@pytest.mark.slow
def test_every_event_the_running_system_emits_validates_against_its_schema(make_vhost, make_database, tmp_path):
    """The whole system as `make run` starts it (PostgreSQL, a vhost of its own), driven over
    HTTP through every change that emits an event; then every row of every service's outbox
    is checked against the schema of its source, type and schema_version."""
    from e2e.flows import leads_of, open_case, refer
    from e2e.harness import SERVICES, eventually, make_team, start_system

    databases = {service: make_database(f"schemas_{service}") for service in (*SERVICES, "gateway")}
    # A high-priority case breaches its first-response SLA within seconds: `case_escalated`.
    sla = {"SLA_HIGH_HOURS": "0.0005/0.001", "SLA_CHECK_SECONDS": "0.5"}
    with start_system(tmp_path, make_vhost("event-schemas"), databases, **sla) as crm:
        team = make_team(crm)
        admin, agent, rep, manager = team["admin"], team["agent"], team["rep"], team["manager"]

        def ok(response, status=200):
            assert response.status_code == status, response.text
            return response.json()

        ok(requests.patch(f"{crm.api}/users/{manager['id']}", json={"name": "Mia M. Manager"}, headers=admin,
                          timeout=10))
        case = open_case(crm, agent)
        ok(refer(crm, agent, case["id"]), 202)
        lead = eventually(lambda: next((l for l in leads_of(crm, rep)
                                        if (l.get("referral") or {}).get("case_id") == case["id"]), None))
        assert lead, "the referred lead never reached the rep"
        # A second referral for the same contact merges (lead_referral_attached); the manager
        # takes the lead and gives it back (lead_assigned: a new lead's owner rides on lead_created).
        ok(refer(crm, agent, open_case(crm, agent, subject="Needs SSO too")["id"], product_interest="SSO"), 202)
        assert eventually(lambda: len(crm.query("leads", "SELECT referral_id FROM lead_referrals")) == 2)
        for owner in (manager, rep):
            current = requests.get(f"{crm.api}/leads/{lead['id']}", headers=admin, timeout=10)
            ok(requests.patch(f"{crm.api}/leads/{lead['id']}", json={"owner_id": owner["id"]},
                              headers={**admin, "If-Match": current.headers["ETag"]}, timeout=10))
        ok(requests.patch(f"{crm.api}/leads/{lead['id']}", json={"status": "working"}, headers=rep["auth"],
                          timeout=10))
        converted = ok(requests.post(f"{crm.api}/leads/{lead['id']}/convert", json={"opportunity_name": "Acme seats"},
                                     headers=rep["auth"], timeout=10))
        ok(requests.patch(f"{crm.api}/accounts/{converted['account_id']}", json={"industry": "software"},
                          headers=rep["auth"], timeout=10))
        ok(requests.patch(f"{crm.api}/contacts/{converted['contact_id']}", json={"title": "CTO"},
                          headers=rep["auth"], timeout=10))
        opportunity = ok(requests.get(f"{crm.api}/opportunities/{converted['opportunity_id']}", headers=rep["auth"],
                                      timeout=10))
        ok(requests.patch(f"{crm.api}/opportunities/{opportunity['id']}",
                          json={"stage": "Closed Lost", "loss_reason": "no budget this year"},
                          headers={**rep["auth"], "If-Match": f'"{opportunity["version"]}"'}, timeout=10))

        expected = catalogue()

        def emitted():
            return [(service, json.loads(row["body"])) for service in (*SERVICES, "gateway")
                    for row in crm.query(service, "SELECT body FROM outbox ORDER BY seq")]

        events = eventually(lambda: (found := emitted()) and {(e["source"], e["type"]) for _, e in found} >= expected
                            and found, seconds=60)
        events = events or emitted()

    seen = {(event["source"], event["type"]) for _, event in events}
    assert seen == expected, f"not emitted: {sorted(expected - seen)}; not in the catalogue: {sorted(seen - expected)}"
    schemas = schema_files(EVENTS)
    validators: dict = {}
    problems = []
    for service, event in events:
        assert event["source"] == service, event
        key = (event["source"], event["type"], event["schema_version"])
        assert key in schemas, f"no schema for {key}"
        check = validators.setdefault(key, validator(schemas[key]))
        problems += [f"{key}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in check.iter_errors(event)]
    assert problems == [], "\n".join(sorted(set(problems)))
    print(f"\n[event schemas] {len(events)} events of {len(seen)} types, each valid against its schema")

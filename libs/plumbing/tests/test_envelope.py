"""The event envelope: what goes out comes back, and anything else is refused clearly."""
import json

import pytest

from tandem_plumbing.envelope import Envelope, InvalidEnvelope


def make() -> Envelope:
    return Envelope(type="lead_assigned", source="leads", data={"lead_id": 7, "owner": "u1"}, correlation_id="req-1")


def test_round_trip_through_json_bytes_and_dict():
    env = make()
    assert Envelope.from_dict(env.to_json()) == env
    assert Envelope.from_dict(env.to_json().encode()) == env
    assert Envelope.from_dict(env.to_dict()) == env
    fields = {"id", "type", "source", "time", "schema_version", "correlation_id", "data"}
    assert set(json.loads(env.to_json())) == fields


def test_defaults_unique_id_utc_time_version_1():
    a, b = make(), make()
    assert a.id != b.id and len(a.id) == 32
    assert a.time.endswith("Z") and "T" in a.time
    assert a.schema_version == 1
    assert Envelope(type="t", source="s", data={}).correlation_id is None
    assert Envelope.from_dict(Envelope(type="t", source="s", data={}).to_json()).correlation_id is None


def test_unknown_fields_are_ignored_for_forward_compatibility():
    env = make()
    assert Envelope.from_dict({**env.to_dict(), "added_later": 1}) == env


def _with(**changes):
    body = make().to_dict()
    body.update(changes)
    return body


def _without(name):
    body = make().to_dict()
    del body[name]
    return body


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{not json", "not JSON"),
        ("", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ("[1, 2]", "expected an object, got list"),
        (None, "expected an object, got NoneType"),
        (42, "expected an object, got int"),
        (_without("id"), "missing fields: id"),
        ({"data": {}}, "missing fields: id, type, source, time, schema_version, correlation_id"),
        (_with(data=[1]), "data must be an object"),
        (_with(data=None), "data must be an object"),
        (_with(schema_version="1"), "schema_version must be an integer"),
        (_with(schema_version=1.0), "schema_version must be an integer"),
        (_with(schema_version=True), "schema_version must be an integer"),
        (_with(id=""), "id must be a non-empty string"),
        (_with(id=5), "id must be a non-empty string"),
        (_with(type=None), "type must be a non-empty string"),
        (_with(source=""), "source must be a non-empty string"),
        (_with(time=0), "time must be a non-empty string"),
        (_with(correlation_id=12), "correlation_id must be a string or null"),
    ],
)
def test_from_dict_rejects_bad_input_with_a_clear_message(body, message):
    with pytest.raises(InvalidEnvelope) as err:
        Envelope.from_dict(body)
    assert message in str(err.value)
    assert isinstance(err.value, ValueError)

"""The real Notifications servicer on a real gRPC server over a PostgreSQL database:
each call as the user in its metadata, each failure typed."""
import json
import subprocess
import sys

import pytest
from tandem.notify.v1 import notify_pb2 as pb
from tandem.notify.v1 import notify_pb2_grpc
from tandem_plumbing.db import transaction
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.rpc import Caller, RpcFailure, caller_metadata

from tandem_notify import use_cases
from tandem_notify.adapters.grpc_server import register
from tandem_notify.adapters.models import notification_preferences, notification_settings


@pytest.fixture
def notify(notify_db, serve_grpc):
    """ask(user_id, "Method", request, role=...) against a server of our own."""
    address, _server = serve_grpc(lambda s: register(s, notify_db.engine))
    stub = notify_pb2_grpc.NotificationsStub(channel(address))

    def ask(user_id, method, request, role="sales_rep"):
        metadata = caller_metadata(Caller(user_id, role, "req-grpc-1")) if user_id else ()
        return call("notify", getattr(stub, method), request, metadata=metadata)

    return ask


def failure(excinfo):
    return excinfo.value.kind, excinfo.value.code, excinfo.value.details


def test_the_inbox_is_paged_and_read_by_its_owner_only(notify, notify_db, shapes):
    with transaction(notify_db.sessions) as session:
        for n in range(3):
            use_cases.lead_assigned(session, shapes.lead_assigned(shapes.lead(lead_id=f"L{n}")), False)

    page = notify("rep-1", "ListNotifications", pb.ListNotificationsRequest(page_size=2))
    assert len(page.items) == 2 and page.next_page_token
    rest = notify("rep-1", "ListNotifications", pb.ListNotificationsRequest(page_token=page.next_page_token))
    assert len(rest.items) == 1 and rest.next_page_token == ""
    note = page.items[0]
    assert note.kind == "lead_assigned" and dict(note.data) == {"lead_id": note.data["lead_id"]}
    assert note.created_at.endswith("Z") and note.read_at == "" and note.version == 1

    read = notify("rep-1", "MarkRead", pb.MarkReadRequest(id=note.id))
    assert read.read_at.endswith("Z") and read.version == 2
    assert notify("rep-1", "MarkRead", pb.MarkReadRequest(id=note.id)) == read
    with pytest.raises(RpcFailure) as other:
        notify("rep-2", "MarkRead", pb.MarkReadRequest(id=note.id))
    assert failure(other) == ("not_found", "not_found", {})
    assert notify("rep-2", "ListNotifications", pb.ListNotificationsRequest()).items == []

    unread = notify("rep-1", "ListNotifications", pb.ListNotificationsRequest(unread_only=True))
    assert len(unread.items) == 2
    assert notify("rep-1", "MarkAllRead", pb.MarkAllReadRequest()).marked == 2


def test_preferences_are_the_callers_own(notify, notify_db):
    defaults = notify("rep-1", "GetPreferences", pb.GetPreferencesRequest())
    assert defaults.version == 0
    assert dict(defaults.channels["email"].kinds) == {"lead_assigned": True, "hot_lead": True, "referral_update": False}

    document = json.dumps({"email": {"hot_lead": False}})
    changed = notify("rep-1", "SetPreferences", pb.SetPreferencesRequest(document_json=document, expected_version=0))
    assert changed.version == 1 and changed.channels["email"].kinds["hot_lead"] is False
    assert notify("rep-2", "GetPreferences", pb.GetPreferencesRequest()) == defaults

    with pytest.raises(RpcFailure) as stale:
        notify("rep-1", "SetPreferences", pb.SetPreferencesRequest(document_json="{}", expected_version=0))
    assert failure(stale) == ("stale", "version_mismatch", {"current_version": 1})


@pytest.mark.parametrize("document, fields", [
    ('{"sms": {"hot_lead": true}}', {"sms": "unknown channel: one of in_app, email"}),
    ('{"email": {"hot": true}}', {"email.hot": "unknown kind: one of lead_assigned, hot_lead, referral_update"}),
    ("{not json", None),
])
def test_bad_preferences_are_invalid_and_write_nothing(notify, notify_db, document, fields):
    with pytest.raises(RpcFailure) as bad:
        notify("rep-1", "SetPreferences", pb.SetPreferencesRequest(document_json=document))
    kind, code, details = failure(bad)
    assert (kind, code) == ("invalid", "validation_failed")
    assert details["fields"] == fields if fields else list(details["fields"]) == ["body"]
    assert notify_db.count(notification_preferences) == 0


def test_only_admins_change_settings_anyone_reads_them(notify, notify_db):
    assert notify("rep-1", "GetSettings", pb.GetSettingsRequest()) == pb.Settings(hot_lead_threshold=80, version=0)
    document = json.dumps({"hot_lead_threshold": 90})
    with pytest.raises(RpcFailure) as forbidden:
        notify("mgr-1", "SetSettings", pb.SetSettingsRequest(document_json=document), role="sales_manager")
    assert failure(forbidden)[0] == "forbidden"
    with pytest.raises(RpcFailure) as bad:
        notify("admin-1", "SetSettings", pb.SetSettingsRequest(document_json='{"hot_lead_threshold": 150}'),
               role="admin")
    assert failure(bad) == ("invalid", "validation_failed",
                            {"fields": {"hot_lead_threshold": "must be an integer from 0 to 100"}})
    assert notify_db.count(notification_settings) == 0

    changed = notify("admin-1", "SetSettings", pb.SetSettingsRequest(document_json=document, expected_version=0),
                     role="admin")
    assert changed == pb.Settings(hot_lead_threshold=90, version=1)


def test_a_call_without_a_user_is_refused(notify):
    with pytest.raises(RpcFailure) as anonymous:
        notify(None, "ListNotifications", pb.ListNotificationsRequest())
    assert anonymous.value.http_status == 401


def test_bad_page_token_names_it(notify):
    with pytest.raises(RpcFailure) as bad:
        notify("rep-1", "ListNotifications", pb.ListNotificationsRequest(page_token="%%%"))
    assert failure(bad)[2] == {"fields": {"page_token": "is not a token this API returned"}}


def test_the_events_process_never_imports_grpc():
    """grpcio does not work under eventlet (docs/architecture.md): what the consumer and
    its use cases import must not pull it in."""
    check = "import sys, tandem_notify.adapters.events; sys.exit('grpc' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], timeout=60).returncode == 0

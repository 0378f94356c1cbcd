"""Record-level access, RPC by RPC: the real Notifications gRPC server on PostgreSQL, called
with the metadata of a rep, their manager, an admin, a rep of another team, a service agent,
a system caller (a role with no inbox) and no identity.

The rule: a notification is its recipient's alone. Not their manager's, not an admin's:
another user's notification is NOT_FOUND and no list shows it; preferences are each
user's own; the settings are read by every user and changed by admins. A system caller is
refused (PERMISSION_DENIED). Every RPC of the service has a row here: a new one fails until
it says who may call it."""
import json

import grpc
import pytest
from sqlalchemy import select
from tandem.notify.v1 import notify_pb2 as pb
from tandem.notify.v1 import notify_pb2_grpc
from tandem_plumbing.db import transaction
from tandem_plumbing.failures import Caller
from tandem_plumbing.testing import Probe, access_problems, uncovered_rpcs

from tandem_notify import use_cases
from tandem_notify.adapters.grpc_server import register
from tandem_notify.adapters.models import notifications

ADMIN, MANAGER, REP, PEER, AGENT, SYSTEM = "admin", "manager", "rep", "peer", "agent", "system"
USERS = (ADMIN, MANAGER, REP, PEER, AGENT)
DENIED, HIDDEN, OK = "PERMISSION_DENIED", "NOT_FOUND", "OK"
# Who has notifications: the rep (their hot lead, assigned) and their manager (told of it),
# the peer (a lead assigned), the agent (their referral's news); the admin none.
TOLD = (REP, MANAGER, PEER, AGENT)


def users_get(value) -> dict:
    """value(who) for every user; the system caller is refused."""
    return {**{who: value(who) for who in USERS}, SYSTEM: DENIED}


@pytest.fixture
def callers(directory):
    roles = {ADMIN: "admin", MANAGER: "sales_manager", REP: "sales_rep", PEER: "sales_rep", AGENT: "service_agent"}
    for who, role in roles.items():
        directory.add(who, role=role, manager_id={REP: MANAGER, PEER: "manager2"}.get(who))
    return {**{who: Caller(who, role) for who, role in roles.items()}, SYSTEM: Caller("web-to-lead", "web_form")}


@pytest.fixture
def inbox(notify_db, callers, shapes):
    """notification id -> its recipient, after the events that tell TOLD."""
    with transaction(notify_db.sessions) as session:
        use_cases.lead_assigned(session, shapes.lead_assigned(shapes.lead("L1", owner_id=REP, score=95)), False)
        use_cases.lead_assigned(session, shapes.lead_assigned(shapes.lead("L2", owner_id=PEER, score=10)), False)
        use_cases.referral_status_changed(session, shapes.referral_status_changed(
            "assigned", agent_id=AGENT, assignee_id=REP), False)
        found = dict(session.execute(select(notifications.c.id, notifications.c.user_id)).all())
    assert set(found.values()) == set(TOLD)
    return found


@pytest.fixture
def stub(notify_db, serve_grpc):
    address, _server = serve_grpc(lambda server: register(server, notify_db.engine))
    channel = grpc.insecure_channel(address)
    yield notify_pb2_grpc.NotificationsStub(channel)
    channel.close()


def probes(inbox: dict[str, str]) -> list[Probe]:
    """The table. Reads come first: MarkRead changes what is unread."""
    def recipients(reply) -> set[str]:
        return {inbox.get(item.id, item.id) for item in reply.items}

    def first_of(who: str) -> str:
        return next(notification_id for notification_id, user_id in inbox.items() if user_id == who)

    own = users_get(lambda who: {who} if who in TOLD else set())
    table = [
        Probe("ListNotifications", "all", pb.ListNotificationsRequest, own, recipients),
        Probe("ListNotifications", "unread", lambda: pb.ListNotificationsRequest(unread_only=True), own, recipients),
        Probe("GetPreferences", "own", pb.GetPreferencesRequest, users_get(lambda who: OK)),
        Probe("GetSettings", "", pb.GetSettingsRequest, users_get(lambda who: OK)),
    ]
    for whose in TOLD:  # the recipient alone: their manager and admins too get NOT_FOUND
        table.append(Probe("MarkRead", f"{whose}'s", lambda w=whose: pb.MarkReadRequest(id=first_of(w)),
                           users_get(lambda who, w=whose: OK if who == w else HIDDEN)))
    table += [
        Probe("MarkRead", "no such notification", lambda: pb.MarkReadRequest(id="no-such-notification"),
              users_get(lambda who: HIDDEN)),
        Probe("MarkAllRead", "own", pb.MarkAllReadRequest, users_get(lambda who: OK)),
        Probe("SetPreferences", "own", lambda: pb.SetPreferencesRequest(
            document_json=json.dumps({"email": {"hot_lead": False}})), users_get(lambda who: OK)),
        Probe("SetSettings", "", lambda: pb.SetSettingsRequest(document_json=json.dumps({"hot_lead_threshold": 85})),
              users_get(lambda who: OK if who == ADMIN else DENIED)),
    ]
    return table


def test_every_rpc_has_a_row():
    assert not uncovered_rpcs(pb.DESCRIPTOR.services_by_name["Notifications"], probes({}))


def test_each_caller_gets_what_the_table_says(stub, callers, inbox):
    problems = access_problems(stub, probes(inbox), callers)
    assert not problems, "\n".join(problems)

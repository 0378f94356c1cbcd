"""Activity use cases on a migrated sales database (PostgreSQL, and SQLite where the
service may run embedded), and the Activities servicer on a real gRPC server."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from tandem.sales.v1 import sales_pb2, sales_pb2_grpc
from tandem_plumbing.failures import Failure, ServiceUnavailable
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.rpc import RpcFailure, caller_metadata
from tandem_plumbing.testing import free_port

from tandem_sales.adapters import activities_grpc
from tandem_sales.adapters.models import activities
from tandem_sales.use_cases import activities as use_cases

TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def db(sales_db):
    return sales_db


class Leads:
    """The leads service as the use cases see it (`SeeLead`), at the unit level: every lead
    is there for every caller but the (user, lead) pairs in `hidden`; `down` answers
    nothing. It records who asked for which lead and how many database connections the
    use case held meanwhile. The real adapter is covered against a real leads server in
    test_record_access."""

    def __init__(self, db) -> None:
        self.db, self.hidden, self.down, self.asked = db, set(), False, []

    def __call__(self, caller, lead_id: str) -> None:
        self.asked.append((caller.user_id, lead_id, self.db.engine.pool.checkedout()))
        if self.down:
            raise ServiceUnavailable("leads", "connection refused")
        if (caller.user_id, lead_id) in self.hidden:
            raise Failure("not_found", "not_found", f"no lead {lead_id}")


class Activities:
    """The use cases that may ask the leads service, on the test's database and `leads`."""

    def __init__(self, db, leads: Leads) -> None:
        self.db, self.leads = db, leads

    def create(self, caller, values, **options):
        return use_cases.create_activity(self.db.sessions, caller, values, self.leads, **options)

    def get(self, caller, activity_id):
        return use_cases.get_activity(self.db.sessions, caller, activity_id, self.leads)

    def list(self, caller, **filters):
        return use_cases.list_activities(self.db.sessions, caller, self.leads, **filters)


@pytest.fixture
def acts(db) -> Activities:
    return Activities(db, Leads(db))


def count(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(activities)).scalar_one()


def on_lead(lead_id: str = "lead-1", **values) -> dict:
    return {"type": "task", "subject": "Call back", "related_to": {"type": "lead", "id": lead_id}, **values}


def fields_of(failure) -> dict:
    return failure.value.details["fields"]


# -- creating ------------------------------------------------------------------------------
def test_create_defaults_and_reads_back(db, team, acts):
    made = acts.create(team["rep1"], on_lead(due_date="2026-12-01"))
    assert (made.owner_id, made.created_by, made.status, made.version) == ("rep1", "rep1", "open", 1)
    assert made.due_date == date(2026, 12, 1) and made.completed_at is None
    assert acts.get(team["rep1"], made.id) == made


def test_a_call_logged_as_completed_is_stamped(db, team, acts):
    made = acts.create(team["rep1"], on_lead(
        type="call", status="completed", starts_at="2026-11-27T10:00:00Z", duration_minutes=20, outcome="Interested"))
    assert made.completed_at is not None and made.starts_at == datetime(2026, 11, 27, 10, tzinfo=timezone.utc)
    again = acts.get(team["rep1"], made.id)
    assert (again.completed_at, again.starts_at) == (made.completed_at, made.starts_at)


def test_bad_input_names_every_field_and_writes_nothing(db, team, acts):
    with pytest.raises(Failure) as failure:
        acts.create(team["rep1"], {
            "type": "fax", "subject": "", "related_to": {"type": "case", "id": "c1"}, "due_date": "tomorrow"})
    assert set(fields_of(failure)) == {"type", "subject", "related_to", "due_date"}
    assert acts.create(team["rep1"], on_lead(), validate_only=True) is None
    assert count(db) == 0


def test_who_may_own_a_new_activity(db, team, acts):
    made = acts.create(team["manager"], on_lead(owner_id="rep2"))
    assert (made.owner_id, made.created_by) == ("rep2", "manager")
    db.user("gone", manager_id="manager", active=False)
    for caller, owner, kind in ((team["rep1"], "rep2", "forbidden"), (team["manager"], "rep3", "forbidden"),
                                (team["manager"], "gone", "invalid"), (team["admin"], "agent", "invalid"),
                                (team["admin"], "nobody", "invalid")):
        with pytest.raises(Failure) as failure:
            acts.create(caller, on_lead(owner_id=owner))
        assert failure.value.kind == kind, (caller, owner)
    assert count(db) == 1


def test_service_agents_cannot_put_activities_on_leads(db, team, acts):
    with pytest.raises(Failure) as failure:
        acts.create(team["agent"], on_lead())
    assert failure.value.kind == "not_found"
    assert count(db) == 0 and acts.leads.asked == []


@pytest.fixture
def records(db, team):
    """rep1's account, a contact on it and rep1's opportunity: {"account": id, ...}."""
    from tandem_sales.use_cases import customers, opportunities

    account = db.run(customers.create_account, team["rep1"], {"name": "Acme"})
    contact = db.run(customers.create_contact, team["rep1"], {"first_name": "Ada", "last_name": "Lovelace",
                                                              "account_id": account.id})
    deal = db.run(opportunities.create_opportunity, team["rep1"], {"name": "Acme seats", "account_id": account.id})
    return {"account": account.id, "contact": contact.id, "opportunity": deal.id}


def on(kind: str, record_id: str, **values) -> dict:
    return {"type": "call", "subject": "Check in", "related_to": {"type": kind, "id": record_id}, **values}


def test_the_record_must_exist_and_be_visible(db, team, records, acts):
    for caller, kind in (("rep3", "account"), ("rep3", "contact"), ("agent", "account"), ("agent", "contact"),
                         ("manager", "opportunity"), ("rep1", "opportunity")):
        made = acts.create(team[caller], on(kind, records[kind]))
        assert (made.related_type, made.owner_id) == (kind, caller)
    written = count(db)
    for caller, kind, record_id in (("rep2", "opportunity", records["opportunity"]),
                                    ("agent", "opportunity", records["opportunity"]),
                                    ("rep1", "account", "no-such-account"), ("rep1", "contact", "no-such-contact"),
                                    ("admin", "opportunity", records["account"])):
        with pytest.raises(Failure) as failure:
            acts.create(team[caller], on(kind, record_id))
        assert failure.value.kind == "not_found", (caller, kind)
    assert count(db) == written


def test_whoever_sees_a_record_sees_its_timeline_but_changes_only_their_team_s(db, team, records, acts):
    ones = acts.create(team["rep1"], on("account", records["account"], subject="rep1's"))
    agents = acts.create(team["agent"], on("account", records["account"], subject="agent's"))
    deal = acts.create(team["rep1"], on("opportunity", records["opportunity"]))
    found, _ = acts.list(team["rep3"], related_to=("account", records["account"]))
    assert {a.id for a in found} == {ones.id, agents.id}
    assert acts.get(team["rep3"], ones.id) == ones
    with pytest.raises(Failure) as failure:
        db.run(use_cases.update_activity, team["rep3"], ones.id, {"subject": "mine"})
    assert failure.value.kind == "forbidden"
    for caller in ("rep2", "agent"):
        with pytest.raises(Failure) as failure:
            acts.list(team[caller], related_to=("opportunity", records["opportunity"]))
        assert failure.value.kind == "not_found"
        with pytest.raises(Failure) as failure:
            acts.get(team[caller], deal.id)
        assert failure.value.kind == "not_found"
    found, _ = acts.list(team["manager"], related_to=("opportunity", records["opportunity"]))
    assert [a.id for a in found] == [deal.id]


# -- seeing and changing -------------------------------------------------------------------
def test_owners_managers_and_admins_see_an_activity_others_do_not(db, team, acts):
    made = acts.create(team["rep1"], on_lead())
    acts.leads.hidden |= {("rep2", "lead-1"), ("rep3", "lead-1")}
    acts.leads.asked.clear()
    for name in ("rep1", "manager", "admin"):
        assert acts.get(team[name], made.id).id == made.id
    assert acts.leads.asked == []  # the owner's line sees it without asking leads
    for name in ("rep2", "rep3", "agent"):
        with pytest.raises(Failure) as failure:
            acts.get(team[name], made.id)
        assert failure.value.kind == "not_found"
    assert [who for who, _lead, _held in acts.leads.asked] == ["rep2", "rep3"]  # agents see no lead at all


# -- a lead's activities: the leads service says who may see the lead ----------------------
def test_whoever_leads_lets_see_a_lead_sees_its_timeline_and_activities(db, team, acts):
    made = acts.create(team["rep1"], on_lead("L"))
    assert acts.get(team["rep3"], made.id) == made
    found, _ = acts.list(team["rep3"], related_to=("lead", "L"))
    assert [a.id for a in found] == [made.id]
    with pytest.raises(Failure) as failure:  # seeing the lead is not owning its activities
        db.run(use_cases.update_activity, team["rep3"], made.id, {"subject": "mine"})
    assert failure.value.kind == "not_found"


def test_a_lead_the_leads_service_hides_is_not_found_and_nothing_is_written(db, team, acts):
    made = acts.create(team["rep1"], on_lead("L"))
    acts.leads.hidden.add(("rep3", "L"))
    for ask in (lambda: acts.create(team["rep3"], on_lead("L")),
                lambda: acts.create(team["rep3"], on_lead("L"), validate_only=True),
                lambda: acts.list(team["rep3"], related_to=("lead", "L")),
                lambda: acts.get(team["rep3"], made.id)):
        with pytest.raises(Failure) as failure:
            ask()
        assert failure.value.kind == "not_found"
    assert count(db) == 1


def test_leads_down_is_unavailable_never_an_allow(db, team, acts):
    made = acts.create(team["rep1"], on_lead("L"))
    acts.leads.down = True
    for ask in (lambda: acts.create(team["rep1"], on_lead("L")),
                lambda: acts.list(team["manager"], related_to=("lead", "L")),
                lambda: acts.get(team["rep3"], made.id)):
        with pytest.raises(ServiceUnavailable):
            ask()
    assert count(db) == 1
    assert acts.get(team["rep1"], made.id) == made  # its owner's line needs no answer from leads
    found, _ = acts.list(team["rep1"])
    assert [a.id for a in found] == [made.id]


def test_no_database_connection_is_held_while_leads_answers(db, team, acts):
    made = acts.create(team["rep1"], on_lead("L"))
    acts.create(team["rep2"], on_lead("L"), validate_only=True)
    acts.list(team["rep1"], related_to=("lead", "L"))
    acts.get(team["rep3"], made.id)
    assert [(who, held) for who, _lead, held in acts.leads.asked] == [
        ("rep1", 0), ("rep2", 0), ("rep1", 0), ("rep3", 0)]


def test_complete_reopen_and_the_version(db, team, acts):
    made = acts.create(team["rep1"], on_lead())
    done = db.run(use_cases.update_activity, team["rep1"], made.id, {"status": "completed", "outcome": "Booked"},
                  expected_version=1)
    assert (done.status, done.version, done.outcome) == ("completed", 2, "Booked") and done.completed_at
    with pytest.raises(Failure) as failure:
        db.run(use_cases.update_activity, team["rep1"], made.id, {"status": "open"}, expected_version=1)
    assert (failure.value.kind, failure.value.details) == ("stale", {"current_version": 2})
    reopened = db.run(use_cases.update_activity, team["rep1"], made.id, {"status": "open"}, clear=["outcome"])
    assert (reopened.status, reopened.completed_at, reopened.outcome, reopened.version) == ("open", None, None, 3)
    same = db.run(use_cases.update_activity, team["rep1"], made.id, {"status": "open"})
    assert same.version == 3


def test_updates_check_every_field_and_who_may_change(db, team, acts):
    made = acts.create(team["rep1"], on_lead())
    with pytest.raises(Failure) as failure:
        db.run(use_cases.update_activity, team["rep1"], made.id, {"type": "call", "status": "done"},
               clear=["subject"])
    assert set(fields_of(failure)) == {"type", "status", "subject"}
    with pytest.raises(Failure) as failure:
        db.run(use_cases.update_activity, team["rep1"], made.id, {"starts_at": "2026-11-27T10:00:00Z"})
    assert set(fields_of(failure)) == {"starts_at"}
    with pytest.raises(Failure) as failure:
        db.run(use_cases.update_activity, team["rep1"], made.id, {"owner_id": "rep2"})
    assert failure.value.kind == "forbidden"
    with pytest.raises(Failure) as failure:
        db.run(use_cases.update_activity, team["rep3"], made.id, {"subject": "Mine now"})
    assert failure.value.kind == "not_found"
    moved = db.run(use_cases.update_activity, team["manager"], made.id, {"owner_id": "rep2"})
    assert moved.owner_id == "rep2"
    acts.leads.hidden.add(("rep1", "lead-1"))
    with pytest.raises(Failure):
        acts.get(team["rep1"], made.id)
    assert acts.get(team["admin"], made.id).version == 2


def test_parallel_updates_with_one_version_let_exactly_one_through(pg_sales_db):
    db, rep = pg_sales_db, pg_sales_db.user("rep1")
    acts = Activities(db, Leads(db))
    made = acts.create(rep, on_lead())

    def complete(n: int) -> str:
        try:
            db.run(use_cases.update_activity, rep, made.id, {"outcome": f"try {n}"}, expected_version=1)
            return "ok"
        except Failure as failure:
            return failure.kind

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(complete, range(10)))
    assert sorted(outcomes) == ["ok"] + ["stale"] * 9
    assert acts.get(rep, made.id).version == 2


# -- lists ---------------------------------------------------------------------------------
def test_lists_follow_the_owners_the_caller_sees_and_page(db, team, acts):
    for owner, day in (("rep1", 1), ("rep1", 2), ("rep2", 3), ("rep3", 4)):
        acts.create(team["admin"], on_lead(owner_id=owner, subject=f"day {day}",
                                                                 due_date=f"2026-12-0{day}"))

    def subjects(caller, **filters):
        found, _token = acts.list(caller, **filters)
        return [a.subject for a in found]

    assert subjects(team["rep1"]) == ["day 2", "day 1"]
    assert subjects(team["manager"]) == ["day 3", "day 2", "day 1"]
    assert subjects(team["admin"]) == ["day 4", "day 3", "day 2", "day 1"]
    assert subjects(team["manager"], owner_id="rep3") == []
    assert subjects(team["agent"]) == []
    seen, token = [], ""
    while True:
        found, token = acts.list(team["admin"], page_size=1, page_token=token or "")
        seen += [a.subject for a in found]
        if not token:
            break
    assert seen == ["day 4", "day 3", "day 2", "day 1"]
    with pytest.raises(Failure) as failure:
        acts.list(team["admin"], status="done", type="fax", page_token="zz")
    assert set(fields_of(failure)) == {"status", "type", "page_token"}


def test_a_timeline_shows_everyone_s_activities_newest_first(db, team, acts):
    due = TODAY + timedelta(days=5)
    start = datetime.combine(due, datetime.min.time(), timezone.utc) + timedelta(hours=15)
    made = [
        acts.create(team["rep1"], on_lead("L", subject="due", due_date=due.isoformat())),
        acts.create(team["rep3"], on_lead("L", type="meeting", subject="meeting",
                                                                starts_at=start.isoformat())),
        acts.create(team["rep2"], on_lead("L", subject="undated")),
        acts.create(team["rep2"], on_lead("other", subject="elsewhere")),
    ]
    found, token = acts.list(team["rep1"], related_to=("lead", "L"))
    assert [a.subject for a in found] == ["meeting", "due", "undated"] and token is None
    firsts, token = acts.list(team["rep1"], related_to=("lead", "L"), page_size=2)
    rest, last = acts.list(team["rep1"], related_to=("lead", "L"), page_token=token)
    assert [a.id for a in firsts + rest] == [a.id for a in found] and last is None
    found, _ = acts.list(team["rep1"], related_to=("lead", "L"), owner_id="rep3")
    assert [a.id for a in found] == [made[1].id]


# -- today -----------------------------------------------------------------------------------
def test_today_lists_the_caller_s_open_overdue_and_due_activities_most_overdue_first(db, team, acts):
    def make(caller, subject, **values):
        return acts.create(team[caller], on_lead(subject=subject, **values))

    day = lambda n: (TODAY + timedelta(days=n)).isoformat()  # noqa: E731
    make("rep1", "last week", due_date=day(-7))
    make("rep1", "today", due_date=day(0))
    make("rep1", "tomorrow", due_date=day(1))
    make("rep1", "undated")
    make("rep1", "done", due_date=day(-3), status="completed")
    make("rep2", "someone else's", due_date=day(-1))
    now = datetime.now(timezone.utc)
    make("rep1", "call this morning", type="call", starts_at=datetime.combine(TODAY, datetime.min.time(),
                                                                             timezone.utc).isoformat())
    make("rep1", "meeting two days ago", type="meeting", starts_at=(now - timedelta(days=2)).isoformat())
    make("rep1", "meeting next week", type="meeting", starts_at=(now + timedelta(days=7)).isoformat())
    found = db.run(use_cases.today_activities, team["rep1"])
    # On one day, what has a time comes before what is only due that day.
    assert [a.subject for a in found] == ["last week", "meeting two days ago", "call this morning", "today"]
    earlier = db.run(use_cases.today_activities, team["rep1"], day(-2))
    assert [a.subject for a in earlier] == ["last week", "meeting two days ago"]
    with pytest.raises(Failure) as failure:
        db.run(use_cases.today_activities, team["rep1"], "27.11.2026")
    assert set(fields_of(failure)) == {"today"}


# -- the servicer ------------------------------------------------------------------------------
@pytest.fixture
def grpc_activities(db, serve_grpc):
    """ask(method, request, as_=caller) against the servicer on the test's database."""
    addr, _server = serve_grpc(lambda s: activities_grpc.register(s, db.engine))
    stub = sales_pb2_grpc.ActivitiesStub(channel(addr))

    def ask(method, request, as_):
        return call("sales", getattr(stub, method), request, metadata=caller_metadata(as_))

    return ask


def test_the_servicer_round_trip(leads_server, grpc_activities, team, db):
    rep, lead_id = team["rep1"], leads_server.lead("rep1")
    made = grpc_activities("CreateActivity", sales_pb2.CreateActivityRequest(activity=sales_pb2.ActivityFields(
        type="meeting", subject="Demo", related_to=sales_pb2.RelatedTo(type="lead", id=lead_id),
        starts_at="2026-11-27T16:00:00+02:00", duration_minutes=30)), rep)
    assert (made.owner_id, made.starts_at, made.duration_minutes) == ("rep1", "2026-11-27T14:00:00.000Z", 30)
    assert not made.HasField("due_date") and not made.HasField("completed_at") and made.created_at.endswith("Z")
    assert grpc_activities("GetActivity", sales_pb2.GetRequest(id=made.id), rep) == made
    changed = grpc_activities("UpdateActivity", sales_pb2.UpdateActivityRequest(
        id=made.id, changes=sales_pb2.ActivityFields(status="completed"), clear=["duration_minutes"],
        expected_version=1), rep)
    assert (changed.status, changed.HasField("duration_minutes"), changed.version) == ("completed", False, 2)
    assert changed.HasField("completed_at")
    listed = grpc_activities("ListActivities", sales_pb2.ListActivitiesRequest(
        related_to=sales_pb2.RelatedTo(type="lead", id=lead_id)), team["manager"])
    assert [a.id for a in listed.activities] == [made.id] and listed.next_page_token == ""
    today = grpc_activities("TodayActivities", sales_pb2.TodayActivitiesRequest(today="2026-11-27"), rep)
    assert list(today.activities) == []


def test_the_servicer_reports_failures_typed(grpc_activities, team, db):
    with pytest.raises(RpcFailure) as failure:
        grpc_activities("CreateActivity", sales_pb2.CreateActivityRequest(activity=sales_pb2.ActivityFields(
            type="fax", duration_minutes=0)), team["rep1"])
    assert failure.value.kind == "invalid"
    assert set(failure.value.details["fields"]) == {"type", "subject", "related_to", "duration_minutes"}
    with pytest.raises(RpcFailure) as failure:
        grpc_activities("GetActivity", sales_pb2.GetRequest(id="nope"), team["rep1"])
    assert failure.value.kind == "not_found"
    with pytest.raises(RpcFailure) as failure:
        grpc_activities("UpdateActivity", sales_pb2.UpdateActivityRequest(
            id="x", changes=sales_pb2.ActivityFields(related_to=sales_pb2.RelatedTo(type="lead", id="l"))),
            team["rep1"])
    assert fields_of(failure) == {"related_to": "cannot be changed; create another activity"}
    assert count(db) == 0


def test_the_servicer_answers_unavailable_when_leads_does_not(grpc_activities, team, db, monkeypatch):
    monkeypatch.setenv("LEADS_GRPC_ADDR", f"127.0.0.1:{free_port()}")  # nothing listens there
    with pytest.raises(ServiceUnavailable):
        grpc_activities("CreateActivity", sales_pb2.CreateActivityRequest(activity=sales_pb2.ActivityFields(
            type="task", subject="Call back", related_to=sales_pb2.RelatedTo(type="lead", id="lead-1"))),
            team["rep1"])
    with pytest.raises(ServiceUnavailable):
        grpc_activities("ListActivities", sales_pb2.ListActivitiesRequest(
            related_to=sales_pb2.RelatedTo(type="lead", id="lead-1")), team["rep1"])
    assert count(db) == 0

"""The use cases over a real database: every change with its history and events in one
transaction; a refusal writes nothing."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from tandem_plumbing.failures import Caller, Failure

from tandem_leads import use_cases

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "Acme Inc"}


def lead(n: int = 0, **values) -> dict:
    return {"first_name": f"Person{n}", "last_name": "Test", "email": f"p{n}@example.com",
            "company": f"Company {n}", **values}


@pytest.fixture
def team(leads_db):
    """admin; vp > mgr > rep1, rep2; a lone rep3; an agent. Default rules: round-robin over reps."""
    db = leads_db
    return {
        "admin": db.user("admin", "admin"),
        "vp": db.user("vp", "sales_manager"),
        "mgr": db.user("mgr", "sales_manager", "vp"),
        "rep1": db.user("rep1", "sales_rep", "mgr"),
        "rep2": db.user("rep2", "sales_rep", "mgr"),
        "rep3": db.user("rep3", "sales_rep"),
        "agent": db.user("agent", "service_agent"),
    }


def put_rules(db, document, admin=Caller("admin", "admin")):
    return db.run(use_cases.put_assignment_rules, admin, document, expected_version=None)


def history(db, caller, lead_id):
    entries, _ = db.run(use_cases.lead_history, caller, lead_id)
    return entries


# -- create --------------------------------------------------------------------------------
def test_a_created_lead_is_scored_assigned_by_the_rules_and_announced(leads_db, team):
    created = leads_db.run(use_cases.create_lead, team["admin"], {**ADA, "title": "CTO", "source": "partner"})
    assert created.owner_id == "rep1"  # the default: round-robin over the active sales reps, in id order
    assert created.score == sum(f.points for f in created.score_factors) == 20 + 15
    assert (created.status, created.version, created.created_by) == ("new", 1, "admin")
    events = leads_db.events()
    assert [e.type for e in events] == ["lead_created"]  # born with an owner: one event says both
    assert {e.correlation_id for e in events} == {"req-admin"}
    snapshot = events[0].data["lead"]
    assert snapshot["id"] == created.id and snapshot["owner_id"] == "rep1" and snapshot["referrals"] == []
    assert set(snapshot) == {"id", "version", "first_name", "last_name", "email", "company", "title", "industry",
                             "country", "employees", "source", "status", "status_reason", "score", "score_factors",
                             "owner_id", "referrals", "conversion"}
    assert events[0].data == {"lead": snapshot, "assignment": {"previous_owner_id": None, "reason": "rules"}}
    actions = [(e["action"], e["actor_id"]) for e in history(leads_db, team["admin"], created.id)]
    assert actions == [("created", "admin"), ("assigned", None)]


def test_bad_input_names_each_field_and_writes_nothing(leads_db, team):
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.create_lead, team["admin"],
                     {"first_name": "Ada", "last_name": "L", "email": "nope", "source": "tv", "status": "converted",
                      "score": 99, "id": "mine"})
    assert failure.value.kind == "invalid"
    assert set(failure.value.details["fields"]) == {"company", "email", "source", "status", "score", "id"}
    assert (leads_db.count("leads"), leads_db.count("outbox"), leads_db.count("lead_history")) == (0, 0, 0)


def test_validate_only_checks_and_writes_nothing(leads_db, team):
    assert leads_db.run(use_cases.create_lead, team["admin"], ADA, validate_only=True) is None
    assert (leads_db.count("leads"), leads_db.count("outbox")) == (0, 0)


WEB_FORM = Caller("web-to-lead", "web_form", "req-form")


def test_the_web_form_creates_only_web_leads_owned_by_the_rules_and_sees_none(leads_db, team):
    made = leads_db.run(use_cases.create_lead, WEB_FORM, {**ADA, "source": "web"})
    assert (made.source, made.owner_id, made.created_by) == ("web", "rep1", "web-to-lead")
    for values, options in (({**lead(1), "source": "partner"}, {}), (lead(2), {}),
                            ({**lead(3), "source": "web", "status": "working"}, {}),
                            ({**lead(4), "source": "web"}, {"owner_id": "rep2"}),
                            ({**lead(5), "source": "web"}, {"allow_duplicate": True})):
        with pytest.raises(Failure) as failure:
            leads_db.run(use_cases.create_lead, WEB_FORM, values, **options)
        assert failure.value.kind == "forbidden", values
    # A second submission for the same person: refused without naming the lead on file.
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.create_lead, WEB_FORM, {**ADA, "first_name": "Augusta", "source": "web"})
    assert (failure.value.code, failure.value.details) == ("duplicate_lead", {})
    assert leads_db.count("leads") == 1 and len(leads_db.events("lead_created")) == 1

    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.get_lead, WEB_FORM, made.id)
    assert failure.value.kind == "not_found"
    assert leads_db.run(use_cases.list_leads, WEB_FORM) == ([], None)
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.scoring_weights, WEB_FORM)
    assert failure.value.kind == "forbidden"


def test_a_duplicate_is_refused_with_the_existing_id_unless_allowed(leads_db, team):
    first = leads_db.run(use_cases.create_lead, team["admin"], ADA)
    same_email = {**ADA, "first_name": "Augusta", "email": "  ADA@Example.com "}
    same_person = {**ADA, "email": "ada.l@other.example", "company": "ACME, Inc.", "first_name": " ada"}
    for values, matched in ((same_email, "email"), (same_person, "name_company")):
        with pytest.raises(Failure) as failure:
            leads_db.run(use_cases.create_lead, team["admin"], values)
        assert (failure.value.kind, failure.value.code) == ("conflict", "duplicate_lead")
        assert failure.value.details == {"existing_id": first.id, "matched_on": matched}
    assert leads_db.count("leads") == 1 and len(leads_db.events("lead_created")) == 1

    second = leads_db.run(use_cases.create_lead, team["admin"], same_email, allow_duplicate=True)
    assert second.id != first.id and leads_db.count("leads") == 2
    assert history(leads_db, team["admin"], second.id)[0]["note"] == "created although it matches an open lead"


def test_a_closed_lead_is_not_a_duplicate(leads_db, team):
    first = leads_db.run(use_cases.create_lead, team["admin"], ADA)
    leads_db.run(use_cases.update_lead, team["admin"], first.id, {"status": "unqualified", "status_reason": "spam"})
    assert leads_db.run(use_cases.create_lead, team["admin"], ADA).id != first.id


def test_a_reps_lead_is_their_own(leads_db, team):
    mine = leads_db.run(use_cases.create_lead, team["rep3"], ADA)
    assert mine.owner_id == "rep3"
    assert leads_db.events("lead_created")[0].data["assignment"] == {"previous_owner_id": None, "reason": "manual"}
    assert leads_db.events("lead_assigned") == []
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.create_lead, team["rep3"], lead(1), owner_id="rep1")
    assert failure.value.kind == "forbidden"


def test_managers_give_leads_within_their_team_admins_to_any_active_sales_user(leads_db, team):
    assert leads_db.run(use_cases.create_lead, team["vp"], lead(1), owner_id="rep2").owner_id == "rep2"
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.create_lead, team["mgr"], lead(2), owner_id="rep3")
    assert failure.value.kind == "forbidden"
    assert leads_db.run(use_cases.create_lead, team["admin"], lead(3), owner_id="rep3").owner_id == "rep3"
    leads_db.user("gone", "sales_rep", active=False)
    for owner in ("gone", "agent", "ghost"):
        with pytest.raises(Failure) as failure:
            leads_db.run(use_cases.create_lead, team["admin"], lead(4), owner_id=owner)
        assert failure.value.details["fields"] == {"owner_id": "is not an active sales user"}
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.create_lead, team["agent"], lead(5))
    assert failure.value.kind == "forbidden"
    assert leads_db.count("leads") == 2


# -- read and access -----------------------------------------------------------------------
def test_who_sees_which_leads(leads_db, team):
    ids = {}
    for n, owner in enumerate(("rep1", "rep2", "rep3", "mgr")):
        ids[owner] = leads_db.run(use_cases.create_lead, team["admin"], lead(n), owner_id=owner).id

    def visible(who):
        found, _ = leads_db.run(use_cases.list_leads, team[who])
        return {lead.owner_id for lead in found}

    assert visible("admin") == {"rep1", "rep2", "rep3", "mgr"}
    assert visible("vp") == visible("mgr") == {"rep1", "rep2", "mgr"}  # the whole subtree
    assert visible("rep1") == {"rep1"}
    assert visible("agent") == set()
    assert leads_db.run(use_cases.get_lead, team["rep1"], ids["rep1"]).id == ids["rep1"]
    for who, other in (("rep1", "rep2"), ("mgr", "rep3"), ("agent", "rep1")):
        with pytest.raises(Failure) as failure:
            leads_db.run(use_cases.get_lead, team[who], ids[other])
        assert failure.value.kind == "not_found"
        with pytest.raises(Failure) as failure:
            leads_db.run(use_cases.lead_history, team[who], ids[other])
        assert failure.value.kind == "not_found"


def test_list_filters_search_and_pages(leads_db, team):
    admin = team["admin"]
    leads_db.run(use_cases.create_lead, admin, lead(1, source="web", company="Zeta Systems"), owner_id="rep1")
    leads_db.run(use_cases.create_lead, admin, lead(2, source="event", first_name="Grace", last_name="Hopper"),
                 owner_id="rep2")
    third = leads_db.run(use_cases.create_lead, admin, lead(3, source="web"), owner_id="rep1")
    leads_db.run(use_cases.update_lead, admin, third.id, {"status": "working"})

    def ids(**filters):
        found, _ = leads_db.run(use_cases.list_leads, admin, **filters)
        return [f.email for f in found]

    assert ids() == ["p3@example.com", "p2@example.com", "p1@example.com"]  # newest first
    assert ids(source="web") == ["p3@example.com", "p1@example.com"]
    assert ids(owner_id="rep2") == ["p2@example.com"]
    assert ids(status="working") == ["p3@example.com"]
    assert ids(q="grace hop") == ids(q="P2@EXAMPLE") == ids(q="company 2") == ["p2@example.com"]
    assert ids(q="zeta") == ["p1@example.com"]
    assert ids(q="100%") == []  # wildcards are literal
    put_rules(leads_db, {"rules": []})  # no default: nobody gets it
    unassigned = leads_db.run(use_cases.create_lead, admin, lead(4))
    assert unassigned.owner_id is None and ids(owner_id="none") == ["p4@example.com"]

    pages, token = [], ""
    while True:
        found, token = leads_db.run(use_cases.list_leads, admin, page_size=3, page_token=token)
        pages.append([f.email for f in found])
        if token is None:
            break
    assert pages == [["p4@example.com", "p3@example.com", "p2@example.com"], ["p1@example.com"]]

    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.list_leads, admin, status="open", source="tv", page_token="garbage!")
    assert set(failure.value.details["fields"]) == {"status", "source", "page_token"}


# -- update --------------------------------------------------------------------------------
def test_an_update_is_checked_against_the_version_rescored_and_recorded(leads_db, team):
    created = leads_db.run(use_cases.create_lead, team["admin"], ADA, owner_id="rep1")
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.update_lead, team["rep1"], created.id, {"title": "CEO"}, expected_version=7)
    assert (failure.value.kind, failure.value.details) == ("stale", {"current_version": 1})

    changed = leads_db.run(use_cases.update_lead, team["rep1"], created.id, {"title": "CEO", "employees": 1200},
                           expected_version=1)
    assert changed.version == 2 and changed.score == created.score + 20 + 20
    assert {f.factor for f in changed.score_factors} >= {"title_seniority", "company_size"}
    same = leads_db.run(use_cases.update_lead, team["rep1"], created.id, {"title": "CEO"})
    assert same.version == 2  # nothing changed, nothing written
    entries = history(leads_db, team["rep1"], created.id)
    assert [e["action"] for e in entries] == ["created", "assigned", "updated", "rescored"]
    assert entries[2]["changes"] == {"title": {"from": None, "to": "CEO"}, "employees": {"from": None, "to": 1200}}
    assert entries[2]["actor_id"] == "rep1" and entries[2]["correlation_id"] == "req-rep1"
    assert entries[3]["changes"]["score"] == {"from": created.score, "to": changed.score}
    assert [e.type for e in leads_db.events()] == ["lead_created"]  # no event for plain edits


def test_status_moves_emit_lead_status_changed(leads_db, team):
    created = leads_db.run(use_cases.create_lead, team["admin"], ADA, owner_id="rep1")
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.update_lead, team["rep1"], created.id, {"status": "unqualified"})
    assert "status_reason" in failure.value.details["fields"]
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.update_lead, team["rep1"], created.id, {"status": "converted"})
    assert "status" in failure.value.details["fields"]
    moved = leads_db.run(use_cases.update_lead, team["rep1"], created.id,
                         {"status": "unqualified", "status_reason": "no budget this year"})
    assert (moved.status, moved.status_reason) == ("unqualified", "no budget this year")
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.update_lead, team["rep1"], created.id, {"status": "qualified"})
    assert failure.value.code == "invalid_status_transition"
    reopened = leads_db.run(use_cases.update_lead, team["rep1"], created.id, {"status": "working"})
    assert reopened.status_reason is None

    changes = [(e.data["from"], e.data["to"], e.data["reason"]) for e in leads_db.events("lead_status_changed")]
    assert changes == [("new", "unqualified", "no budget this year"), ("unqualified", "working", None)]
    last = leads_db.events("lead_status_changed")[-1]
    assert last.data["lead"]["version"] == reopened.version and last.correlation_id == "req-rep1"


def test_reassigning_is_for_managers_in_their_team_and_admins(leads_db, team):
    created = leads_db.run(use_cases.create_lead, team["admin"], ADA, owner_id="rep1")
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.update_lead, team["rep1"], created.id, {}, owner_id="rep2")
    assert failure.value.kind == "forbidden"
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.update_lead, team["mgr"], created.id, {}, owner_id="rep3")
    assert failure.value.kind == "forbidden"
    moved = leads_db.run(use_cases.update_lead, team["mgr"], created.id, {"status": "unqualified",
                                                                          "status_reason": "duplicate"},
                         owner_id="rep2")
    assert moved.owner_id == "rep2"
    assert [e.type for e in leads_db.events()][-2:] == ["lead_assigned", "lead_status_changed"]
    assigned = leads_db.events("lead_assigned")[-1].data
    assert (assigned["previous_owner_id"], assigned["reason"], assigned["lead"]["owner_id"]) == ("rep1", "manual",
                                                                                               "rep2")
    with pytest.raises(Failure) as failure:  # rep1 no longer sees it
        leads_db.run(use_cases.update_lead, team["rep1"], created.id, {"title": "x"})
    assert failure.value.kind == "not_found"


# -- referrals -----------------------------------------------------------------------------
def test_a_referral_makes_a_scored_assigned_lead_with_events_in_order(leads_db, team, referral_data):
    made = leads_db.run(use_cases.receive_referral, referral_data(), "req-case")
    assert (made.source, made.owner_id, made.company, made.email) == ("service_referral", "rep1", "Acme Corp",
                                                                      "carla@acme.example")
    assert (made.first_name, made.last_name, made.phone) == ("Carla", "Customer", "+1 555 0100")
    assert "50 more seats" in made.description and made.created_by == "agent-1"
    assert {f.factor: f.points for f in made.score_factors}["source"] == 30
    events = leads_db.events()
    assert [e.type for e in events] == ["lead_created"]  # the referral and the owner ride on it
    assert {e.correlation_id for e in events} == {"req-case"}
    created = events[0].data
    assert set(created) == {"lead", "assignment", "referral"}
    assert created["referral"] == {"referral_id": "ref-1", "case_id": "case-1", "case_number": 1042,
                                   "agent_id": "agent-1", "kind": "upsell", "product_interest": "50 more seats"}
    assert created["lead"]["referrals"] == [created["referral"]]
    assert created["assignment"] == {"previous_owner_id": None, "reason": "rules"}
    assert created["lead"]["owner_id"] == "rep1"


def test_the_same_referral_twice_attaches_once(leads_db, team, referral_data):
    first = leads_db.run(use_cases.receive_referral, referral_data(), "req-1")
    again = leads_db.run(use_cases.receive_referral, referral_data(), "req-1")
    assert again.id == first.id and again.version == first.version
    assert (leads_db.count("leads"), leads_db.count("lead_referrals"), len(leads_db.events())) == (1, 1, 1)


def test_two_referrals_for_one_contact_make_one_lead_with_both(leads_db, team, referral_data):
    first = leads_db.run(use_cases.receive_referral, referral_data("ref-1"), "req-1")
    second = leads_db.run(use_cases.receive_referral,
                          referral_data("ref-2", case_id="case-2", email=" CARLA@acme.example", company=None), "req-2")
    assert second.id == first.id and [r.referral_id for r in second.referrals] == ["ref-1", "ref-2"]
    assert second.owner_id == first.owner_id == "rep1" and second.score == first.score + 10  # one more referral
    assert [e.type for e in leads_db.events()][1:] == ["lead_referral_attached"]  # same owner: not re-assigned
    merged = leads_db.events()[-1].data
    assert merged["merged"] is True and [r["referral_id"] for r in merged["lead"]["referrals"]] == ["ref-1", "ref-2"]


def test_a_referral_merges_into_an_open_lead_filling_what_is_missing(leads_db, team, referral_data):
    put_rules(leads_db, {"rules": []})  # no default: the POSTed lead stays unassigned
    existing = leads_db.run(use_cases.create_lead, team["admin"],
                            {"first_name": "Carla", "last_name": "Customer", "email": "c.customer@mail.example",
                             "company": "ACME corp.", "title": "Head of IT"})
    assert existing.owner_id is None
    put_rules(leads_db, {"rules": [{"name": "referrals", "criteria": {"source": ["service_referral"]},
                                    "assign_to": {"user_id": "rep2"}}],
                         "default": {"user_id": "rep3"}})
    merged = leads_db.run(use_cases.receive_referral, referral_data(email="carla@acme.example"), "req-case")
    assert merged.id == existing.id and merged.version == 2
    assert (merged.email, merged.title, merged.phone) == ("c.customer@mail.example", "Head of IT", "+1 555 0100")
    assert merged.source == "other" and merged.owner_id == "rep3"  # its own source decides the rule
    assert merged.score > existing.score
    assert [e.type for e in leads_db.events()][1:] == ["lead_referral_attached", "lead_assigned"]
    entries = history(leads_db, team["admin"], existing.id)
    assert [e["action"] for e in entries] == ["created", "assignment_failed", "merged", "rescored", "assigned"]
    assert set(entries[2]["changes"]) == {"phone", "description"}
    assert entries[2]["changes"]["phone"] == {"from": None, "to": "+1 555 0100"}
    assert entries[2]["actor_id"] == "agent-1" and "ref-1" in entries[2]["note"]


def test_a_referral_does_not_merge_into_a_closed_lead(leads_db, team, referral_data):
    closed = leads_db.run(use_cases.create_lead, team["admin"], {**ADA, "email": "carla@acme.example"})
    leads_db.run(use_cases.update_lead, team["admin"], closed.id, {"status": "unqualified", "status_reason": "x"})
    made = leads_db.run(use_cases.receive_referral, referral_data(), None)
    assert made.id != closed.id and leads_db.count("leads") == 2


def test_a_referral_without_a_company_takes_the_email_domain(leads_db, team, referral_data):
    made = leads_db.run(use_cases.receive_referral, referral_data(company=None, email="dan@beta.example"), None)
    assert made.company == "beta.example"


def test_a_bad_referral_writes_nothing(leads_db, team):
    with pytest.raises(Failure):
        leads_db.run(use_cases.receive_referral, {"referral": {"id": "r"}, "contact": {}}, None)
    assert (leads_db.count("leads"), leads_db.count("outbox")) == (0, 0)


# -- assignment ----------------------------------------------------------------------------
def test_round_robin_is_fair_when_many_leads_arrive_at_once(leads_db):
    db = leads_db
    admin = db.user("admin", "admin")
    for rep in ("r1", "r2", "r3"):
        db.user(rep)
    put_rules(db, {"rules": [{"name": "all", "criteria": {},
                              "assign_to": {"queue": ["r1", "r2", "r3"], "strategy": "round_robin"}}]})
    with ThreadPoolExecutor(30) as pool:
        made = list(pool.map(lambda n: db.run(use_cases.create_lead, admin, lead(n)), range(30)))
    owners = [m.owner_id for m in made]
    assert {rep: owners.count(rep) for rep in ("r1", "r2", "r3")} == {"r1": 10, "r2": 10, "r3": 10}


def test_least_loaded_capacity_and_inactive_reps(leads_db, team):
    leads_db.user("rep2", "sales_rep", "mgr", active=False)
    put_rules(leads_db, {
        "rules": [{"name": "dach", "criteria": {"country": ["DE"]},
                   "assign_to": {"queue": ["rep1", "rep2", "rep3"], "strategy": "least_loaded"}}],
        "default": {"user_id": "mgr"},
        "capacity": {"default": 2, "per_user": {"mgr": 1}},
    })
    leads_db.run(use_cases.create_lead, team["admin"], lead(0), owner_id="rep1")  # rep1 has 1 open lead
    owners = [leads_db.run(use_cases.create_lead, team["admin"], lead(n, country="DE")).owner_id
              for n in range(1, 6)]
    # rep3 (0) -> rep1 (1 vs 1: queue order) -> rep3; both full -> the default; the default is full -> nobody
    assert owners == ["rep3", "rep1", "rep3", "mgr", None]
    assert history(leads_db, team["admin"], leads_db.run(use_cases.list_leads, team["admin"])[0][0].id)[-1][
        "action"] == "assignment_failed"


def test_rules_choose_by_criteria_and_score(leads_db, team):
    put_rules(leads_db, {"rules": [
        {"name": "hot", "criteria": {"score_min": 50}, "assign_to": {"user_id": "rep2"}},
        {"name": "software", "criteria": {"industry": ["software"], "employees_max": 100},
         "assign_to": {"user_id": "rep3"}},
    ], "default": {"user_id": "rep1"}})
    hot = leads_db.run(use_cases.create_lead, team["admin"], lead(1, title="CEO", employees=5000, source="referral"))
    small = leads_db.run(use_cases.create_lead, team["admin"], lead(2, industry="Software", employees=20))
    other = leads_db.run(use_cases.create_lead, team["admin"], lead(3))
    assert (hot.score >= 50, hot.owner_id, small.owner_id, other.owner_id) == (True, "rep2", "rep3", "rep1")


def test_rules_are_for_admins_checked_and_versioned(leads_db, team):
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.assignment_rules, team["mgr"])
    assert failure.value.kind == "forbidden"
    default = leads_db.run(use_cases.assignment_rules, team["admin"])
    assert (default.version, default.document["default"]) == (0, {"role": "sales_rep", "strategy": "round_robin"})
    with pytest.raises(Failure) as failure:
        put_rules(leads_db, {"rules": [{"name": "x", "assign_to": {"queue": ["rep1", "agent", "ghost"],
                                                                   "strategy": "least_loaded"}}]})
    assert set(failure.value.details["fields"]) == {"rules[0].assign_to.queue[1]", "rules[0].assign_to.queue[2]"}
    saved = leads_db.run(use_cases.put_assignment_rules, team["admin"], {"rules": []}, expected_version=0)
    assert (saved.version, saved.updated_by) == (1, "admin")
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.put_assignment_rules, team["admin"], {"rules": []}, expected_version=0)
    assert (failure.value.kind, failure.value.details) == ("stale", {"current_version": 1})
    with pytest.raises(Failure) as failure:
        put_rules(leads_db, {"rules": []}, admin=team["mgr"])
    assert failure.value.kind == "forbidden"


def test_a_deactivated_reps_open_leads_are_reassigned_by_the_rules(leads_db, team):
    put_rules(leads_db, {"rules": [{"name": "team", "criteria": {},
                                    "assign_to": {"queue": ["rep1", "rep2"], "strategy": "round_robin"}}]})
    admin = team["admin"]
    open_ids = [leads_db.run(use_cases.create_lead, admin, lead(n), owner_id="rep1").id for n in range(2)]
    closed = leads_db.run(use_cases.create_lead, admin, lead(9), owner_id="rep1")
    leads_db.run(use_cases.update_lead, admin, closed.id, {"status": "unqualified", "status_reason": "x"})
    before = len(leads_db.events())

    user = {"id": "rep1", "email": "rep1@example.com", "name": "Rep1", "role": "sales_rep", "manager_id": "mgr",
            "active": False, "version": 100}
    leads_db.run(use_cases.record_user, user, "req-deactivate")
    reassigned = leads_db.events()[before:]
    assert [e.type for e in reassigned] == ["lead_assigned", "lead_assigned"]
    for event, lead_id in zip(reassigned, open_ids, strict=True):
        assert event.data["lead"]["id"] == lead_id and event.data["lead"]["owner_id"] == "rep2"
        assert (event.data["previous_owner_id"], event.data["reason"]) == ("rep1", "owner_inactive")
        assert event.correlation_id == "req-deactivate"
    assert leads_db.run(use_cases.get_lead, admin, closed.id).owner_id == "rep1"  # closed leads stay
    leads_db.run(use_cases.record_user, {**user, "version": 99}, "late")  # an older version: nothing
    assert len(leads_db.events()) == before + 2


def test_a_rep_with_no_one_to_take_over_keeps_the_leads_and_history_says_why(leads_db, team):
    put_rules(leads_db, {"rules": [{"name": "only rep1", "criteria": {}, "assign_to": {"user_id": "rep1"}}]})
    made = leads_db.run(use_cases.create_lead, team["admin"], lead(1))
    leads_db.run(use_cases.record_user, {"id": "rep1", "email": "rep1@example.com", "name": "Rep1", "role": "sales_rep",
                                         "manager_id": "mgr", "active": False, "version": 100}, None)
    assert leads_db.run(use_cases.get_lead, team["admin"], made.id).owner_id == "rep1"
    assert history(leads_db, team["admin"], made.id)[-1]["action"] == "assignment_failed"


# -- scoring weights -----------------------------------------------------------------------
def test_new_weights_rescore_open_leads_at_once(leads_db, team):
    admin = team["admin"]
    open_lead = leads_db.run(use_cases.create_lead, admin, lead(1, source="web"))
    closed = leads_db.run(use_cases.create_lead, admin, lead(2, source="web"))
    closed = leads_db.run(use_cases.update_lead, admin, closed.id, {"status": "unqualified", "status_reason": "x"})
    weights = leads_db.run(use_cases.scoring_weights, team["rep1"]).document
    weights["source"]["web"] = 40
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.put_scoring_weights, team["mgr"], weights, expected_version=None)
    assert failure.value.kind == "forbidden"
    saved = leads_db.run(use_cases.put_scoring_weights, admin, weights, expected_version=0)
    assert saved.version == 1
    rescored = leads_db.run(use_cases.get_lead, admin, open_lead.id)
    assert (rescored.score, rescored.version) == (40, open_lead.version + 1)
    assert history(leads_db, admin, open_lead.id)[-1]["note"] == "the scoring weights changed"
    assert leads_db.run(use_cases.get_lead, admin, closed.id).score == closed.score == 5
    assert leads_db.run(use_cases.create_lead, admin, lead(3, source="web")).score == 40
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.put_scoring_weights, admin, {"source": {}}, expected_version=None)
    assert "title_seniority" in failure.value.details["fields"]
    with pytest.raises(Failure) as failure:
        leads_db.run(use_cases.scoring_weights, team["agent"])
    assert failure.value.kind == "forbidden"

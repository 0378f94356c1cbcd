"""The real leads consumer: referrals become one lead per contact, each event applies
once, and a deactivated rep's open leads move to someone else."""
import eventlet
from sqlalchemy import func, select
from tandem_plumbing.envelope import Envelope

from tandem_leads import use_cases
from tandem_leads.adapters.models import lead_referrals, leads, processed_events


def count(db, table, **where):
    query = select(func.count()).select_from(table)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    with db.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def referral_submitted(data, correlation_id):
    return Envelope(type="referral_submitted", source="service_desk", data=data, correlation_id=correlation_id)


def test_referrals_make_one_lead_per_contact_and_each_event_applies_once(leads_db, leads_consumer, wait,
                                                                         referral_data, capsys):
    leads_db.user("rep1")
    first = referral_submitted(referral_data("ref-1"), "req-first")
    leads_consumer.event(first)
    leads_consumer.event(first)  # delivered twice
    wait(lambda: count(leads_db, processed_events) == 1 and len(leads_db.events()) == 1, what="the referral")
    eventlet.sleep(0.3)  # room for the duplicate's (wrong) effect to land

    assert count(leads_db, leads) == 1 and count(leads_db, lead_referrals) == 1
    events = leads_db.events()
    assert [e.type for e in events] == ["lead_created"]  # with the referral and the assignment in it
    assert {e.correlation_id for e in events} == {"req-first"}
    assert events[0].data["referral"]["referral_id"] == "ref-1" and events[0].data["assignment"]["reason"] == "rules"
    lead = events[0].data["lead"]
    assert (lead["source"], lead["owner_id"], lead["company"]) == ("service_referral", "rep1", "Acme Corp")

    leads_consumer.event(referral_submitted(referral_data("ref-2", case_id="case-2", email="Carla@Acme.example"),
                                            "req-second"))
    wait(lambda: len(leads_db.events()) == 2, what="the second referral")
    assert count(leads_db, leads) == 1 and count(leads_db, lead_referrals, lead_id=lead["id"]) == 2
    merged = leads_db.events()[-1]
    assert (merged.type, merged.data["merged"], merged.correlation_id) == ("lead_referral_attached", True,
                                                                            "req-second")
    assert [r["referral_id"] for r in merged.data["lead"]["referrals"]] == ["ref-1", "ref-2"]
    with capsys.disabled():
        print(f"\n[leads consumer] 3 deliveries of 2 referrals -> {count(leads_db, leads)} lead, "
              f"{count(leads_db, lead_referrals)} referrals, events {[e.type for e in leads_db.events()]}")


def test_a_deactivated_reps_open_leads_are_reassigned(leads_db, leads_consumer, wait):
    admin = leads_db.user("admin", "admin")
    leads_db.user("rep1")
    leads_db.user("rep2")
    made = leads_db.run(use_cases.create_lead, admin, {"first_name": "Ada", "last_name": "L",
                                                       "email": "ada@example.com", "company": "Acme"},
                        owner_id="rep1")
    deactivated = {"id": "rep1", "email": "rep1@example.com", "name": "Rep1", "role": "sales_rep",
                   "manager_id": None, "active": False, "version": 50}
    leads_consumer.event(Envelope(type="user_changed", source="gateway", data={"user": deactivated,
                                                                               "changed": ["active"]},
                                  correlation_id="req-deactivate"))
    wait(lambda: leads_db.events("lead_assigned"), what="the reassignment")
    event = leads_db.events("lead_assigned")[-1]
    assert event.data["lead"]["id"] == made.id and event.data["lead"]["owner_id"] == "rep2"
    assert (event.data["previous_owner_id"], event.data["reason"], event.correlation_id) == (
        "rep1", "owner_inactive", "req-deactivate")

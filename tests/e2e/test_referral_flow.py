"""End to end, the heart of Tandem: a service agent refers an upsell from a support case;
within seconds the right rep has a deduplicated, scored lead linked to the case and a
notification, and the agent sees the referral assigned. All over HTTP, across the real
processes (PostgreSQL databases, RabbitMQ), started the way `make run` does."""
import time

import pytest
import requests
from e2e.harness import eventually
from e2e.flows import leads_of, open_case, refer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_an_agents_referral_reaches_the_right_rep_and_comes_back_assigned(crm, team):
    agent, rep = team["agent"], team["rep"]
    case = open_case(crm, agent)
    posted = time.monotonic()
    r = refer(crm, agent, case["id"])
    assert r.status_code == 202, r.text
    referral = r.json()
    assert (referral["status"], referral["case_id"], referral["agent_id"]) == ("submitted", case["id"], agent["id"])

    lead = eventually(lambda: next((l for l in leads_of(crm, rep)
                                    if (l.get("referral") or {}).get("case_id") == case["id"]), None))
    lead_seen = time.monotonic() - posted
    assert lead, "the rep never saw the referred lead"
    assert lead["source"] == "service_referral" and lead["owner_id"] == rep["id"]
    assert lead["referral"] == {"case_id": case["id"], "referral_id": referral["id"], "agent_id": agent["id"]}
    assert lead["company"] == "Acme Corp" and lead["email"] == "carla@acme.example"
    assert 0 <= lead["score"] <= 100 and lead["score_factors"]

    def rep_notification():
        r = requests.get(f"{crm.api}/notifications", params={"unread": "true"}, headers=rep["auth"], timeout=10)
        assert r.status_code == 200, r.text
        return next((n for n in r.json()["items"] if (n.get("data") or {}).get("lead_id") == lead["id"]), None)

    note = eventually(rep_notification)
    notified = time.monotonic() - posted
    assert note, "the rep got no notification"
    text = f"{note['title']} {note['body']}"
    assert "Ada Agent" in text and "Acme Corp" in text and "50 more seats" in text

    def referral_status():
        r = requests.get(f"{crm.api}/cases/{case['id']}/referrals", headers=agent["auth"], timeout=10)
        assert r.status_code == 200, r.text
        current = r.json()["items"][0]
        return current if current["status"] == "assigned" else None

    assigned = eventually(referral_status)
    looped = time.monotonic() - posted
    assert assigned, "the referral never showed as assigned on the case"
    assert (assigned["lead_id"], assigned["assignee_id"]) == (lead["id"], rep["id"])

    def agent_told():
        r = requests.get(f"{crm.api}/notifications", headers=agent["auth"], timeout=10)
        return [n for n in r.json()["items"] if (n.get("data") or {}).get("referral_id") == referral["id"]]

    assert eventually(agent_told), "the agent was not told the referral was assigned"
    print(f"\n[e2e referral] lead visible to the rep after {lead_seen:.2f}s, notification after {notified:.2f}s, "
          f"referral assigned on the case after {looped:.2f}s")


def test_two_referrals_for_one_contact_make_one_lead_with_both(crm, team):
    agent, rep = team["agent"], team["rep"]
    dan = {"email": "dan@beta.example", "name": "Dan Driver", "company": "Beta GmbH"}
    first, second = open_case(crm, agent, subject="Slow reports", **dan), open_case(crm, agent, subject="Export", **dan)
    ids = []
    for case in (first, second):
        r = refer(crm, agent, case["id"], product_interest="analytics add-on")
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])

    def merged():
        leads = [l for l in leads_of(crm, rep) if l["email"] == "dan@beta.example"]
        if len(leads) == 1 and len(leads[0].get("referrals") or []) == 2:
            return leads
        return None

    leads = eventually(merged)
    assert leads, f"expected one lead with both referrals, got {[l for l in leads_of(crm, rep) if l['email'] == 'dan@beta.example']}"
    assert {r["referral_id"] for r in leads[0]["referrals"]} == set(ids)


def test_bad_referrals_are_refused_and_write_nothing(crm, team):
    agent, rep = team["agent"], team["rep"]
    case = open_case(crm, agent, "erin@gamma.example", name="Erin Example", company="Gamma Ltd")

    missing = requests.post(f"{crm.api}/cases/{case['id']}/referrals", json={"kind": "upsell"},
                            headers=agent["auth"], timeout=10)
    assert missing.status_code == 400 and "product_interest" in missing.json()["error"]["details"]["fields"]
    unknown = refer(crm, agent, "no-such-case")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    by_rep = refer(crm, rep, case["id"])
    assert by_rep.status_code == 403

    time.sleep(1.0)  # anything wrongly published would have reached leads by now
    r = requests.get(f"{crm.api}/cases/{case['id']}/referrals", headers=agent["auth"], timeout=10)
    assert r.json()["items"] == []
    assert not [l for l in leads_of(crm, rep) if l["email"] == "erin@gamma.example"]

"""Steps of the end-to-end flows, over HTTP as a client does them."""
import requests


def open_case(system, agent, email="carla@acme.example", subject="Cannot add more users",
              name="Carla Customer", company="Acme Corp"):
    body = {"subject": subject, "priority": "high", "origin": "email",
            "contact": {"name": name, "email": email, "company": company}}
    r = requests.post(f"{system.api}/cases", json=body, headers=agent["auth"], timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def refer(system, who, case_id, **fields):
    body = {"kind": "upsell", "product_interest": "50 more seats", "notes": "hitting the seat limit",
            "estimated_value": {"amount": "12000.00", "currency": "USD"}, **fields}
    return requests.post(f"{system.api}/cases/{case_id}/referrals", json=body, headers=who["auth"], timeout=10)


def leads_of(system, rep):
    r = requests.get(f"{system.api}/leads", params={"source": "service_referral"}, headers=rep["auth"], timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["items"]

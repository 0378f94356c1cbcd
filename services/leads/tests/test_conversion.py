"""Converting a lead, over a real database. Sales is the port `convert_in_sales`: here a
recording stand-in for the rules of the leads side (replay without asking sales,
refusals passed through, bad input changes nothing); test_conversion_grpc.py runs the
whole path against the real sales server."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from tandem_plumbing.failures import Failure, ServiceUnavailable

from tandem_leads import use_cases
from tandem_leads.domain.leads import ConversionRequest, Money

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@Acme.example", "company": "Acme Inc"}


class Sales:
    """Answers like sales: the same ids for the same lead, however often asked."""

    def __init__(self, refusal: Exception | None = None) -> None:
        self.asked: list[tuple] = []
        self.refusal = refusal
        self._lock = threading.Lock()

    def __call__(self, caller, lead, request):
        with self._lock:
            self.asked.append((caller.user_id, lead.id, request))
        if self.refusal is not None:
            raise self.refusal
        return use_cases.SalesRecords(f"acc-{lead.id[:6]}", f"con-{lead.id[:6]}", f"opp-{lead.id[:6]}", True)


@pytest.fixture
def team(leads_db):
    return {"admin": leads_db.user("admin", "admin"), "mgr": leads_db.user("mgr", "sales_manager"),
            "rep": leads_db.user("rep", "sales_rep", "mgr"), "other": leads_db.user("other", "sales_rep"),
            "agent": leads_db.user("agent", "service_agent")}


@pytest.fixture
def qualified(leads_db, team):
    lead = leads_db.run(use_cases.create_lead, team["rep"], ADA)
    return leads_db.run(use_cases.update_lead, team["rep"], lead.id, {"status": "qualified"})


def convert(db, caller, lead_id, sales, request=ConversionRequest(), **kwargs):
    return use_cases.convert_lead(db.sessions, caller, lead_id, request, sales, **kwargs)


def test_conversion_marks_the_lead_and_announces_it(leads_db, team, qualified):
    sales = Sales()
    asked = ConversionRequest(opportunity_name=" Acme seats ", amount=Money("12000.00", "USD"), close_date="2026-12-31")
    converted = convert(leads_db, team["rep"], qualified.id, sales, asked)
    assert not converted.replayed
    lead = converted.lead
    assert (lead.status, lead.version) == ("converted", qualified.version + 1)
    c = lead.conversion
    assert (c.account_id, c.contact_id, c.opportunity_id, c.converted_by, c.account_created) == (
        f"acc-{lead.id[:6]}", f"con-{lead.id[:6]}", f"opp-{lead.id[:6]}", "rep", True)
    assert sales.asked == [("rep", lead.id, ConversionRequest(opportunity_name="Acme seats",
                                                              amount=Money("12000.00", "USD"),
                                                              close_date="2026-12-31"))]
    assert leads_db.run(use_cases.get_lead, team["mgr"], lead.id) == lead
    event = leads_db.events("lead_status_changed")[-1]
    assert (event.data["from"], event.data["to"], event.correlation_id) == ("qualified", "converted", "req-rep")
    assert event.data["lead"]["conversion"] == {"account_id": c.account_id, "contact_id": c.contact_id,
                                                "opportunity_id": c.opportunity_id,
                                                "converted_at": event.data["lead"]["conversion"]["converted_at"]}
    assert event.data["lead"]["conversion"]["converted_at"].endswith("Z")
    entries, _ = leads_db.run(use_cases.lead_history, team["rep"], lead.id)
    assert (entries[-1]["action"], entries[-1]["changes"]["status"]) == (
        "converted", {"from": "qualified", "to": "converted"})


def test_converting_again_answers_the_stored_ids_without_asking_sales(leads_db, team, qualified):
    sales = Sales()
    first = convert(leads_db, team["rep"], qualified.id, sales)
    events = leads_db.count("outbox")
    again = convert(leads_db, team["admin"], qualified.id, sales, ConversionRequest(account_id="another"),
                    expected_version=1)
    assert again.replayed and again.lead == first.lead
    assert len(sales.asked) == 1 and leads_db.count("outbox") == events


def test_concurrent_conversions_record_one_set_of_ids(leads_db, team, qualified):
    sales = Sales()
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: convert(leads_db, team["rep"], qualified.id, sales), range(6)))
    assert len({r.lead.conversion for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert len(leads_db.events("lead_status_changed")) == 2  # qualified, then converted once


def test_sales_down_or_refusing_leaves_the_lead_as_it_was(leads_db, team, qualified):
    before = (leads_db.count("outbox"), leads_db.count("lead_history"))
    with pytest.raises(ServiceUnavailable):
        convert(leads_db, team["rep"], qualified.id, Sales(ServiceUnavailable("sales", "connection refused")))
    refusal = Failure("not_found", "not_found", "no account acc-x")
    with pytest.raises(Failure) as failure:
        convert(leads_db, team["rep"], qualified.id, Sales(refusal), ConversionRequest(account_id="acc-x"))
    assert failure.value == refusal
    assert leads_db.run(use_cases.get_lead, team["rep"], qualified.id) == qualified
    assert (leads_db.count("outbox"), leads_db.count("lead_history")) == before
    # Sales is idempotent by lead: converting once it answers again repairs everything.
    assert convert(leads_db, team["rep"], qualified.id, Sales()).lead.status == "converted"


def test_who_may_convert_and_which_leads(leads_db, team, qualified):
    sales = Sales()
    for caller in (team["other"], team["agent"]):
        with pytest.raises(Failure) as failure:
            convert(leads_db, caller, qualified.id, sales)
        assert failure.value.kind == "not_found"
    with pytest.raises(Failure) as failure:
        convert(leads_db, team["rep"], qualified.id, sales, expected_version=1)
    assert (failure.value.kind, failure.value.details) == ("stale", {"current_version": qualified.version})
    unqualified = leads_db.run(use_cases.update_lead, team["rep"], qualified.id,
                               {"status": "unqualified", "status_reason": "no budget"})
    with pytest.raises(Failure) as failure:
        convert(leads_db, team["rep"], qualified.id, sales)
    assert (failure.value.kind, failure.value.code) == ("rule", "lead_unqualified")
    assert sales.asked == []
    assert leads_db.run(use_cases.get_lead, team["rep"], qualified.id) == unqualified
    # A new lead may be converted straight away, by the manager above its owner.
    fresh = leads_db.run(use_cases.create_lead, team["rep"], {**ADA, "email": "bob@other.example",
                                                               "first_name": "Bob"})
    assert convert(leads_db, team["mgr"], fresh.id, sales).lead.conversion.converted_by == "mgr"


def test_bad_input_names_every_field_and_changes_nothing(leads_db, team, qualified):
    sales = Sales()
    before = (leads_db.count("outbox"), leads_db.count("lead_history"))
    bad = ConversionRequest(account_id=" ", opportunity_name="x" * 201, amount=Money("12.345", "usd"),
                            close_date="31/12/2026")
    with pytest.raises(Failure) as failure:
        convert(leads_db, team["rep"], qualified.id, sales, bad)
    assert failure.value.kind == "invalid"
    assert set(failure.value.details["fields"]) == {"account_id", "opportunity_name", "amount.amount",
                                                    "amount.currency", "close_date"}
    with pytest.raises(Failure) as failure:
        convert(leads_db, team["rep"], qualified.id, sales, ConversionRequest(amount=Money("NaN", "USD")))
    assert set(failure.value.details["fields"]) == {"amount.amount"}
    assert convert(leads_db, team["rep"], qualified.id, sales, ConversionRequest(close_date="2026-12-31"),
                   validate_only=True) is None
    assert sales.asked == [] and (leads_db.count("outbox"), leads_db.count("lead_history")) == before


def test_a_referred_lead_brings_the_referrals_estimate_unless_an_amount_is_given(leads_db, team, referral_data):
    lead = leads_db.run(use_cases.receive_referral, referral_data(), "req-1")
    sales = Sales()
    convert(leads_db, team["admin"], lead.id, sales)
    assert sales.asked[-1][2].amount == Money("12000.00", "USD")
    other = leads_db.run(use_cases.receive_referral, referral_data("ref-2", email="dan@other.example",
                                                                   name="Dan Other"), "req-2")
    convert(leads_db, team["admin"], other.id, sales, ConversionRequest(amount=Money("9.99", "EUR")))
    assert sales.asked[-1][2].amount == Money("9.99", "EUR")


def test_list_by_account_and_email_domain(leads_db, team, qualified):
    other = leads_db.run(use_cases.create_lead, team["rep"], {**ADA, "first_name": "Bea", "email": "bea@acme.example.org"})
    converted = convert(leads_db, team["rep"], qualified.id, Sales()).lead

    def ids(**filters):
        found, _ = leads_db.run(use_cases.list_leads, team["rep"], **filters)
        return [lead.id for lead in found]

    assert ids(account_id=converted.conversion.account_id) == [qualified.id]
    assert ids(account_id="acc-none") == []
    assert ids(email_domain="ACME.example") == [qualified.id]
    assert ids(email_domain="@acme.example.org") == [other.id]
    assert ids(email_domain="example") == []
    assert leads_db.run(use_cases.list_leads, team["other"], email_domain="acme.example") == ([], None)

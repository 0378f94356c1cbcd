"""The leads rules in plain Python: validation, deduplication keys, scoring, assignment, access."""
import copy
from datetime import datetime, timezone

import pytest
from tandem_plumbing.failures import Caller, Failure

from tandem_leads.domain import access, assignment, dedupe, scoring
from tandem_leads.domain.assignment import Rep
from tandem_leads.domain.leads import (
    Lead,
    apply_changes,
    fill_missing,
    parse_changes,
    parse_new_lead,
    parse_referral,
    split_name,
)

NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)


def a_lead(**values) -> Lead:
    base = dict(id="l1", first_name="Ada", last_name="Lovelace", email="ada@example.com", company="Acme",
                title=None, phone=None, industry=None, country=None, employees=None, source="web", status="new",
                status_reason=None, score=0, score_factors=(), owner_id=None, description=None, created_by=None,
                created_at=NOW, updated_at=NOW, version=1)
    return Lead(**{**base, **values})


def fields_of(failure: Failure) -> dict:
    assert failure.kind == "invalid", failure
    return failure.details["fields"]


# -- validation ----------------------------------------------------------------------------
def test_a_new_lead_is_cleaned_and_gets_defaults():
    fields = parse_new_lead({"first_name": " Ada ", "last_name": "Lovelace", "email": " Ada@Example.com ",
                             "company": "Acme", "country": "de", "employees": 12, "title": ""})
    assert fields["first_name"] == "Ada" and fields["email"] == "Ada@Example.com" and fields["country"] == "DE"
    assert (fields["source"], fields["status"], fields["title"]) == ("other", "new", None)


def test_every_bad_field_is_named_at_once():
    with pytest.raises(Failure) as failure:
        parse_new_lead({"first_name": "Ada", "last_name": "", "email": "not-an-email", "source": "tv",
                        "status": "converted", "employees": -1, "country": "Germany", "phone": "call me",
                        "colour": "red"})
    fields = fields_of(failure.value)
    assert set(fields) == {"last_name", "email", "company", "source", "status", "employees", "country", "phone",
                           "colour"}
    assert fields["company"] == "is required" and fields["colour"] == "unknown field"
    assert "conversion" in fields["status"]


def test_employees_must_be_a_whole_number_not_a_boolean():
    with pytest.raises(Failure) as failure:
        parse_changes({"employees": True})
    assert "employees" in fields_of(failure.value)


def test_unqualified_needs_a_reason():
    with pytest.raises(Failure) as failure:
        parse_changes({"status": "unqualified"})
    assert "status_reason" in fields_of(failure.value)
    assert parse_changes({"status": "unqualified", "status_reason": "no budget"})["status"] == "unqualified"


def test_clearing_optional_fields_but_not_required_ones():
    assert parse_changes({}, ["title", "employees"]) == {"title": None, "employees": None}
    with pytest.raises(Failure) as failure:
        parse_changes({"phone": "+1 555"}, ["email", "owner_id", "phone", "nonsense"])
    assert fields_of(failure.value) == {"email": "cannot be cleared", "owner_id": "cannot be cleared",
                                        "phone": "is both set and cleared", "nonsense": "unknown field"}


def test_status_moves_follow_the_transitions():
    lead = a_lead(status="unqualified", status_reason="no budget")
    assert apply_changes(lead, {"status": "working"}) == {"status": ("unqualified", "working"),
                                                          "status_reason": ("no budget", None)}
    with pytest.raises(Failure) as failure:
        apply_changes(lead, {"status": "qualified"})
    assert (failure.value.kind, failure.value.code) == ("rule", "invalid_status_transition")
    assert failure.value.details["allowed"] == ["nurturing", "working"]
    with pytest.raises(Failure) as failure:
        apply_changes(a_lead(status="converted"), {"title": "CEO"})
    assert failure.value.code == "lead_converted"
    assert apply_changes(a_lead(), {"first_name": "Ada", "title": "CTO"}) == {"title": (None, "CTO")}


# -- deduplication -------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    ("Acme Inc.", "ACME"),
    ("Acme, Ltd", "acme"),
    ("Müller GmbH", "müller"),
    ("Acme Co., Ltd.", "Acme LLC"),
    ("  Big   Blue  Corp ", "big blue"),
])
def test_company_suffixes_case_and_spacing_do_not_matter(a, b):
    assert dedupe.company_key(a) == dedupe.company_key(b)


def test_keys():
    assert dedupe.email_key("  Ada@Example.COM ") == "ada@example.com"
    assert dedupe.email_key("  ") is None
    assert dedupe.name_key(" Ada ", "LOVELACE", "Acme Inc") == dedupe.name_key("ada", "lovelace", "acme")
    assert dedupe.name_key("Ada", "Lovelace", "") is None
    assert dedupe.company_key("Company") == "company"  # a suffix alone is a name


# -- referrals -----------------------------------------------------------------------------
def test_split_name():
    assert split_name("Mary Ann  Smith") == ("Mary Ann", "Smith")
    assert split_name("Cher") == ("", "Cher")
    assert split_name("  ") == ("", "")


def test_a_referral_gives_a_lead_with_its_context():
    data = {"referral": {"id": "r1", "case_id": "c1", "case_number": 7, "kind": "upsell", "agent_id": "a1",
                         "product_interest": "more seats", "notes": "growing fast",
                         "estimated_value": {"amount": "100.00", "currency": "EUR"}},
            "case": {"id": "c1", "number": 7, "subject": "Seat limit"},
            "contact": {"name": "Carla Customer", "email": "carla@acme.example", "company": None}}
    referral, fields = parse_referral(data)
    assert referral.ref() == {"referral_id": "r1", "case_id": "c1", "case_number": 7, "agent_id": "a1",
                              "kind": "upsell", "product_interest": "more seats"}
    assert referral.estimated_value.amount == "100.00" and referral.case_subject == "Seat limit"
    assert (fields["first_name"], fields["last_name"], fields["company"]) == ("Carla", "Customer", "acme.example")
    assert fields["source"] == "service_referral"
    assert fields["description"] == "upsell referral from case 7 (Seat limit): more seats\ngrowing fast"


def test_an_incomplete_referral_is_refused_naming_what_is_missing():
    with pytest.raises(Failure) as failure:
        parse_referral({"referral": {"id": "r1", "case_id": "", "agent_id": "a1"}})
    assert set(fields_of(failure.value)) == {"referral.case_id", "referral.product_interest"}


def test_a_merge_only_fills_what_is_missing():
    lead = a_lead(phone=None, title="CTO", company="Acme")
    assert fill_missing(lead, {"phone": "+1 555", "title": "Intern", "company": "Other", "email": None}) == {
        "phone": "+1 555"}


# -- scoring -------------------------------------------------------------------------------
W = scoring.DEFAULT_WEIGHTS


def test_factors_explain_and_sum_to_the_score():
    points, factors = scoring.score({"title": "VP of Sales", "employees": 250, "industry": "Software",
                                     "country": "DE", "source": "web", "phone": "+1", "description": None}, 0, W)
    by_factor = {f.factor: f for f in factors}
    assert by_factor["title_seniority"].points == 15 and "vp" in by_factor["title_seniority"].reason
    assert by_factor["company_size"].points == 15 and by_factor["industry"].points == 10
    assert by_factor["country"].points == 5 and by_factor["source"].points == 5 and by_factor["phone"].points == 3
    assert points == sum(f.points for f in factors) == 53


def test_a_service_referral_counts_for_a_lot():
    plain, _ = scoring.score({"source": "web"}, 0, W)
    referred, factors = scoring.score({"source": "service_referral"}, 1, W)
    assert referred - plain >= 30
    assert "trusts us" in next(f.reason for f in factors if f.factor == "source")


def test_referrals_count_up_to_the_maximum():
    _, factors = scoring.score({"source": "other"}, 5, W)
    assert [(f.factor, f.points) for f in factors] == [("referrals", 20)]


def test_scores_are_clamped_and_still_add_up():
    weights = copy.deepcopy(W)
    weights["source"]["web"] = 100
    weights["country"]["DE"] = 90
    points, factors = scoring.score({"source": "web", "country": "DE"}, 0, weights)
    assert points == 100 and factors[-1].factor == "clamp" and sum(f.points for f in factors) == 100
    weights["source"]["web"] = -100
    points, factors = scoring.score({"source": "web"}, 0, weights)
    assert points == 0 and sum(f.points for f in factors) == 0


def test_title_keywords_match_whole_words_only():
    assert scoring._title_tier("Leader of things", W["title_seniority"]) is None
    assert scoring._title_tier("Team Lead", W["title_seniority"])[0]["level"] == "manager"
    assert scoring._title_tier("Chief Executive", W["title_seniority"])[0]["level"] == "executive"


def test_the_default_weights_are_valid_and_bad_ones_are_named():
    assert scoring.validate_weights(copy.deepcopy(W)) == W
    bad = copy.deepcopy(W)
    bad["source"]["tv"] = 5
    bad["company_size"][0]["points"] = 500
    bad["country"]["de"] = 1
    bad["engagement"].pop("phone")
    del bad["industry"]
    bad["extra"] = {}
    with pytest.raises(Failure) as failure:
        scoring.validate_weights(bad)
    assert set(fields_of(failure.value)) == {"source.tv", "company_size[0].points", "country.de",
                                             "engagement.phone", "industry", "document.extra"}


# -- assignment ----------------------------------------------------------------------------
def rules(*rule_list, default=None, capacity=None):
    document = {"rules": list(rule_list), "default": default}
    if capacity is not None:
        document["capacity"] = capacity
    return assignment.validate_rules(document)


def test_rules_validation_names_each_problem():
    with pytest.raises(Failure) as failure:
        assignment.validate_rules({
            "rules": [
                {"name": "a", "criteria": {"country": "DE", "employees_min": 10, "employees_max": 5, "colour": []},
                 "assign_to": {"queue": [], "strategy": "random"}},
                {"name": "a", "assign_to": {"user_id": "u1", "queue": ["u2"]}},
            ],
            "default": {"role": "service_agent", "strategy": "round_robin"},
            "capacity": {"default": -1, "per_user": {"u1": "x"}},
            "other": 1,
        })
    assert set(fields_of(failure.value)) == {
        "rules[0].criteria.country", "rules[0].criteria.employees_max", "rules[0].criteria.colour",
        "rules[0].assign_to.queue", "rules[0].assign_to.strategy", "rules[1].name", "rules[1].assign_to",
        "default.role", "capacity.default", "capacity.per_user.u1", "other",
    }


def test_a_document_with_only_rules_gets_no_default_and_no_limits():
    document = rules({"name": "all", "criteria": {}, "assign_to": {"user_id": "u1"}})
    assert document["default"] is None and document["capacity"] == {"default": None, "per_user": {}}


def test_named_users_must_be_able_to_own_leads():
    document = rules({"name": "q", "assign_to": {"queue": ["u1", "agent", "ghost"], "strategy": "round_robin"}})
    directory = {"u1": Rep("u1", "sales_rep", False), "agent": Rep("agent", "service_agent", True)}
    with pytest.raises(Failure) as failure:
        assignment.check_named_users(document, directory)
    assert fields_of(failure.value) == {"rules[0].assign_to.queue[1]": "a service_agent cannot own leads",
                                        "rules[0].assign_to.queue[2]": "no such user"}


def test_the_first_matching_rule_wins_then_the_default():
    document = rules(
        {"name": "dach big", "criteria": {"country": ["de", "AT"], "employees_min": 1000},
         "assign_to": {"user_id": "big"}},
        {"name": "software", "criteria": {"industry": ["Software"], "score_min": 20}, "assign_to": {"user_id": "sw"}},
        {"name": "dach", "criteria": {"country": ["DE"]}, "assign_to": {"user_id": "dach"}},
        default={"user_id": "triage"},
    )

    def first(**lead):
        return [why for _key, why, _target in assignment.targets(document, {"score": 0, **lead})]

    assert first(country="DE", employees=5000, industry="Software", score=50) == ["rule dach big", "the default"]
    assert first(country="DE", employees=None, industry="software", score=50) == ["rule software", "the default"]
    assert first(country="DE", industry="software", score=10) == ["rule dach", "the default"]
    assert first(country="FR") == ["the default"]


def test_round_robin_continues_after_the_last_one_and_skips_the_ineligible():
    target = {"queue": ["a", "b", "c"], "strategy": "round_robin"}
    assert assignment.choose(target, ["a", "b", "c"], ["a", "b", "c"], {}, None) == "a"
    assert assignment.choose(target, ["a", "b", "c"], ["a", "b", "c"], {}, "a") == "b"
    assert assignment.choose(target, ["a", "b", "c"], ["a", "c"], {}, "a") == "c"
    assert assignment.choose(target, ["a", "b", "c"], ["a", "b"], {}, "c") == "a"
    assert assignment.choose(target, ["a", "b", "c"], [], {}, "c") is None


def test_least_loaded_takes_the_fewest_open_leads_ties_by_queue_order():
    target = {"queue": ["a", "b", "c"], "strategy": "least_loaded"}
    assert assignment.choose(target, ["a", "b", "c"], ["a", "b", "c"], {"a": 3, "b": 1, "c": 1}, None) == "b"
    assert assignment.choose(target, ["a", "b", "c"], ["a", "c"], {"a": 3, "b": 0, "c": 4}, None) == "a"


def test_eligible_means_active_sales_user_below_capacity():
    document = rules({"name": "q", "assign_to": {"queue": ["a", "b", "c", "d"], "strategy": "round_robin"}},
                     capacity={"default": 2, "per_user": {"b": 5}})
    directory = {"a": Rep("a", "sales_rep", True), "b": Rep("b", "sales_rep", True),
                 "c": Rep("c", "sales_rep", False), "d": Rep("d", "service_agent", True)}
    assert assignment.eligible(["a", "b", "c", "d", "e"], directory, {"a": 2, "b": 2}, document) == ["b"]


def test_a_role_target_is_every_active_user_of_that_role():
    directory = {"z": Rep("z", "sales_rep", True), "a": Rep("a", "sales_rep", True),
                 "m": Rep("m", "sales_manager", True), "x": Rep("x", "sales_rep", False)}
    assert assignment.candidates({"role": "sales_rep", "strategy": "round_robin"}, directory) == ["a", "z"]


# -- access --------------------------------------------------------------------------------
MANAGERS = {"vp": None, "mgr": "vp", "rep1": "mgr", "rep2": "mgr", "other": None, "loop1": "loop2", "loop2": "loop1"}


def test_who_may_give_a_lead_to_whom():
    manager = Caller("mgr", "sales_manager")
    access.check_may_give(manager, access.visible_owners(manager, MANAGERS), "rep1")
    with pytest.raises(Failure):
        access.check_may_give(manager, access.visible_owners(manager, MANAGERS), "other")
    rep = Caller("rep1", "sales_rep")
    with pytest.raises(Failure):
        access.check_may_give(rep, {"rep1"}, "rep2")
    with pytest.raises(Failure):
        access.check_may_reassign(rep)
    with pytest.raises(Failure):
        access.check_may_create(Caller("agent", "service_agent"))

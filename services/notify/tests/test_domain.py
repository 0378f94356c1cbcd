"""The notify rules in plain Python: preferences, settings, who gets what, what it says, retries."""
import pytest

from tandem_notify import domain
from tandem_notify.domain import EMAIL, HOT_LEAD, IN_APP, LEAD_ASSIGNED, REFERRAL_UPDATE


def lead(**changes):
    base = {"id": "L1", "version": 2, "first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.example",
            "company": "Navy Labs", "score": 85, "owner_id": "rep-1", "referrals": []}
    return {**base, **changes}


def ref(**changes):
    base = {"referral_id": "R1", "case_id": "C1", "case_number": 1042, "agent_id": "agent-1", "kind": "upsell",
            "product_interest": "50 more seats"}
    return {**base, **changes}


# -- preferences --------------------------------------------------------------------------------
def test_defaults_put_everything_in_the_inbox_and_email_only_what_asks_for_action():
    assert domain.effective_preferences({}) == {
        IN_APP: {LEAD_ASSIGNED: True, HOT_LEAD: True, REFERRAL_UPDATE: True},
        EMAIL: {LEAD_ASSIGNED: True, HOT_LEAD: True, REFERRAL_UPDATE: False},
    }


def test_a_choice_overrides_its_default_only():
    effective = domain.effective_preferences(domain.parse_preferences({"email": {"hot_lead": False}}))
    assert effective[EMAIL] == {LEAD_ASSIGNED: True, HOT_LEAD: False, REFERRAL_UPDATE: False}
    assert all(effective[IN_APP].values())


def test_bad_preferences_name_each_field():
    with pytest.raises(domain.Invalid) as failed:
        domain.parse_preferences({"sms": {}, "email": {"hot_leads": True, "lead_assigned": "yes"}, "in_app": [],
                                  "version": 3})
    assert failed.value.fields == {
        "sms": "unknown channel: one of in_app, email",
        "email.hot_leads": "unknown kind: one of lead_assigned, hot_lead, referral_update",
        "email.lead_assigned": "must be true or false",
        "in_app": "must be an object of kind: true|false",
        "version": "is read-only: send the ETag you read in If-Match instead",
    }


@pytest.mark.parametrize("document", [[], "x", None])
def test_preferences_must_be_an_object(document):
    with pytest.raises(domain.Invalid) as failed:
        domain.parse_preferences(document)
    assert failed.value.fields == {"body": "must be a JSON object"}


# -- settings ---------------------------------------------------------------------------------
@pytest.mark.parametrize("threshold", [0, 80, 100])
def test_a_threshold_from_0_to_100(threshold):
    assert domain.parse_settings({"hot_lead_threshold": threshold}) == threshold


@pytest.mark.parametrize("threshold", [-1, 101, 150, 80.5, "80", True, None])
def test_a_threshold_outside_0_to_100_or_not_an_integer_is_refused(threshold):
    with pytest.raises(domain.Invalid) as failed:
        domain.parse_settings({"hot_lead_threshold": threshold})
    assert failed.value.fields == {"hot_lead_threshold": "must be an integer from 0 to 100"}


def test_only_admins_change_settings():
    domain.check_may_change_settings("admin")
    for role in ("sales_manager", "sales_rep", "service_agent"):
        with pytest.raises(domain.Forbidden):
            domain.check_may_change_settings(role)


def test_settings_name_unknown_and_missing_fields():
    with pytest.raises(domain.Invalid) as failed:
        domain.parse_settings({"hot_lead_treshold": 90})
    assert failed.value.fields == {"hot_lead_treshold": "unknown field", "hot_lead_threshold": "is required"}


def test_hot_means_at_or_above_the_threshold():
    assert domain.is_hot(lead(score=80), 80)
    assert not domain.is_hot(lead(score=79), 80)
    assert not domain.is_hot(lead(score=None), 0)


def test_a_stale_expected_version_is_refused():
    domain.check_version(3, None)
    domain.check_version(3, 3)
    with pytest.raises(domain.Stale) as stale:
        domain.check_version(3, 2)
    assert stale.value.current_version == 3


# -- delivery -------------------------------------------------------------------------------------
ADA = domain.Recipient("u1", "ada@example.com", "Ada", True, None)


def test_delivery_follows_preferences_and_needs_smtp_for_email():
    assert domain.plan_delivery(HOT_LEAD, ADA, {}, True) == domain.Delivery(True, "ada@example.com")
    assert domain.plan_delivery(HOT_LEAD, ADA, {}, False) == domain.Delivery(True, None)
    assert domain.plan_delivery(REFERRAL_UPDATE, ADA, {}, True) == domain.Delivery(True, None)
    off = {IN_APP: {HOT_LEAD: False}, EMAIL: {HOT_LEAD: False}}
    assert domain.plan_delivery(HOT_LEAD, ADA, off, True) == domain.Delivery(False, None)


def test_a_deactivated_user_gets_nothing_and_an_unknown_one_no_email():
    gone = domain.Recipient("u1", "ada@example.com", "Ada", False, None)
    assert domain.plan_delivery(LEAD_ASSIGNED, gone, {}, True) == domain.Delivery(False, None)
    assert domain.plan_delivery(LEAD_ASSIGNED, None, {}, True) == domain.Delivery(True, None)


# -- messages ----------------------------------------------------------------------------------
def test_a_referred_lead_names_agent_company_and_product_interest():
    message = domain.lead_assigned_message(lead(referrals=[ref()]), {"agent-1": "Ada Agent"})
    assert message.kind == LEAD_ASSIGNED
    assert message.title == "Referred lead for you: Navy Labs wants 50 more seats"
    assert message.body == ("Ada Agent referred Grace Hopper at Navy Labs (upsell: 50 more seats) "
                            "from support case #1042. The lead is yours to work.")
    assert message.data == {"lead_id": "L1", "referral_id": "R1", "case_id": "C1", "agent_id": "agent-1"}


def test_a_lead_with_several_referrals_names_the_latest():
    older = ref(referral_id="R0", agent_id="agent-0", product_interest="a bigger plan")
    message = domain.lead_assigned_message(lead(referrals=[older, ref(kind="cross_sell")]), {"agent-1": "Ada Agent"})
    assert "Ada Agent referred" in message.body and "cross-sell: 50 more seats" in message.body
    assert message.body.endswith("It carries 2 referrals.")
    assert message.data["referral_id"] == "R1"


def test_an_unknown_agent_is_still_a_service_agent():
    message = domain.lead_assigned_message(lead(referrals=[ref()]), {})
    assert message.body.startswith("A service agent referred Grace Hopper")


def test_a_plain_lead_is_assigned_to_you():
    message = domain.lead_assigned_message(lead(), {})
    assert (message.title, message.data) == ("Lead assigned to you: Grace Hopper, Navy Labs", {"lead_id": "L1"})


def test_hot_lead_messages_for_owner_and_manager():
    owner = domain.hot_lead_for_owner(lead(), 80)
    manager = domain.hot_lead_for_manager(lead(), 80, "Rex Rep")
    assert owner.kind == manager.kind == HOT_LEAD
    assert owner.title == "Hot lead: Grace Hopper, Navy Labs scores 85"
    assert manager.title == "Hot lead on your team: Grace Hopper, Navy Labs scores 85"
    assert "Rex Rep owns it" in manager.body
    assert owner.data == manager.data == {"lead_id": "L1", "owner_id": "rep-1"}


def referral(status, **changes):
    base = {"id": "R1", "case_id": "C1", "case_number": 1042, "agent_id": "agent-1", "kind": "upsell",
            "product_interest": "50 more seats", "status": status, "lead_id": "L1", "assignee_id": "rep-1",
            "reason": None, "company": "Navy Labs"}
    return {**base, **changes}


@pytest.mark.parametrize("status, words", [
    ("assigned", "was assigned to Rex Rep"),
    ("converted", "was converted: sales is working it as an opportunity"),
    ("won", "was won"),
    ("lost", "was lost"),
    ("rejected", "was rejected: already a customer of that product"),
])
def test_the_agent_is_told_what_became_of_the_referral(status, words):
    message = domain.referral_update_message(referral(status, reason="already a customer of that product"), "Rex Rep")
    assert message.kind == REFERRAL_UPDATE
    assert message.title == f"Your referral for Navy Labs {words}"
    assert message.body == f"Your upsell referral (50 more seats) from support case #1042 {words}."
    assert message.data == {"referral_id": "R1", "case_id": "C1", "lead_id": "L1", "assignee_id": "rep-1"}


@pytest.mark.parametrize("status", ["won", "lost"])
def test_a_closed_referral_names_the_deals_amount(status):
    message = domain.referral_update_message(
        referral(status, outcome_amount={"amount": "12000.00", "currency": "USD"}), None)
    assert message.title == f"Your referral for Navy Labs was {status}: 12,000.00 USD"
    assert message.body == f"Your upsell referral (50 more seats) from support case #1042 was {status}: 12,000.00 USD."


def test_money_words_are_exact_or_nothing():
    assert domain.money_words({"amount": "1234567.5", "currency": "EUR"}) == "1,234,567.50 EUR"
    for bad in (None, {"amount": "lots", "currency": "USD"}, {"amount": "NaN", "currency": "USD"}, {"amount": "1"}):
        assert domain.money_words(bad) is None


@pytest.mark.parametrize("status", ["submitted", "lead_created", "something_new"])
def test_early_or_unknown_statuses_are_not_news(status):
    assert domain.referral_update_message(referral(status), None) is None


def test_a_rejection_without_reason_says_so():
    message = domain.referral_update_message(referral("rejected", assignee_id=None, lead_id=None), None)
    assert message.title.endswith("was rejected: no reason given")
    assert message.data == {"referral_id": "R1", "case_id": "C1"}


# -- retries -------------------------------------------------------------------------------------
def test_retries_back_off_and_are_bounded():
    policy = domain.RetryPolicy(max_attempts=4, first_delay_s=10, max_delay_s=30)
    assert [policy.delay_after(n) for n in (1, 2, 3, 4)] == [10, 20, 30, 30]
    assert policy.status_after_failure(3, permanent=False) == domain.PENDING
    assert policy.status_after_failure(4, permanent=False) == domain.FAILED
    assert policy.status_after_failure(1, permanent=True) == domain.FAILED

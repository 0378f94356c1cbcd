"""Forecasts, adjustments, quotas, the deals behind a number and the settings, on
PostgreSQL and SQLite with a real read model (opportunities fed as their events are)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from tandem_plumbing.failures import Failure

from tandem_forecast.use_cases import adjustments, forecasts, quotas, settings

Q4 = "2026-Q4"  # Oct-Dec 2026 with the default fiscal year


@pytest.fixture
def db(forecast_db):
    return forecast_db


@pytest.fixture
def deals(db, team):
    """rep1: closed 100, commit 50, best case 20, pipeline 7, omitted 1000; rep2: commit 30
    and an EUR best case 10; manager: closed 5; rep3 (outside): commit 999; and deals of
    other periods that never count in Q4."""
    for owner, category, amount, currency in [
        ("rep1", "closed", "100.00", "USD"), ("rep1", "commit", "50.00", "USD"),
        ("rep1", "best_case", "20.00", "USD"), ("rep1", "pipeline", "7.00", "USD"),
        ("rep1", "omitted", "1000.00", "USD"), ("rep2", "commit", "30.00", "USD"),
        ("rep2", "best_case", "10.00", "EUR"), ("manager", "closed", "5.00", "USD"),
        ("rep3", "commit", "999.00", "USD"),
    ]:
        db.opportunity(owner_id=owner, forecast_category=category, amount=amount, currency=currency,
                       close_date="2026-11-15")
    db.opportunity(owner_id="rep1", forecast_category="commit", amount="5000.00", close_date="2026-09-30")
    db.opportunity(owner_id="rep1", forecast_category="commit", amount="5000.00", close_date="2027-01-01")
    db.opportunity(owner_id="rep1", forecast_category="commit", amount="5000.00", close_date=None)
    db.opportunity(owner_id="rep1", forecast_category="commit", amount=None, close_date="2026-12-31")
    db.run(settings.put_settings, team["admin"], {"currency": "USD", "rates": {"EUR": "1.10"}})
    return team


def numbers(closed, commit, best_case, open_pipeline):
    return {"closed": closed, "commit": commit, "best_case": best_case, "open_pipeline": open_pipeline}


def minor(*args):
    return numbers(*(round(Decimal(a) * 100) for a in args))


def test_a_manager_sees_their_team_rolled_up_with_each_direct_report(db, deals):
    view = db.run(forecasts.get_forecast, deals["manager"], Q4)
    top = view.tree
    assert top.user_id == "manager" and view.settings.currency == "USD"
    assert (view.period.first_day.isoformat(), view.period.last_day.isoformat()) == ("2026-10-01", "2026-12-31")
    rep1, rep2 = top.children
    assert (rep1.user_id, rep2.user_id) == ("rep1", "rep2")
    assert rep1.unadjusted == rep1.adjusted == minor("100", "150", "170", "77")
    assert rep2.unadjusted == minor("0", "30", "41", "41")  # 10 EUR at 1.10
    assert top.unadjusted == top.adjusted == minor("105", "185", "216", "118")
    assert top.unconverted == {}


def test_a_currency_without_a_rate_is_left_out_and_listed(db, deals):
    db.run(settings.put_settings, deals["admin"], {"currency": "USD", "rates": {}})
    top = db.run(forecasts.get_forecast, deals["manager"], Q4).tree
    assert top.unadjusted == minor("105", "185", "205", "107")
    assert top.unconverted == {"EUR": (1, 1000)}
    assert top.children[1].unconverted == {"EUR": (1, 1000)} and top.children[0].unconverted == {}


def test_who_sees_which_forecast(db, deals):
    assert db.run(forecasts.get_forecast, deals["rep1"], Q4).tree.children == []
    assert db.run(forecasts.get_forecast, deals["manager"], Q4, "rep2").tree.user_id == "rep2"
    assert db.run(forecasts.get_forecast, deals["admin"], Q4, "rep3").tree.unadjusted["commit"] == 99900
    for caller, user_id in [("rep1", "rep2"), ("rep1", "manager"), ("manager", "rep3"), ("manager", "admin"),
                            ("admin", "nobody")]:
        with pytest.raises(Failure) as refused:
            db.run(forecasts.get_forecast, deals[caller], Q4, user_id)
        assert refused.value.kind == "not_found", (caller, user_id)
    with pytest.raises(Failure) as refused:
        db.run(forecasts.get_forecast, deals["agent"], Q4)
    assert refused.value.kind == "forbidden"


def test_an_admin_sees_everyone_below_the_top(db, deals):
    db.user("vp", "sales_manager")
    db.user("manager", "sales_manager", manager_id="vp")
    top = db.run(forecasts.get_forecast, deals["admin"], Q4, "vp").tree
    assert top.unadjusted == minor("105", "185", "216", "118") and [c.user_id for c in top.children] == ["manager"]


def test_a_bad_period_is_named(db, deals):
    for bad in ("2026-Q5", "Q4", ""):
        with pytest.raises(Failure) as refused:
            db.run(forecasts.get_forecast, deals["manager"], bad)
        assert refused.value.kind == "invalid" and "period" in refused.value.details["fields"]


def test_a_rep_moved_to_another_manager_takes_their_numbers_along(db, deals):
    db.user("other", "sales_manager")
    db.run(adjustments.adjust_forecast, deals["manager"], user_id="rep1", period=Q4, category="commit",
           amount="400.00", reason="big renewal")
    db.user("rep1", "sales_rep", manager_id="other")  # the directory event of the move
    manager = db.run(forecasts.get_forecast, deals["manager"], Q4).tree
    other = db.run(forecasts.get_forecast, deals["admin"], Q4, "other").tree
    assert [c.user_id for c in manager.children] == ["rep2"]
    assert manager.unadjusted == manager.adjusted == minor("5", "35", "46", "41")
    assert other.unadjusted == minor("100", "150", "170", "77")
    assert other.adjusted["commit"] == 40000  # the adjustment went along
    with pytest.raises(Failure):  # and the old manager no longer sees rep1
        db.run(forecasts.get_forecast, deals["manager"], Q4, "rep1")


def test_deactivated_users_still_count_where_they_sit(db, deals):
    db.user("rep2", "sales_rep", manager_id="manager", active=False)
    view = db.run(forecasts.get_forecast, deals["manager"], Q4)
    assert view.tree.unadjusted["commit"] == 18500
    assert view.directory["rep2"]["active"] is False


# -- adjustments -----------------------------------------------------------------------------
def test_an_adjustment_on_a_report_rolls_up_and_both_figures_stay_visible(db, deals):
    made = db.run(adjustments.adjust_forecast, deals["manager"], user_id="rep1", period="2026-q4", category="commit",
                  amount="400.00", reason="big renewal")
    assert (made["amount_minor"], made["previous_minor"], made["author_id"], made["period"]) == (
        40000, 15000, "manager", Q4)
    view = db.run(forecasts.get_forecast, deals["manager"], Q4)
    rep1 = view.tree.children[0]
    assert (rep1.adjusted["commit"], rep1.unadjusted["commit"]) == (40000, 15000)
    assert (view.tree.adjusted["commit"], view.tree.unadjusted["commit"]) == (40000 + 3000 + 500, 18500)
    assert view.adjustments["rep1"]["commit"]["reason"] == "big renewal"
    # the rep sees the adjustment on their own number
    assert db.run(forecasts.get_forecast, deals["rep1"], Q4).tree.adjusted["commit"] == 40000


def test_a_manager_adjusts_their_own_number_over_what_is_below(db, deals):
    db.run(adjustments.adjust_forecast, deals["manager"], user_id="rep1", period=Q4, category="best_case",
           amount="1.00", reason="r")
    db.run(adjustments.adjust_forecast, deals["manager"], user_id="manager", period=Q4, category="best_case",
           amount="300.00", reason="gut feeling")
    top = db.run(forecasts.get_forecast, deals["admin"], Q4, "manager").tree
    assert top.adjusted["best_case"] == 30000 and top.children[0].adjusted["best_case"] == 100


def test_adjustment_history_and_removal(db, deals):
    manager = deals["manager"]
    for amount, why in [("400.00", "first"), ("450.00", "second")]:
        db.run(adjustments.adjust_forecast, manager, user_id="rep1", period=Q4, category="commit", amount=amount,
               reason=why)
    removed = db.run(adjustments.adjust_forecast, deals["admin"], user_id="rep1", period=Q4, category="commit",
                     amount=None, reason="deal slipped")
    assert (removed["amount_minor"], removed["previous_minor"]) == (None, 45000)
    assert db.run(forecasts.get_forecast, manager, Q4).tree.children[0].adjusted["commit"] == 15000
    history = db.run(adjustments.adjustment_history, deals["rep1"], "rep1", Q4)
    assert [(h["reason"], h["amount_minor"], h["previous_minor"], h["author_id"]) for h in history] == [
        ("deal slipped", None, 45000, "admin"), ("second", 45000, 40000, "manager"),
        ("first", 40000, 15000, "manager")]
    assert db.run(adjustments.adjustment_history, manager, "rep1", Q4, "closed") == []
    with pytest.raises(Failure) as refused:
        db.run(adjustments.adjust_forecast, manager, user_id="rep1", period=Q4, category="commit", amount=None,
               reason="again")
    assert (refused.value.kind, refused.value.code) == ("rule", "not_adjusted")


def test_only_managers_adjust_and_only_within_their_subtree(db, deals):
    ask = dict(period=Q4, category="commit", amount="1.00", reason="r")
    for caller, user_id, kind in [("rep1", "rep1", "forbidden"), ("agent", "rep1", "forbidden"),
                                  ("manager", "rep3", "not_found"), ("manager", "nobody", "not_found")]:
        with pytest.raises(Failure) as refused:
            db.run(adjustments.adjust_forecast, deals[caller], user_id=user_id, **ask)
        assert refused.value.kind == kind, (caller, user_id)
    assert db.run(adjustments.adjust_forecast, deals["admin"], user_id="rep3", **ask)["amount_minor"] == 100
    with pytest.raises(Failure) as refused:
        db.run(adjustments.adjustment_history, deals["rep2"], "rep1", Q4)
    assert refused.value.kind == "not_found"


@pytest.mark.parametrize("amount", [12.5, 12, "-1.00", "1.234", "ten", True])
def test_a_bad_adjustment_names_every_field_and_writes_nothing(db, deals, amount):
    with pytest.raises(Failure) as refused:
        db.run(adjustments.adjust_forecast, deals["manager"], user_id="", period="2026-Q9", category="won",
               amount=amount, reason=" ")
    assert refused.value.kind == "invalid"
    assert set(refused.value.details["fields"]) == {"user_id", "period", "category", "amount", "reason"}
    assert db.count("adjustments") == 0


# -- quotas ----------------------------------------------------------------------------------
def test_quotas_give_attainment_and_carry_a_version(db, deals):
    first = db.run(quotas.set_quota, deals["manager"], user_id="rep1", period=Q4, amount="400.00")
    assert (first["amount_minor"], first["version"], first["updated_by"]) == (40000, 1, "manager")
    db.run(quotas.set_quota, deals["admin"], user_id="manager", period=Q4, amount="0.00")
    view = db.run(forecasts.get_forecast, deals["manager"], Q4)
    assert view.quotas == {"rep1": 40000, "manager": 0}
    second = db.run(quotas.set_quota, deals["admin"], user_id="rep1", period=Q4, amount="200.00", expected_version=1)
    assert second["version"] == 2
    with pytest.raises(Failure) as refused:
        db.run(quotas.set_quota, deals["manager"], user_id="rep1", period=Q4, amount="1.00", expected_version=1)
    assert (refused.value.kind, refused.value.details) == ("stale", {"current_version": 2})
    listed = db.run(quotas.list_quotas, deals["manager"], period=Q4)
    assert [(q["user_id"], q["amount_minor"]) for q in listed] == [("manager", 0), ("rep1", 20000)]
    assert db.run(quotas.list_quotas, deals["rep2"]) == []
    assert [q["user_id"] for q in db.run(quotas.list_quotas, deals["admin"], user_id="rep1")] == ["rep1"]


def test_who_sets_quotas(db, deals):
    ask = dict(period=Q4, amount="1.00")
    for caller, user_id, kind in [("rep1", "rep1", "forbidden"), ("agent", "rep1", "forbidden"),
                                  ("manager", "manager", "forbidden"), ("manager", "rep3", "not_found")]:
        with pytest.raises(Failure) as refused:
            db.run(quotas.set_quota, deals[caller], user_id=user_id, **ask)
        assert refused.value.kind == kind, (caller, user_id)
    assert db.count("quotas") == 0


def test_a_bad_quota_names_every_field_and_writes_nothing(db, deals):
    with pytest.raises(Failure) as refused:
        db.run(quotas.set_quota, deals["admin"], user_id=None, period="2026-13", amount=100.5)
    assert set(refused.value.details["fields"]) == {"user_id", "period", "amount"}
    assert db.count("quotas") == 0


# -- the deals behind a number ---------------------------------------------------------------
def test_the_deals_behind_a_number_are_cumulative_and_paged(db, deals):
    found, listed, token = db.run(forecasts.forecast_opportunities, deals["manager"], Q4, category="commit")
    assert token is None and found.currency == "USD"
    assert sorted((d["owner_id"], d["forecast_category"]) for d in listed) == [
        ("manager", "closed"), ("rep1", "closed"), ("rep1", "commit"), ("rep1", "commit"), ("rep2", "commit")]
    eur = db.run(forecasts.forecast_opportunities, deals["manager"], Q4, user_id="rep2", category="best_case")[1]
    assert [(d["amount_minor"], d["currency"], d["forecast_minor"]) for d in eur] == [
        (3000, "USD", 3000), (1000, "EUR", 1100)]
    pages, token = [], ""
    while True:
        _found, page, token = db.run(forecasts.forecast_opportunities, deals["manager"], Q4, page_size=2,
                                     page_token=token or "")
        pages.append(page)
        if token is None:
            break
    every = [d["id"] for page in pages for d in page]
    assert len(every) == len(set(every)) == 8 and all(len(page) <= 2 for page in pages)  # omitted never listed
    assert [d["close_date"] for page in pages for d in page] == sorted(d["close_date"] for page in pages for d in page)


def test_the_deals_behind_a_number_follow_access_and_check_input(db, deals):
    with pytest.raises(Failure) as refused:
        db.run(forecasts.forecast_opportunities, deals["manager"], Q4, user_id="rep3")
    assert refused.value.kind == "not_found"
    with pytest.raises(Failure) as refused:
        db.run(forecasts.forecast_opportunities, deals["agent"], Q4)
    assert refused.value.kind == "forbidden"
    with pytest.raises(Failure) as refused:
        db.run(forecasts.forecast_opportunities, deals["rep1"], "nope", category="won", page_token="garbage!")
    assert set(refused.value.details["fields"]) == {"period", "category", "page_token"}


# -- settings --------------------------------------------------------------------------------
def test_settings_default_then_admins_replace_them(db, team):
    found = db.run(settings.get_settings, team["rep1"])
    assert (found.document(), found.version) == ({"fiscal_year_start_month": 1, "currency": "USD", "rates": {}}, 0)
    saved = db.run(settings.put_settings, team["admin"], {"fiscal_year_start_month": 2, "currency": "EUR",
                                                           "rates": {"USD": "0.92"}}, expected_version=0)
    assert (saved.version, saved.updated_by, saved.document()["rates"]) == (1, "admin", {"USD": "0.92"})
    with pytest.raises(Failure) as refused:
        db.run(settings.put_settings, team["admin"], {}, expected_version=0)
    assert refused.value.kind == "stale"
    for caller in ("manager", "rep1", "agent"):
        with pytest.raises(Failure) as refused:
            db.run(settings.put_settings, team[caller], {})
        assert refused.value.kind == "forbidden"
    with pytest.raises(Failure) as refused:
        db.run(settings.get_settings, team["agent"])
    assert refused.value.kind == "forbidden"


def test_bad_settings_are_named_and_change_nothing(db, team):
    with pytest.raises(Failure) as refused:
        db.run(settings.put_settings, team["admin"], {"fiscal_year_start_month": 13, "currency": "usd",
                                                       "rates": {"EUR": 1.08, "gbp": "1.2", "CHF": "0"}, "x": 1})
    assert set(refused.value.details["fields"]) == {"fiscal_year_start_month", "currency", "rates.EUR", "rates.gbp",
                                                    "rates.CHF", "x"}
    assert db.count("forecast_settings") == 0


def test_the_fiscal_start_month_moves_the_quarters(db, team):
    db.opportunity(owner_id="rep1", forecast_category="commit", amount="10.00", close_date="2026-01-15")
    assert db.run(forecasts.get_forecast, team["rep1"], "2026-Q1").tree.unadjusted["commit"] == 1000
    db.run(settings.put_settings, team["admin"], {"fiscal_year_start_month": 2})
    view = db.run(forecasts.get_forecast, team["rep1"], "2026-Q4")  # FY2026 = Feb 2025 .. Jan 2026
    assert (view.period.first_day.isoformat(), view.tree.unadjusted["commit"]) == ("2025-11-01", 1000)
    assert db.run(forecasts.get_forecast, team["rep1"], "2026-Q1").tree.unadjusted["commit"] == 0

"""The forecast rules as units: cumulative categories, the rollup, adjustments rolling
up, a moved rep taking numbers along, attainment, money."""
from decimal import Decimal

import pytest

from tandem_forecast.domain import money
from tandem_forecast.domain.forecasts import attainment, cumulative, roll_up

#   boss
#   ├── east (manager)
#   │   ├── ann
#   │   └── bob (deactivated: still in the tree)
#   └── west (manager)
#       └── cat
MANAGERS = {"boss": None, "east": "boss", "ann": "east", "bob": "east", "west": "boss", "cat": "west"}


def numbers(closed=0, commit=0, best_case=0, open_pipeline=0):
    return {"closed": closed, "commit": commit, "best_case": best_case, "open_pipeline": open_pipeline}


def test_categories_are_cumulative_and_omitted_never_counts():
    assert cumulative({"pipeline": 1, "best_case": 10, "commit": 100, "closed": 1000, "omitted": 10000}) == numbers(
        closed=1000, commit=1100, best_case=1110, open_pipeline=111)
    assert cumulative({}) == numbers()


OWN = {
    "ann": cumulative({"closed": 100, "commit": 50, "pipeline": 7}),
    "bob": cumulative({"commit": 20}),
    "cat": cumulative({"best_case": 30}),
    "east": cumulative({"closed": 1}),
}


def test_every_level_rolls_up_its_subtree():
    top = roll_up("boss", MANAGERS, OWN, {})
    assert top.unadjusted == top.adjusted == numbers(closed=101, commit=171, best_case=201, open_pipeline=107)
    east, west = top.children
    assert (east.user_id, [c.user_id for c in east.children]) == ("east", ["ann", "bob"])
    assert east.unadjusted == numbers(closed=101, commit=171, best_case=171, open_pipeline=77)
    assert west.unadjusted == numbers(best_case=30, open_pipeline=30)
    assert west.children[0].children == []


def test_an_adjustment_replaces_the_number_and_rolls_up_while_unadjusted_stays():
    top = roll_up("boss", MANAGERS, OWN, {"ann": {"commit": 500}})
    east = top.children[0]
    ann = east.children[0]
    assert (ann.adjusted["commit"], ann.unadjusted["commit"], ann.adjustments) == (500, 150, {"commit": 500})
    assert (east.adjusted["commit"], east.unadjusted["commit"]) == (521, 171)  # east's own 1 + ann 500 + bob 20
    assert (top.adjusted["commit"], top.unadjusted["commit"]) == (521, 171)
    assert top.adjusted["closed"] == top.unadjusted["closed"] == 101  # other numbers untouched


def test_a_manager_adjustment_overrides_what_is_below():
    top = roll_up("boss", MANAGERS, OWN, {"ann": {"commit": 500}, "east": {"commit": 300}})
    assert top.children[0].adjusted["commit"] == 300
    assert top.adjusted["commit"] == 300
    top = roll_up("boss", MANAGERS, OWN, {"ann": {"commit": 500}, "boss": {"commit": 42}})
    assert top.adjusted["commit"] == 42 and top.children[0].adjusted["commit"] == 521


def test_a_rep_moved_to_another_manager_takes_numbers_and_adjustments_along():
    moved = {**MANAGERS, "ann": "west"}
    top = roll_up("boss", moved, OWN, {"ann": {"commit": 500}})
    east, west = top.children
    assert east.unadjusted["commit"] == 21 and east.adjusted["commit"] == 21
    assert west.unadjusted["commit"] == 150 and west.adjusted["commit"] == 500
    assert top.unadjusted["commit"] == 171


def test_unconverted_deals_are_summed_per_currency_up_the_tree():
    top = roll_up("boss", MANAGERS, OWN, {}, {"ann": {"GBP": (1, 500)}, "cat": {"GBP": (2, 100), "CHF": (1, 9)}})
    assert top.unconverted == {"GBP": (3, 600), "CHF": (1, 9)}
    assert top.children[0].unconverted == {"GBP": (1, 500)}


def test_a_loop_in_a_stale_directory_does_not_hang():
    top = roll_up("a", {"a": "b", "b": "a"}, {"a": numbers(closed=1), "b": numbers(closed=2)}, {})
    assert top.unadjusted["closed"] == 3


@pytest.mark.parametrize("closed, quota, expected", [
    (50, 200, Decimal("25.00")), (1, 3, Decimal("33.33")), (2, 3, Decimal("66.67")), (300, 200, Decimal("150.00")),
    (5, None, None), (5, 0, None),
])
def test_attainment_is_closed_over_quota_in_percent(closed, quota, expected):
    assert attainment(closed, quota) == expected


def test_money_converts_with_rates_half_up_and_refuses_floats():
    rates = {"EUR": Decimal("1.08"), "JPY": Decimal("0.0067")}
    assert money.convert(1000, "EUR", "USD", rates) == 1080
    assert money.convert(12345, "JPY", "USD", rates) == 8271  # 82.7115 USD
    assert money.convert(1, "EUR", "USD", {"EUR": Decimal("0.5")}) == 1  # 0.5 cent rounds half up
    assert money.convert(7, "USD", "USD", {}) == 7
    assert money.convert(7, "GBP", "USD", rates) is None
    assert money.amount_minor("1234.50", "USD") == 123450
    assert money.amount_minor("1234", "JPY") == 1234
    assert money.text(123450, "USD") == "1234.50" and money.text(5, "KWD") == "0.005"
    for bad in (1234.5, 1234, "-1", "1.234", "", "1e3"):
        with pytest.raises(ValueError):
            money.amount_minor(bad, "USD")
    with pytest.raises(ValueError):
        money.rate("0")

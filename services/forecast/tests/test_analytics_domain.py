"""The arithmetic of pipeline analytics as plain functions."""
from decimal import Decimal

from tandem_forecast.domain.analytics import Converter, average_days, average_minor, ratio, stage_totals


def row(stage, probability, currency, deals, minor, closed=False, won=False):
    return {"stage": stage, "is_closed": closed, "is_won": won, "probability": probability, "currency": currency,
            "deals": deals, "minor": minor}


def test_stages_follow_the_sales_path_seen_in_the_data():
    converter = Converter("USD", {"EUR": Decimal("1.1")})
    stages = stage_totals([
        row("Closed Lost", 0, "USD", 1, 100, closed=True), row("Negotiation", 70, "USD", 1, 1000),
        row("Closed Won", 100, "EUR", 2, 1000, closed=True, won=True), row("Qualify", 20, "USD", 1, None),
        row("Negotiation", 50, "JPY", 1, 5000), row("Alpha", 20, "USD", 1, 1),
    ], converter)
    assert [(s.stage, s.probability, s.tally.count, s.tally.minor) for s in stages] == [
        ("Alpha", 20, 1, 1), ("Qualify", 20, 1, 0), ("Negotiation", 50, 2, 1000), ("Closed Won", 100, 2, 1100),
        ("Closed Lost", 0, 1, 100)]
    assert converter.left_out() == [{"currency": "JPY", "count": 1, "amount": "5000"}]


def test_ratios_and_averages_are_exact_decimals():
    assert (ratio(2, 3), ratio(0, 5), ratio(1, 0)) == ("0.6667", "0.0000", None)
    assert (average_minor(1001, 2), average_minor(1, 0)) == (501, None)  # half up
    assert (average_days(76, 2), average_days(10, 3), average_days(0, 0)) == ("38.0", "3.3", None)

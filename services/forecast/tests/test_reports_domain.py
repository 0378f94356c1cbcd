"""Report definitions checked as plain data: what is accepted, how it is normalised, and
every bad part named by its path."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from tandem_plumbing.failures import Failure

from tandem_forecast.domain.reports import Aggregate, Condition, Grouping, Order, parse_definition, parse_report


def problems_of(definition, name="Pipeline by stage") -> dict[str, str]:
    with pytest.raises(Failure) as caught:
        parse_report(name, definition)
    assert (caught.value.kind, caught.value.code) == ("invalid", "validation_failed")
    return caught.value.details["fields"]


def test_a_full_definition_becomes_a_plan_and_back():
    name, plan = parse_report("  Won by quarter ", {
        "source": "opportunities",
        "filters": [{"field": "is_won", "op": "eq", "value": True},
                    {"field": "amount", "op": "between", "value": ["100", "2500.50"]},
                    {"field": "close_date", "op": "gte", "value": "2026-01-01"},
                    {"field": "closed_at", "op": "lt", "value": "2026-12-01T00:00:00+01:00"},
                    {"field": "stage", "op": "in", "value": ["Negotiation", "Closed Won"]},
                    {"field": "referral_agent_id", "op": "ne", "value": None}],
        "group_by": [{"field": "close_date", "bucket": "quarter"}, "owner_id"],
        "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}, {"fn": "avg", "field": "probability"}],
        "sort": [{"column": "sum_amount", "direction": "desc"}],
        "limit": 50,
    })
    assert name == "Won by quarter"
    assert plan.filters == (
        Condition("is_won", "eq", True),
        Condition("amount", "between", (Decimal("100"), Decimal("2500.50"))),
        Condition("close_date", "gte", date(2026, 1, 1)),
        Condition("closed_at", "lt", datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)),
        Condition("stage", "in", ("Negotiation", "Closed Won")),
        Condition("referral_agent_id", "ne", None),
    )
    assert plan.groups == (Grouping("close_date", "quarter"), Grouping("owner_id"))
    assert plan.aggregates == (Aggregate("count"), Aggregate("sum", "amount"), Aggregate("avg", "probability"))
    assert plan.sort == (Order("sum_amount", True),) and plan.limit == 50
    assert plan.columns() == [("close_date_quarter", "period"), ("owner_id", "string"), ("count", "integer"),
                              ("sum_amount", "money"), ("avg_probability", "decimal")]
    definition = plan.definition()
    assert definition["filters"][1] == {"field": "amount", "op": "between", "value": ["100", "2500.50"]}
    assert definition["filters"][3]["value"] == "2026-11-30T23:00:00Z"
    assert definition["group_by"] == [{"field": "close_date", "bucket": "quarter"}, "owner_id"]
    assert parse_report(name, definition)[1] == plan  # the stored form reads back the same


def test_defaults_and_leads():
    plan = parse_definition({"source": "leads", "aggregates": [{"fn": "count", "field": "converted_at"}]}, {})
    assert (plan.filters, plan.groups, plan.sort, plan.limit) == ((), (), (), 1000)
    assert plan.columns() == [("count_converted_at", "integer")]
    assert plan.definition() == {"source": "leads", "filters": [], "group_by": [],
                                 "aggregates": [{"fn": "count", "field": "converted_at"}], "sort": [], "limit": 1000}


@pytest.mark.parametrize("definition, expected", [
    ("not an object", {"definition": "must be an object"}),
    ({}, {"source": "is required"}),
    ({"source": "accounts", "aggregates": []}, {"source": "must be one of opportunities, leads"}),
    ({"source": "leads", "aggregates": [], "colour": "red"},
     {"colour": "unknown part", "aggregates": 'must name at least one, e.g. [{"fn": "count"}]'}),
    ({"source": "leads", "aggregates": {"fn": "count"}}, {"aggregates": "must be a list"}),
    ({"source": "leads", "aggregates": [{"fn": "median", "field": "id"}]},
     {"aggregates[0].fn": "must be one of count, sum, avg, min, max"}),
    ({"source": "opportunities", "aggregates": [{"fn": "sum"}]}, {"aggregates[0].field": "is required for sum"}),
    ({"source": "opportunities", "aggregates": [{"fn": "sum", "field": "stage"}]},
     {"aggregates[0].field": "sum needs a field of type integer or money; stage is a string"}),
    ({"source": "opportunities", "aggregates": [{"fn": "max", "field": "is_won"}]},
     {"aggregates[0].field": "max needs a field of type integer or money or date or datetime; is_won is a boolean"}),
    ({"source": "opportunities", "aggregates": [{"fn": "count"}, {"fn": "count", "as": "n"}]},
     {"aggregates[1].as": "unknown part", "aggregates[1]": "repeats count"}),
    ({"source": "leads", "aggregates": [{"fn": "sum", "field": "amount"}]},
     {"aggregates[0].field": "must be one of id, owner_id, source, status, created_at, converted_at, "
                             "opportunity_id, referral_agent_id"}),
])
def test_bad_shapes_and_aggregates(definition, expected):
    assert problems_of(definition) == expected


COUNT = [{"fn": "count"}]


@pytest.mark.parametrize("group_by, expected", [
    (["owner_id", "stage", "currency"], {"group_by": "may have at most 2 entries"}),
    ([{"field": "close_date", "bucket": "week"}], {"group_by[0].bucket": "must be one of month, quarter, year"}),
    (["stage", {"field": "close_date", "bucket": "fortnight"}],
     {"group_by[1].bucket": "must be one of month, quarter, year"}),
    ([{"field": "stage", "bucket": "month"}], {"group_by[0].bucket": "only dates and times have buckets; "
                                                                     "stage is a string"}),
    (["created_at"], {"group_by[0]": "created_at is a time: group it by a bucket (month, quarter, year)"}),
    (["amount"], {"group_by[0]": "cannot group by an amount"}),
    (["nope"], {"group_by[0]": "must be one of id, name, account_id, account_name, owner_id, amount, currency, "
                               "close_date, stage, probability, forecast_category, is_closed, is_won, lead_id, "
                               "referral_agent_id, created_at, closed_at"}),
    ([42], {"group_by[0]": 'must be a field name or an object {"field", "bucket"}'}),
    (["stage", "stage"], {"group_by[1]": "repeats stage"}),
    ([{"field": "close_date", "bucket": "month", "tz": "UTC"}], {"group_by[0].tz": "unknown part"}),
])
def test_bad_groupings(group_by, expected):
    assert problems_of({"source": "opportunities", "group_by": group_by, "aggregates": COUNT}) == expected


@pytest.mark.parametrize("condition, expected", [
    ("stage = 'x'", {"filters[0]": 'must be an object {"field", "op", "value"}'}),
    ({"field": "stage; drop table users", "op": "eq", "value": "x"}, "filters[0].field"),
    ({"op": "eq", "value": "x"}, {"filters[0].field": "is required"}),
    ({"field": "stage", "value": "x"}, {"filters[0].op": "is required"}),
    ({"field": "stage", "op": "like", "value": "x"},
     {"filters[0].op": "must be one of eq, ne, in, contains for stage (string)"}),
    ({"field": "is_won", "op": "gt", "value": True}, {"filters[0].op": "must be one of eq, ne for is_won (boolean)"}),
    ({"field": "created_at", "op": "eq", "value": "2026-01-01"},
     {"filters[0].op": "must be one of gt, gte, lt, lte, between for created_at (datetime)"}),
    ({"field": "stage", "op": "eq"}, {"filters[0].value": "is required"}),
    ({"field": "stage", "op": "eq", "value": 3}, {"filters[0].value": "must be a non-empty string of at most 200 "
                                                                       "characters"}),
    ({"field": "stage", "op": "eq", "value": None}, {"filters[0].value": "is never empty: null cannot match"}),
    ({"field": "amount", "op": "gt", "value": 1000.5},
     {"filters[0].value": 'must be a decimal string such as "1234.50" (never a float)'}),
    ({"field": "amount", "op": "gt", "value": "1e3"},
     {"filters[0].value": 'must be a decimal string such as "1234.50" (never a float)'}),
    ({"field": "probability", "op": "gte", "value": "50"}, {"filters[0].value": "must be a whole number"}),
    ({"field": "probability", "op": "eq", "value": True}, {"filters[0].value": "must be a whole number"}),
    ({"field": "close_date", "op": "eq", "value": "2026-02-30"}, {"filters[0].value": "must be a date YYYY-MM-DD"}),
    ({"field": "close_date", "op": "eq", "value": "30/01/2026"}, {"filters[0].value": "must be a date YYYY-MM-DD"}),
    ({"field": "closed_at", "op": "gt", "value": "2026-01-01T10:00:00"},
     {"filters[0].value": "must be an RFC 3339 time with an offset, or a date YYYY-MM-DD (midnight UTC)"}),
    ({"field": "is_won", "op": "eq", "value": "true"}, {"filters[0].value": "must be true or false"}),
    ({"field": "stage", "op": "in", "value": []}, {"filters[0].value": "must be a list of 1 to 100 values"}),
    ({"field": "stage", "op": "in", "value": "Won"}, {"filters[0].value": "must be a list of 1 to 100 values"}),
    ({"field": "probability", "op": "between", "value": [10]},
     {"filters[0].value": "must be a list of two values [low, high]"}),
    ({"field": "probability", "op": "between", "value": [90, 10]},
     {"filters[0].value": "low must not be above high"}),
    ({"field": "stage", "op": "contains", "value": ""},
     {"filters[0].value": "must be a non-empty string of at most 200 characters"}),
    ({"field": "stage", "op": "eq", "value": "x", "or": []}, {"filters[0].or": "unknown part"}),
])
def test_bad_filters(condition, expected):
    problems = problems_of({"source": "opportunities", "filters": [condition], "aggregates": COUNT})
    if isinstance(expected, str):
        assert list(problems) == [expected]
    else:
        assert problems == expected


def test_every_bad_part_is_named_at_once():
    problems = problems_of({
        "source": "opportunities",
        "filters": [{"field": "stage", "op": "eq", "value": "Won"}, {"field": "amount", "op": "in", "value": ["1"]}],
        "group_by": ["stage", {"field": "close_date", "bucket": "week"}],
        "aggregates": [{"fn": "sum", "field": "amount"}, {"fn": "avg"}],
        "sort": [{"column": "count", "direction": "up"}],
        "limit": 0,
    }, name="")
    assert problems == {
        "name": "must be a non-empty string of at most 200 characters",
        "filters[1].op": "must be one of eq, ne, gt, gte, lt, lte, between for amount (money)",
        "group_by[1].bucket": "must be one of month, quarter, year",
        "aggregates[1].field": "is required for avg",
        "sort[0].direction": "must be one of asc, desc",
        "sort[0].column": "must be one of stage, sum_amount",
        "limit": "must be a whole number from 1 to 10000",
    }


@pytest.mark.parametrize("limit", [True, "10", 10001, -1, 2.5])
def test_bad_limits(limit):
    assert problems_of({"source": "leads", "aggregates": COUNT, "limit": limit}) == {
        "limit": "must be a whole number from 1 to 10000"}


def test_sort_names_a_column_of_the_report():
    assert problems_of({"source": "leads", "group_by": ["status"], "aggregates": COUNT,
                        "sort": [{"column": "status"}, "count", {"column": "owner_id"}]}) == {
        "sort[1]": 'must be an object {"column", "direction"?}',
        "sort[2].column": "must be one of status, count"}

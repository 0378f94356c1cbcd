"""Report definitions without code: what a report may ask of the read model, checked
into a `Plan` of plain data that the query builder (adapters/report_queries.py) turns
into SQLAlchemy Core. Nothing from the input ever becomes SQL text: fields, operators,
buckets and functions are picked from the whitelists below, values are typed here.

A definition: {"source", "filters": [{"field","op","value"}], "group_by": [up to two:
a field or {"field","bucket"}], "aggregates": [{"fn","field"?}], "sort": [{"column",
"direction"}], "limit"}. Every bad part is named in one failure, by its path
("filters[0].op", "group_by[1].bucket").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .inputs import invalid

STRING, INTEGER, MONEY, DATE, DATETIME, BOOLEAN = "string", "integer", "money", "date", "datetime", "boolean"
PERIOD, DECIMAL = "period", "decimal"  # result column types only: a date bucket, an average

OPS = {
    STRING: ("eq", "ne", "in", "contains"),
    INTEGER: ("eq", "ne", "in", "gt", "gte", "lt", "lte", "between"),
    MONEY: ("eq", "ne", "gt", "gte", "lt", "lte", "between"),
    DATE: ("eq", "ne", "in", "gt", "gte", "lt", "lte", "between"),
    DATETIME: ("gt", "gte", "lt", "lte", "between"),
    BOOLEAN: ("eq", "ne"),
}
BUCKETS = ("month", "quarter", "year")
FUNCTIONS = ("count", "sum", "avg", "min", "max")
_NUMERIC = (INTEGER, MONEY)
_ORDERED = (INTEGER, MONEY, DATE, DATETIME)
MAX_GROUPS, MAX_AGGREGATES, MAX_SORT, MAX_IN = 2, 10, 3, 100
DEFAULT_LIMIT, MAX_LIMIT = 1000, 10_000
MAX_NAME, MAX_TEXT = 200, 200


@dataclass(frozen=True)
class Field:
    type: str
    nullable: bool = False


# What each source exposes: the read model's columns a report may use (money is the
# amount in the forecast currency; the query builder converts).
SOURCES: dict[str, dict[str, Field]] = {
    "opportunities": {
        "id": Field(STRING), "name": Field(STRING), "account_id": Field(STRING), "account_name": Field(STRING),
        "owner_id": Field(STRING), "amount": Field(MONEY, True), "currency": Field(STRING),
        "close_date": Field(DATE, True), "stage": Field(STRING), "probability": Field(INTEGER),
        "forecast_category": Field(STRING), "is_closed": Field(BOOLEAN), "is_won": Field(BOOLEAN),
        "lead_id": Field(STRING, True), "referral_agent_id": Field(STRING, True),
        "created_at": Field(DATETIME), "closed_at": Field(DATETIME, True),
    },
    "leads": {
        "id": Field(STRING), "owner_id": Field(STRING, True), "source": Field(STRING), "status": Field(STRING),
        "created_at": Field(DATETIME), "converted_at": Field(DATETIME, True),
        "opportunity_id": Field(STRING, True), "referral_agent_id": Field(STRING, True),
    },
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any  # typed: str, int, Decimal, date, datetime, bool, None (eq/ne null), tuple (in, between)


@dataclass(frozen=True)
class Grouping:
    field: str
    bucket: str | None = None

    @property
    def column(self) -> str:
        return f"{self.field}_{self.bucket}" if self.bucket else self.field


@dataclass(frozen=True)
class Aggregate:
    fn: str
    field: str | None = None

    @property
    def column(self) -> str:
        return f"{self.fn}_{self.field}" if self.field else self.fn


@dataclass(frozen=True)
class Order:
    column: str
    descending: bool = False


@dataclass(frozen=True)
class Plan:
    source: str
    filters: tuple[Condition, ...]
    groups: tuple[Grouping, ...]
    aggregates: tuple[Aggregate, ...]
    sort: tuple[Order, ...]
    limit: int

    def field(self, name: str) -> Field:
        return SOURCES[self.source][name]

    def columns(self) -> list[tuple[str, str]]:
        """(name, type) of each result column: the groupings, then the aggregates."""
        return ([(g.column, PERIOD if g.bucket else self.field(g.field).type) for g in self.groups]
                + [(a.column, aggregate_type(a, self.field(a.field).type if a.field else None))
                   for a in self.aggregates])

    def definition(self) -> dict[str, Any]:
        """The checked definition as JSON: what is stored and shown."""
        return {
            "source": self.source,
            "filters": [{"field": c.field, "op": c.op, "value": _json_value(c.value)} for c in self.filters],
            "group_by": [{"field": g.field, "bucket": g.bucket} if g.bucket else g.field for g in self.groups],
            "aggregates": [{"fn": a.fn, "field": a.field} if a.field else {"fn": a.fn} for a in self.aggregates],
            "sort": [{"column": o.column, "direction": "desc" if o.descending else "asc"} for o in self.sort],
            "limit": self.limit,
        }


def aggregate_type(aggregate: Aggregate, field_type: str | None) -> str:
    if aggregate.fn == "count":
        return INTEGER
    if aggregate.fn == "avg":
        return MONEY if field_type == MONEY else DECIMAL
    return field_type or INTEGER


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- checking ------------------------------------------------------------------------------
def _one_of(values) -> str:
    return "must be one of " + ", ".join(values)


_DECIMAL = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")


def _typed(field_type: str, value: Any) -> Any:
    """The value as its field's type, or ValueError saying what it must be."""
    if field_type == STRING:
        if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
            raise ValueError(f"must be a non-empty string of at most {MAX_TEXT} characters")
        return value
    if field_type == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**31:
            raise ValueError("must be a whole number")
        return value
    if field_type == MONEY:
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not _DECIMAL.match(str(value).strip()):
            raise ValueError('must be a decimal string such as "1234.50" (never a float)')
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError('must be a decimal string such as "1234.50"') from None
    if field_type == DATE:
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError("must be a date YYYY-MM-DD")
    if field_type == DATETIME:
        return _datetime(value)
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _datetime(value: Any) -> datetime:
    """RFC 3339 with an offset, or a date (its midnight UTC)."""
    message = "must be an RFC 3339 time with an offset, or a date YYYY-MM-DD (midnight UTC)"
    if not isinstance(value, str):
        raise ValueError(message)
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), timezone.utc)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(message) from None
    if parsed.tzinfo is None:
        raise ValueError(message)
    return parsed.astimezone(timezone.utc)


def _condition(source: str, raw: Any, at: str, problems: dict[str, str]) -> Condition | None:
    if not isinstance(raw, dict):
        problems[at] = 'must be an object {"field", "op", "value"}'
        return None
    for key in raw.keys() - {"field", "op", "value"}:
        problems[f"{at}.{key}"] = "unknown part"
    name, op = raw.get("field"), raw.get("op")
    field = SOURCES[source].get(name) if isinstance(name, str) else None
    if field is None:
        problems[f"{at}.field"] = _one_of(SOURCES[source]) if "field" in raw else "is required"
        return None
    if op not in OPS[field.type]:
        problems[f"{at}.op"] = f"{_one_of(OPS[field.type])} for {name} ({field.type})" if "op" in raw else "is required"
        return None
    if "value" not in raw:
        problems[f"{at}.value"] = "is required"
        return None
    try:
        return Condition(name, op, _condition_value(field, op, raw["value"]))
    except ValueError as exc:
        problems[f"{at}.value"] = str(exc)
        return None


def _condition_value(field: Field, op: str, value: Any) -> Any:
    if op == "in":
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_IN:
            raise ValueError(f"must be a list of 1 to {MAX_IN} values")
        return tuple(_typed(field.type, v) for v in value)
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("must be a list of two values [low, high]")
        low, high = (_typed(field.type, v) for v in value)
        if low > high:
            raise ValueError("low must not be above high")
        return low, high
    if value is None and op in ("eq", "ne"):
        if not field.nullable:
            raise ValueError("is never empty: null cannot match")
        return None
    return _typed(field.type, value)


def _grouping(source: str, raw: Any, at: str, problems: dict[str, str]) -> Grouping | None:
    if isinstance(raw, str):
        name, bucket = raw, None
    elif isinstance(raw, dict):
        for key in raw.keys() - {"field", "bucket"}:
            problems[f"{at}.{key}"] = "unknown part"
        name, bucket = raw.get("field"), raw.get("bucket")
    else:
        problems[at] = 'must be a field name or an object {"field", "bucket"}'
        return None
    field = SOURCES[source].get(name) if isinstance(name, str) else None
    if field is None:
        problems[at if isinstance(raw, str) else f"{at}.field"] = _one_of(SOURCES[source])
        return None
    if field.type == MONEY:
        problems[at if isinstance(raw, str) else f"{at}.field"] = "cannot group by an amount"
        return None
    if bucket is not None and bucket not in BUCKETS:
        problems[f"{at}.bucket"] = _one_of(BUCKETS)
        return None
    if bucket is not None and field.type not in (DATE, DATETIME):
        problems[f"{at}.bucket"] = f"only dates and times have buckets; {name} is a {field.type}"
        return None
    if bucket is None and field.type == DATETIME:
        problems[at] = f"{name} is a time: group it by a bucket (month, quarter, year)"
        return None
    return Grouping(name, bucket)


def _aggregate(source: str, raw: Any, at: str, problems: dict[str, str]) -> Aggregate | None:
    if not isinstance(raw, dict):
        problems[at] = 'must be an object {"fn", "field"?}'
        return None
    for key in raw.keys() - {"fn", "field"}:
        problems[f"{at}.{key}"] = "unknown part"
    fn, name = raw.get("fn"), raw.get("field")
    if fn not in FUNCTIONS:
        problems[f"{at}.fn"] = _one_of(FUNCTIONS)
        return None
    if name is None:
        if fn != "count":
            problems[f"{at}.field"] = f"is required for {fn}"
            return None
        return Aggregate(fn)
    field = SOURCES[source].get(name) if isinstance(name, str) else None
    if field is None:
        problems[f"{at}.field"] = _one_of(SOURCES[source])
        return None
    allowed = {"sum": _NUMERIC, "avg": _NUMERIC, "min": _ORDERED, "max": _ORDERED}.get(fn)
    if allowed and field.type not in allowed:
        problems[f"{at}.field"] = f"{fn} needs a field of type {' or '.join(allowed)}; {name} is a {field.type}"
        return None
    return Aggregate(fn, name)


def _list(definition: dict, key: str, at_most: int, problems: dict[str, str]) -> list:
    value = definition.get(key, [])
    if not isinstance(value, list):
        problems[key] = "must be a list"
        return []
    if len(value) > at_most:
        problems[key] = f"may have at most {at_most} entries"
        return []
    return value


def _order(raw: Any, at: str, columns: list[str], problems: dict[str, str]) -> Order | None:
    if not isinstance(raw, dict):
        problems[at] = 'must be an object {"column", "direction"?}'
        return None
    for key in raw.keys() - {"column", "direction"}:
        problems[f"{at}.{key}"] = "unknown part"
    direction = raw.get("direction", "asc")
    if direction not in ("asc", "desc"):
        problems[f"{at}.direction"] = _one_of(("asc", "desc"))
    if raw.get("column") not in columns:
        problems[f"{at}.column"] = _one_of(columns) if columns else "the report has no valid columns to sort by"
        return None
    return Order(raw["column"], direction == "desc")


def _unique(items: list, at: str, problems: dict[str, str]) -> None:
    seen = set()
    for i, item in enumerate(items):
        if item is not None and item.column in seen:
            problems[f"{at}[{i}]"] = f"repeats {item.column}"
        seen.add(item.column if item is not None else None)


def check_name(name: Any, problems: dict[str, str]) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        problems["name"] = f"must be a non-empty string of at most {MAX_NAME} characters"
        return ""
    return name.strip()


def parse_definition(definition: Any, problems: dict[str, str]) -> Plan | None:
    """The definition checked into a Plan; every bad part goes to `problems` (then None)."""
    if not isinstance(definition, dict):
        problems["definition"] = "must be an object"
        return None
    for key in definition.keys() - {"source", "filters", "group_by", "aggregates", "sort", "limit"}:
        problems[key] = "unknown part"
    source = definition.get("source")
    if source not in SOURCES:
        problems["source"] = _one_of(SOURCES) if "source" in definition else "is required"
        return None
    filters = [_condition(source, raw, f"filters[{i}]", problems)
               for i, raw in enumerate(_list(definition, "filters", MAX_IN, problems))]
    groups = [_grouping(source, raw, f"group_by[{i}]", problems)
              for i, raw in enumerate(_list(definition, "group_by", MAX_GROUPS, problems))]
    aggregates = [_aggregate(source, raw, f"aggregates[{i}]", problems)
                  for i, raw in enumerate(_list(definition, "aggregates", MAX_AGGREGATES, problems))]
    if not aggregates and "aggregates" not in problems:
        problems["aggregates"] = 'must name at least one, e.g. [{"fn": "count"}]'
    _unique(groups, "group_by", problems)
    _unique(aggregates, "aggregates", problems)
    columns = [item.column for item in (*groups, *aggregates) if item is not None]
    sort = [_order(raw, f"sort[{i}]", columns, problems)
            for i, raw in enumerate(_list(definition, "sort", MAX_SORT, problems))]
    limit = definition.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        problems["limit"] = f"must be a whole number from 1 to {MAX_LIMIT}"
    if problems:
        return None
    return Plan(source, tuple(filters), tuple(groups), tuple(aggregates), tuple(sort), limit)


def parse_report(name: Any, definition: Any) -> tuple[str, Plan]:
    """A report's name and definition, both checked; one failure names every bad part."""
    problems: dict[str, str] = {}
    checked_name = check_name(name, problems)
    plan = parse_definition(definition, problems)
    if problems:
        raise invalid(problems)
    return checked_name, plan

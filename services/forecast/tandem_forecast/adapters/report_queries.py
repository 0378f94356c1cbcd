"""A checked report Plan (domain.reports) as one SQLAlchemy Core query over the read
model, and its rows as JSON-ready values. Every column, operator and function comes from
the plan's whitelists; values travel as bound parameters.

Portability (PostgreSQL and SQLite): date buckets are integer keys computed with
EXTRACT (SQLite: strftime) and integer arithmetic (month: 202611, fiscal quarter: 20264,
fiscal year: 2027), labelled in Python. Amounts are converted to the forecast currency
exactly: each currency's factor is a whole number over one common power of ten, so SQL
sums integers (PostgreSQL: numerics) and Python divides once. Averages are computed
from the exact sum and count (SQL's avg only orders rows).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Numeric,
    and_,
    case,
    cast,
    extract,
    false,
    func,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from tandem_plumbing.db import utc

from ..domain import money
from ..domain.reports import DATETIME, MONEY, Aggregate, Condition, Grouping, Plan
from .models import leads, opportunities

TABLES = {"opportunities": opportunities, "leads": leads}
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    """How amounts become the forecast currency in SQL: amount_minor x factor[currency]
    is the amount in minor units of `currency` x 10**scale; other currencies are null."""
    currency: str
    factors: dict[str, int]
    scale: int

    @classmethod
    def of(cls, currency: str, rates: Mapping[str, Decimal]) -> "Money":
        exact = {source: rate * Decimal(1).scaleb(money.digits(currency) - money.digits(source))
                 for source, rate in {**rates, currency: Decimal(1)}.items()}
        scale = max(max(0, -factor.normalize().as_tuple().exponent) for factor in exact.values())
        return cls(currency, {source: int(factor.scaleb(scale)) for source, factor in exact.items()}, scale)

    def expression(self, table, dialect: str) -> ColumnElement:
        amount = table.c.amount_minor
        if dialect == "postgresql":  # bigint x factor may overflow bigint; numeric is exact
            amount = cast(amount, Numeric(38, 0))
        return type_coerce(case(*((table.c.currency == source, amount * factor)
                                  for source, factor in sorted(self.factors.items())), else_=None), BigInteger)

    def minor(self, scaled: Any) -> Decimal:
        """A scaled SQL value as (possibly fractional) minor units of the forecast currency."""
        return Decimal(scaled).scaleb(-self.scale)

    def text(self, minor: Decimal) -> str:
        return money.text(int(minor.quantize(Decimal(1), rounding=ROUND_HALF_UP)), self.currency)

    def bound(self, value: Decimal) -> Decimal:
        """A filter's amount on the scaled integer axis (fractional: between two integers)."""
        return value.scaleb(money.digits(self.currency) + self.scale)


def _column(plan: Plan, name: str, converted: Money, dialect: str) -> ColumnElement:
    table = TABLES[plan.source]
    if plan.field(name).type == MONEY:
        return converted.expression(table, dialect)
    column = table.c[name]
    if plan.field(name).type == DATETIME and dialect == "postgresql":
        return func.timezone("UTC", column)  # EXTRACT on timestamptz follows the session's zone
    return column


# -- filters -------------------------------------------------------------------------------
def _money_condition(expression, op: str, value: Any, converted: Money) -> ColumnElement:
    """An integer column against a decimal bound, exactly: a fractional bound lies between integers."""
    if op == "between":
        low, high = (converted.bound(v) for v in value)
        return and_(expression >= math.ceil(low), expression <= math.floor(high))
    bound = converted.bound(value)
    whole = bound == bound.to_integral_value()
    if op == "eq":
        return expression == int(bound) if whole else false()
    if op == "ne":
        return expression != int(bound) if whole else expression.is_not(None)
    return {"gt": lambda: expression > math.floor(bound), "gte": lambda: expression >= math.ceil(bound),
            "lt": lambda: expression < math.ceil(bound), "lte": lambda: expression <= math.floor(bound)}[op]()


def _condition(plan: Plan, condition: Condition, converted: Money, dialect: str) -> ColumnElement:
    field = plan.field(condition.field)
    column = TABLES[plan.source].c[condition.field] if field.type != MONEY else converted.expression(
        TABLES[plan.source], dialect)
    op, value = condition.op, condition.value
    if field.type == MONEY:
        return _money_condition(column, op, value, converted)
    if op == "eq":
        return column.is_(None) if value is None else column == value
    if op == "ne":
        if value is None:
            return column.is_not(None)
        return or_(column != value, column.is_(None)) if field.nullable else column != value
    if op == "in":
        return column.in_(value)
    if op == "contains":
        return func.lower(column).contains(value.lower(), autoescape=True)
    if op == "between":
        return column.between(*value)
    return {"gt": column > value, "gte": column >= value, "lt": column < value, "lte": column <= value}[op]


def _where(plan: Plan, owners: set[str] | None, converted: Money, dialect: str, *, amounts: bool = True):
    table = TABLES[plan.source]
    clauses = [_condition(plan, c, converted, dialect) for c in plan.filters
               if amounts or plan.field(c.field).type != MONEY]
    if owners is not None:
        clauses.append(table.c.owner_id.in_(sorted(owners)))
    return and_(*clauses) if clauses else None


# -- groups and aggregates -----------------------------------------------------------------
def _bucket(column, bucket: str, start_month: int) -> ColumnElement:
    year, month = cast(extract("year", column), Integer), cast(extract("month", column), Integer)
    if bucket == "month":
        return year * 100 + month
    fiscal_year = year if start_month == 1 else year + case((month >= start_month, 1), else_=0)
    if bucket == "year":
        return fiscal_year
    return fiscal_year * 10 + ((month - start_month + 12) % 12) // 3 + 1


def bucket_label(bucket: str, key: int | None) -> str | None:
    if key is None:
        return None
    key = int(key)
    return {"month": lambda: f"{key // 100}-{key % 100:02d}", "quarter": lambda: f"{key // 10}-Q{key % 10}",
            "year": lambda: f"FY{key}"}[bucket]()


def _grouping(plan: Plan, grouping: Grouping, converted: Money, dialect: str, start_month: int):
    column = _column(plan, grouping.field, converted, dialect)
    if grouping.bucket:
        return _bucket(column, grouping.bucket, start_month), lambda key: bucket_label(grouping.bucket, key)
    return column, _plain


def _aggregate(plan: Plan, aggregate: Aggregate, converted: Money, dialect: str):
    """(SQL expressions to select, the expression to order by, value from those columns)."""
    if aggregate.field is None:
        expression = func.count()
        return [expression], expression, lambda n: int(n)
    column = _column(plan, aggregate.field, converted, dialect)
    field_type = plan.field(aggregate.field).type
    if aggregate.fn == "count":
        expression = func.count(column)
        return [expression], expression, lambda n: int(n)
    if aggregate.fn == "avg":
        def average(total, count):
            if not count:
                return None
            if field_type == MONEY:
                return converted.text(converted.minor(total) / count)
            return format((Decimal(total) / count).quantize(TWO_PLACES, rounding=ROUND_HALF_UP), "f")
        return [func.sum(column), func.count(column)], func.avg(column), average
    expression = getattr(func, aggregate.fn)(column)
    if field_type == MONEY:
        return [expression], expression, lambda v: None if v is None else converted.text(converted.minor(v))
    if aggregate.fn == "sum":
        return [expression], expression, lambda v: None if v is None else int(v)
    return [expression], expression, _plain


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc(value).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- running -------------------------------------------------------------------------------
def run(session: Session, plan: Plan, *, owners: set[str] | None, currency: str, rates: Mapping[str, Decimal],
        start_month: int) -> dict[str, Any]:
    """{"columns": [{"name","type"(,"currency")}], "rows": [[...]], "currency", "unconverted",
    "truncated"} for the records of `owners` (None: everyone's)."""
    dialect = session.get_bind().dialect.name
    converted = Money.of(currency, rates)
    table = TABLES[plan.source]
    selected, readers, order_of = [], [], {}
    for grouping in plan.groups:
        expression, read = _grouping(plan, grouping, converted, dialect, start_month)
        selected.append(expression.label(f"g{len(selected)}"))
        readers.append((1, read))
        order_of[grouping.column] = selected[-1]
    group_count = len(selected)
    for aggregate in plan.aggregates:
        expressions, ordering, read = _aggregate(plan, aggregate, converted, dialect)
        selected.extend(e.label(f"a{len(selected) + i}") for i, e in enumerate(expressions))
        readers.append((len(expressions), read))
        order_of[aggregate.column] = ordering
    query = select(*selected).select_from(table)
    where = _where(plan, owners, converted, dialect)
    if where is not None:
        query = query.where(where)
    if plan.groups:
        query = query.group_by(*selected[:group_count])
    ordering = [(order_of[o.column].desc() if o.descending else order_of[o.column].asc()).nulls_last()
                for o in plan.sort]
    ordering += [column.asc().nulls_last() for column in selected[:group_count]]  # a stable order
    query = query.order_by(*ordering).limit(plan.limit + 1)
    rows = session.execute(query).all()
    return {
        "columns": [{"name": name, "type": kind, **({"currency": currency} if kind == MONEY else {})}
                    for name, kind in plan.columns()],
        "rows": [_row(row, readers) for row in rows[:plan.limit]],
        "currency": currency,
        "unconverted": unconverted(session, plan, owners, converted, dialect) if plan.source == "opportunities"
        else [],
        "truncated": len(rows) > plan.limit,
    }


def _row(row, readers: list[tuple[int, Callable]]) -> list[Any]:
    values, at = [], 0
    for width, read in readers:
        values.append(read(*row[at:at + width]))
        at += width
    return values


def unconverted(session: Session, plan: Plan, owners: set[str] | None, converted: Money, dialect: str) -> list:
    """Opportunities the report would cover but whose currency has no rate: left out of
    every amount, named here (amount filters cannot judge them, so they are not applied)."""
    table = TABLES[plan.source]
    query = (select(table.c.currency, func.count(), func.sum(table.c.amount_minor))
             .where(not_(table.c.currency.in_(sorted(converted.factors))), table.c.amount_minor.is_not(None))
             .group_by(table.c.currency).order_by(table.c.currency))
    where = _where(plan, owners, converted, dialect, amounts=False)
    if where is not None:
        query = query.where(where)
    return [{"currency": code, "count": count, "amount": money.text(int(total), code)}
            for code, count, total in session.execute(query)]

"""Saved reports and dashboards: private to their owner (admins see and change all;
anyone else gets not_found), run over the read model within the CALLER's access (a
rep's run covers their own records, a manager's their subtree, an admin's everything).
Service agents are refused every call."""
from __future__ import annotations

import base64
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session
from tandem_plumbing.failures import Caller, Failure

from ..adapters import report_queries, report_repository as repository
from ..adapters.report_models import dashboards, reports
from ..domain import access, inputs
from ..domain.reports import check_name, parse_definition, parse_report
from .forecasts import team_of
from .settings import current_settings

MAX_DASHBOARD_REPORTS = 20
_KIND = {reports.name: "report", dashboards.name: "dashboard"}


def _new_id(prefix: str) -> str:
    """Ids that sort by creation time (lists page by id): rep_..., das_..."""
    return f"{prefix}_{time.time_ns() // 1000:014x}{uuid.uuid4().hex[:12]}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _not_found(table: Table, record_id: str) -> Failure:
    return Failure("not_found", "not_found", f"no {_KIND[table.name]} {record_id}")


def _own(session: Session, caller: Caller, table: Table, record_id: str, *, for_update: bool = False) -> dict:
    access.check_may_forecast(caller)
    record = repository.get(session, table, record_id, for_update=for_update)
    if record is None or (caller.role != access.ADMIN and record["owner_id"] != caller.user_id):
        raise _not_found(table, record_id)
    return record


def _check_version(table: Table, record: dict, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != record["version"]:
        raise Failure("stale", "version_mismatch", f"the {_KIND[table.name]} changed since you read it; read it again",
                      {"current_version": record["version"]})


def _list(session: Session, caller: Caller, table: Table, page_size: int, page_token: str):
    access.check_may_forecast(caller)
    after = None
    if page_token:
        try:
            after = base64.urlsafe_b64decode(page_token + "=" * (-len(page_token) % 4)).decode()
        except ValueError:  # binascii.Error, UnicodeDecodeError, or a token that is not ASCII at all
            raise inputs.invalid({"page_token": "is not a token this API returned"}) from None
    limit = inputs.limit_of(page_size)
    found = repository.page(session, table, None if caller.role == access.ADMIN else caller.user_id, after,
                            limit + 1)
    token = base64.urlsafe_b64encode(found[limit - 1]["id"].encode()).decode() if len(found) > limit else None
    return found[:limit], token


def _insert(session: Session, caller: Caller, table: Table, name: str, definition: dict,
            validate_only: bool) -> dict | None:
    if validate_only:
        return None
    now = _now()
    record = {"id": _new_id(table.name[:3]), "name": name, "owner_id": caller.user_id, "definition": definition,
              "version": 1, "created_at": now, "updated_at": now}
    repository.insert_record(session, table, record)
    return record


def _replace(session: Session, table: Table, record: dict, name: str, definition: dict,
             expected_version: int | None, validate_only: bool) -> dict | None:
    _check_version(table, record, expected_version)
    if validate_only:
        return None
    changed = {**record, "name": name, "definition": definition, "version": record["version"] + 1,
               "updated_at": _now()}
    repository.update_record(session, table, changed)
    return changed


def _delete(session: Session, caller: Caller, table: Table, record_id: str, expected_version: int | None) -> None:
    record = _own(session, caller, table, record_id, for_update=True)
    _check_version(table, record, expected_version)
    repository.delete_record(session, table, record_id)


# -- reports ---------------------------------------------------------------------------------
def create_report(session: Session, caller: Caller, name: Any, definition: Any, *,
                  validate_only: bool = False) -> dict | None:
    access.check_may_forecast(caller)
    checked_name, plan = parse_report(name, definition)
    return _insert(session, caller, reports, checked_name, plan.definition(), validate_only)


def get_report(session: Session, caller: Caller, report_id: str) -> dict:
    return _own(session, caller, reports, report_id)


def list_reports(session: Session, caller: Caller, *, page_size: int = 0, page_token: str = ""):
    """(the caller's reports (an admin's: all) by creation time, the next page's token)."""
    return _list(session, caller, reports, page_size, page_token)


def update_report(session: Session, caller: Caller, report_id: str, *, name: Any = None,
                  changes: dict[str, Any] | None = None, expected_version: int | None = None,
                  validate_only: bool = False) -> dict | None:
    """Rename and/or replace parts of the definition (top-level: source, filters, ...);
    the result is checked whole."""
    record = _own(session, caller, reports, report_id, for_update=True)
    if not isinstance(changes, dict):
        raise inputs.invalid({"definition": "must be an object"})
    checked_name, plan = parse_report(record["name"] if name is None else name,
                                      {**record["definition"], **changes})
    return _replace(session, reports, record, checked_name, plan.definition(), expected_version, validate_only)


def delete_report(session: Session, caller: Caller, report_id: str, *, expected_version: int | None = None) -> None:
    """A dashboard that shows it shows it no more (runs skip reports that are gone)."""
    _delete(session, caller, reports, report_id, expected_version)


def _result(session: Session, caller: Caller, definition: dict) -> dict[str, Any]:
    team = team_of(session, caller)
    settings = current_settings(session)
    problems: dict[str, str] = {}
    plan = parse_definition(definition, problems)
    if plan is None:  # stored definitions were checked when saved; a whitelist that shrank since is named
        raise inputs.invalid(problems)
    return report_queries.run(session, plan, owners=team.visible, currency=settings.currency, rates=settings.rates,
                              start_month=settings.fiscal_year_start_month)


def run_report(session: Session, caller: Caller, report_id: str) -> dict[str, Any]:
    """{"columns", "rows", "currency", "unconverted", "truncated"} over the records the caller sees."""
    return _result(session, caller, _own(session, caller, reports, report_id)["definition"])


# -- dashboards ------------------------------------------------------------------------------
def _report_ids(session: Session, caller: Caller, report_ids: Any, problems: dict[str, str]) -> list[str]:
    """The reports a dashboard shows: reports the caller sees (each named when not)."""
    if not isinstance(report_ids, (list, tuple)) or len(report_ids) > MAX_DASHBOARD_REPORTS:
        problems["reports"] = f"must be a list of at most {MAX_DASHBOARD_REPORTS} report ids"
        return []
    found = repository.existing(session, reports, [str(i) for i in report_ids])
    for i, report_id in enumerate(report_ids):
        record = found.get(report_id)
        if record is None or (caller.role != access.ADMIN and record["owner_id"] != caller.user_id):
            problems[f"reports[{i}]"] = f"no report {report_id}"
        elif report_id in report_ids[:i]:
            problems[f"reports[{i}]"] = "is already on the dashboard"
    return list(report_ids)


def create_dashboard(session: Session, caller: Caller, name: Any, report_ids: Any, *,
                     validate_only: bool = False) -> dict | None:
    access.check_may_forecast(caller)
    problems: dict[str, str] = {}
    checked_name = check_name(name, problems)
    ids = _report_ids(session, caller, report_ids, problems)
    if problems:
        raise inputs.invalid(problems)
    return _insert(session, caller, dashboards, checked_name, {"reports": ids}, validate_only)


def get_dashboard(session: Session, caller: Caller, dashboard_id: str) -> dict:
    return _own(session, caller, dashboards, dashboard_id)


def list_dashboards(session: Session, caller: Caller, *, page_size: int = 0, page_token: str = ""):
    return _list(session, caller, dashboards, page_size, page_token)


def update_dashboard(session: Session, caller: Caller, dashboard_id: str, *, name: Any = None,
                     report_ids: Any = None, expected_version: int | None = None,
                     validate_only: bool = False) -> dict | None:
    """Rename and/or replace the list of reports (None: unchanged)."""
    record = _own(session, caller, dashboards, dashboard_id, for_update=True)
    problems: dict[str, str] = {}
    checked_name = record["name"] if name is None else check_name(name, problems)
    ids = record["definition"]["reports"] if report_ids is None else _report_ids(session, caller, report_ids,
                                                                                  problems)
    if problems:
        raise inputs.invalid(problems)
    return _replace(session, dashboards, record, checked_name, {"reports": ids}, expected_version, validate_only)


def delete_dashboard(session: Session, caller: Caller, dashboard_id: str, *,
                     expected_version: int | None = None) -> None:
    _delete(session, caller, dashboards, dashboard_id, expected_version)


def run_dashboard(session: Session, caller: Caller, dashboard_id: str) -> tuple[dict, list[tuple[dict, dict]]]:
    """(the dashboard, [(report, its result)] in the dashboard's order); reports deleted
    since (or no longer the dashboard owner's to show) are left out."""
    dashboard = _own(session, caller, dashboards, dashboard_id)
    ids = dashboard["definition"]["reports"]
    found = repository.existing(session, reports, ids) if ids else {}
    shown = [found[i] for i in ids if i in found
             and (caller.role == access.ADMIN or found[i]["owner_id"] == caller.user_id)]
    return dashboard, [(report, _result(session, caller, report["definition"])) for report in shown]

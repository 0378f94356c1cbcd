"""What the leads service does, over a SQLAlchemy session inside the caller's
transaction. Each change writes its rows, its history and its events together
(events last: `record_event` holds the outbox lock until commit). Conversion alone
takes the session factory: it must hold no transaction while sales works.

Events caused by one change all carry the same LeadSnapshot (the lead after the
whole change, one version): consumers ignore only strictly older versions.
"""
from __future__ import annotations

import base64
import binascii
import copy
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing import directory as user_directory
from tandem_plumbing.db import transaction
from tandem_plumbing.documents import load_document, save_document
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.outbox import record_event
from tandem_plumbing.failures import Caller, Failure

from .adapters import repository
from .adapters.models import lead_settings, reps
from .domain import access, assignment, dedupe, scoring
from .domain.leads import (
    CONVERTED,
    Conversion,
    ConversionRequest,
    Lead,
    Referral,
    STATUSES,
    SOURCES,
    apply_changes,
    check_conversion,
    check_convertible,
    fill_missing,
    invalid,
    parse_changes,
    parse_new_lead,
    parse_referral,
    with_referral_estimate,
)

SOURCE = "leads"
LEAD_CREATED, LEAD_ASSIGNED = "lead_created", "lead_assigned"
LEAD_STATUS_CHANGED, LEAD_REFERRAL_ATTACHED = "lead_status_changed", "lead_referral_attached"
SCORING, ASSIGNMENT = "scoring", "assignment"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _emit(session: Session, event_type: str, data: dict[str, Any], correlation_id: str | None) -> None:
    record_event(session, Envelope(type=event_type, source=SOURCE, data=data, correlation_id=correlation_id or None))


def _not_found(lead_id: str) -> Failure:
    return Failure("not_found", "not_found", f"no lead {lead_id}")


# -- configuration documents ---------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    name: str
    document: dict[str, Any]
    version: int  # 0: the built-in default, never saved
    updated_at: datetime | None
    updated_by: str | None


_DEFAULTS = {SCORING: scoring.DEFAULT_WEIGHTS, ASSIGNMENT: assignment.DEFAULT_RULES}


def _setting(session: Session, name: str) -> Setting:
    row = load_document(session, lead_settings, name)
    if row is None:
        return Setting(name, copy.deepcopy(_DEFAULTS[name]), 0, None, None)
    return Setting(name, row["document"], row["version"], row["updated_at"], row["updated_by"])


def _documents(session: Session) -> dict[str, Any]:
    """Both settings documents in one read, for a use case that only reads them: the
    defaults are not copied."""
    saved = repository.setting_documents(session, _DEFAULTS)
    return {name: saved.get(name, default) for name, default in _DEFAULTS.items()}


def scoring_weights(session: Session, caller: Caller) -> Setting:
    """Any sales user may read how scores are made; only admins change it."""
    access.check_may_create(caller)
    return _setting(session, SCORING)


def assignment_rules(session: Session, caller: Caller) -> Setting:
    access.check_admin(caller)
    return _setting(session, ASSIGNMENT)


def _replace_setting(session: Session, caller: Caller, name: str, document: dict[str, Any],
                     expected_version: int | None) -> Setting:
    current = _setting(session, name)
    if expected_version is not None and expected_version != current.version:
        raise Failure("stale", "version_mismatch", f"the {name} document changed since you read it; read it again",
                         {"current_version": current.version})
    now = _now()
    save_document(session, lead_settings, name, document, version=current.version + 1, at=now, by=caller.user_id)
    return Setting(name, document, current.version + 1, now, caller.user_id)


def put_scoring_weights(session: Session, caller: Caller, document: Any, *, expected_version: int | None) -> Setting:
    """Replace the weights and rescore every open lead with them at once, so that a
    list sorted by score never mixes old and new weights. Closed leads keep the score
    they had."""
    access.check_admin(caller)
    weights = scoring.validate_weights(document)
    repository.lock_assignment(session)
    setting = _replace_setting(session, caller, SCORING, weights, expected_version)
    for lead in repository.open_leads(session):
        rescored = _rescored(lead, weights)
        if rescored.score_factors != lead.score_factors:
            changed = replace(rescored, version=lead.version + 1, updated_at=setting.updated_at)
            _save(session, changed)
            _history(session, lead, changed, "rescored", actor_id=caller.user_id, fields=("score",),
                     note="the scoring weights changed", correlation_id=caller.request_id)
    return setting


def put_assignment_rules(session: Session, caller: Caller, document: Any, *, expected_version: int | None) -> Setting:
    """Replace the rules; they apply to leads assigned from now on."""
    access.check_admin(caller)
    rules = assignment.validate_rules(document)
    assignment.check_named_users(rules, repository.directory(session))
    repository.lock_assignment(session)
    return _replace_setting(session, caller, ASSIGNMENT, rules, expected_version)


# -- scoring, keys, saving -----------------------------------------------------------------
def _rescored(lead: Lead, weights: Mapping[str, Any]) -> Lead:
    points, factors = scoring.score(vars(lead), len(lead.referrals), weights)
    return lead.with_changes(score=points, score_factors=tuple(factors))


def _keys(lead: Lead) -> tuple[str | None, str | None]:
    return dedupe.email_key(lead.email), dedupe.name_key(lead.first_name, lead.last_name, lead.company)


def _save(session: Session, lead: Lead) -> None:
    repository.save_lead(session, lead, *_keys(lead))


def _history_entry(before: Lead | None, after: Lead, action: str, *, actor_id: str | None, fields: Iterable[str],
                   note: str | None = None, correlation_id: str | None = None) -> dict[str, Any]:
    """One history entry; `fields` whose values differ become its changes."""
    changes = {name: (getattr(before, name) if before else None, getattr(after, name)) for name in fields}
    changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    return repository.history_entry(after.id, action, at=after.updated_at, actor_id=actor_id, changes=changes,
                                    note=note, correlation_id=correlation_id or None)


def _history(session: Session, before: Lead | None, after: Lead, action: str, **entry: Any) -> None:
    repository.add_history_entries(session, [_history_entry(before, after, action, **entry)])


def _rescored_entries(before: Lead, after: Lead, correlation_id: str | None) -> list[dict[str, Any]]:
    if before.score == after.score:
        return []
    return [_history_entry(before, after, "rescored", actor_id=None, fields=("score",),
                           note="; ".join(f"{f.factor} {f.points:+d}" for f in after.score_factors),
                           correlation_id=correlation_id)]


# -- assignment ----------------------------------------------------------------------------
def _assign_by_rules(session: Session, lead: Lead, directory: Mapping[str, assignment.Rep],
                     document: Mapping[str, Any]) -> tuple[str | None, str]:
    """(owner, why) by the rules (`document`); the caller holds the assignment lock."""
    for key, why, target in assignment.targets(document, vars(lead)):
        queue = assignment.candidates(target, directory)
        counts = repository.open_lead_counts(session, queue)
        eligible = assignment.eligible(queue, directory, counts, document)
        round_robin = target.get("strategy") == assignment.ROUND_ROBIN
        chosen = assignment.choose(target, queue, eligible, counts,
                                   repository.last_given(session, key) if round_robin else None)
        if chosen is not None:
            if round_robin:
                repository.set_last_given(session, key, chosen)
            return chosen, f"by {why}"
    return None, "no rule, queue or default had an eligible owner"


def _assignment_entry(before: Lead | None, after: Lead, why: str, actor_id: str | None,
                      correlation_id: str | None) -> dict[str, Any]:
    action = "assigned" if after.owner_id is not None else "assignment_failed"
    return _history_entry(before, after, action, actor_id=actor_id, fields=("owner_id",), note=why,
                          correlation_id=correlation_id)


def _check_owner(directory: Mapping[str, assignment.Rep], owner_id: str) -> None:
    rep = directory.get(owner_id)
    if rep is None or not rep.may_own_leads:
        raise invalid({"owner_id": "is not an active sales user"})


def _assigned(lead: Lead, previous_owner_id: str | None, reason: str) -> dict[str, Any]:
    return {"lead": lead.snapshot(), "previous_owner_id": previous_owner_id, "reason": reason}


def _created(lead: Lead, reason: str, referral: Referral | None = None) -> dict[str, Any]:
    """`lead_created`: the one event of a new lead. A lead born with an owner says so in
    `assignment` (no `lead_assigned` follows); one made from a referral names it in
    `referral` (no `lead_referral_attached` follows). One delivery per consumer, not three."""
    data: dict[str, Any] = {"lead": lead.snapshot()}
    if lead.owner_id is not None:
        data["assignment"] = {"previous_owner_id": None, "reason": reason}
    if referral is not None:
        data["referral"] = referral.ref()
    return data


# -- leads over the API --------------------------------------------------------------------
def create_lead(
    session: Session,
    caller: Caller,
    values: Mapping[str, Any],
    *,
    owner_id: str | None = None,
    allow_duplicate: bool = False,
    validate_only: bool = False,
) -> Lead | None:
    """A new lead, scored and assigned: a rep's own lead is theirs; admins and managers
    may name the owner, else the rules choose. A lead matching an open one is refused
    (409 duplicate_lead) unless `allow_duplicate`; for the web form without naming it.
    `validate_only` checks and writes nothing."""
    access.check_may_create_lead(caller, values, owner_id=owner_id, allow_duplicate=allow_duplicate)
    fields = parse_new_lead(values)
    if validate_only:
        return None
    repository.lock_assignment(session)
    directory = repository.directory(session)
    visible = access.visible_leads(caller, {r.id: r.manager_id for r in directory.values()})
    if owner_id is None and caller.role == access.SALES_REP:
        owner_id = caller.user_id
    if owner_id is not None:
        access.check_may_give(caller, visible, owner_id)
        if owner_id != caller.user_id:  # the caller is active: the gateway just authenticated them
            _check_owner(directory, owner_id)

    now = _now()
    lead = Lead(
        id=uuid.uuid4().hex, **{name: fields.get(name) for name in (
            "first_name", "last_name", "email", "company", "title", "phone", "industry", "country", "employees",
            "source", "status", "status_reason", "description")},
        score=0, score_factors=(), owner_id=None, created_by=caller.user_id, created_at=now, updated_at=now, version=1,
    )
    if not allow_duplicate:
        duplicate = repository.find_open_duplicate(session, *_keys(lead))
        if duplicate is not None and caller.role == access.WEB_FORM:
            # A visitor must not learn whether someone's email is on file.
            raise Failure("conflict", "duplicate_lead", "an open lead for this person exists already")
        if duplicate is not None:
            matched = "email" if dedupe.email_key(duplicate.email) == dedupe.email_key(lead.email) else "name_company"
            raise Failure("conflict", "duplicate_lead", "an open lead for this person exists already; "
                             "send allow_duplicate to create another one anyway",
                             {"existing_id": duplicate.id, "matched_on": matched})
    lead = _rescored(lead, _setting(session, SCORING).document)
    reason, why = "manual", "chosen by the creator"
    if owner_id is None:
        rules = _setting(session, ASSIGNMENT).document
        reason, (owner_id, why) = "rules", _assign_by_rules(session, lead, directory, rules)
    lead = lead.with_changes(owner_id=owner_id)
    repository.insert_lead(session, lead, *_keys(lead))
    repository.add_history_entries(session, [  # one statement, in this order (as the intake does)
        _history_entry(None, lead, "created", actor_id=caller.user_id, fields=(*fields, "score"),
                       correlation_id=caller.request_id,
                       note="created although it matches an open lead" if allow_duplicate else None),
        _assignment_entry(None, lead, why, caller.user_id if reason == "manual" else None, caller.request_id),
    ])
    _emit(session, LEAD_CREATED, _created(lead, reason), caller.request_id)
    return lead


def _visible(session: Session, caller: Caller) -> set[str] | None:
    return access.visible_leads(caller, repository.managers(session))


def get_lead(session: Session, caller: Caller, lead_id: str) -> Lead:
    visible = _visible(session, caller)  # first: a caller refused outright learns nothing of ids
    lead = repository.get_lead(session, lead_id)
    if lead is None or not access.may_see(visible, lead.owner_id):
        raise _not_found(lead_id)
    return lead


def update_lead(
    session: Session,
    caller: Caller,
    lead_id: str,
    values: Mapping[str, Any],
    *,
    clear: Iterable[str] = (),
    owner_id: str | None = None,
    expected_version: int | None = None,
    validate_only: bool = False,
) -> Lead | None:
    """Change fields, move the status, or reassign (managers within their team, admins);
    rescored on every change. Nothing changed -> the lead as it was (same version)."""
    changes = parse_changes(values, clear)
    if validate_only:
        return None
    visible = _visible(session, caller)
    lead = repository.get_lead(session, lead_id, for_update=True)
    if lead is None or not access.may_see(visible, lead.owner_id):
        raise _not_found(lead_id)
    if expected_version is not None and expected_version != lead.version:
        raise Failure("stale", "version_mismatch", "the lead changed since you read it; read it again",
                         {"current_version": lead.version})
    field_changes = apply_changes(lead, changes)
    reassigned = owner_id is not None and owner_id != lead.owner_id
    if reassigned:
        access.check_may_reassign(caller)
        access.check_may_give(caller, visible, owner_id)
        _check_owner(repository.directory(session), owner_id)
    if not field_changes and not reassigned:
        return lead

    changed = lead.with_changes(**{name: after for name, (_before, after) in field_changes.items()},
                                owner_id=owner_id if reassigned else lead.owner_id,
                                version=lead.version + 1, updated_at=_now())
    changed = _rescored(changed, _setting(session, SCORING).document)
    _save(session, changed)
    by, rid = caller.user_id, caller.request_id
    plain = [name for name in field_changes if name not in ("status", "status_reason")]
    if plain:
        _history(session, lead, changed, "updated", actor_id=by, fields=plain, correlation_id=rid)
    if "status" in field_changes:
        _history(session, lead, changed, "status_changed", actor_id=by, fields=("status", "status_reason"),
                 correlation_id=rid)
    elif "status_reason" in field_changes:
        _history(session, lead, changed, "updated", actor_id=by, fields=("status_reason",), correlation_id=rid)
    if reassigned:
        _history(session, lead, changed, "assigned", actor_id=by, fields=("owner_id",), correlation_id=rid)
    repository.add_history_entries(session, _rescored_entries(lead, changed, rid))
    # Assigned before the status: a referral should be "assigned" before it is "rejected".
    if reassigned:
        _emit(session, LEAD_ASSIGNED, _assigned(changed, lead.owner_id, "manual"), rid)
    if "status" in field_changes:
        _emit(session, LEAD_STATUS_CHANGED, {"lead": changed.snapshot(), "from": lead.status, "to": changed.status,
                                             "reason": changed.status_reason}, rid)
    return changed


# -- conversion ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SalesRecords:
    """What sales made or reused for a converted lead."""

    account_id: str
    contact_id: str
    opportunity_id: str
    account_created: bool


# Asks sales to convert the lead as the caller (Sales/ConvertLead); raises
# ServiceUnavailable when sales does not answer and Failure when it refuses.
ConvertInSales = Callable[[Caller, Lead, ConversionRequest], SalesRecords]


@dataclass(frozen=True)
class Converted:
    lead: Lead  # converted, with its conversion
    replayed: bool  # converted before this call: the stored ids, sales not asked


def convert_lead(
    sessions: sessionmaker[Session],
    caller: Caller,
    lead_id: str,
    request: ConversionRequest,
    convert_in_sales: ConvertInSales,
    *,
    expected_version: int | None = None,
    validate_only: bool = False,
) -> Converted | None:
    """Sales makes (or reuses) the account, contact and opportunity, then the lead
    becomes `converted` and points at them (history, lead_status_changed).

    No transaction is held while sales works. Sales is idempotent by lead, so when
    sales is down, refuses, or this process dies before recording, the lead is as it
    was and converting again repairs it with the same ids. A lead converted already
    answers with its stored ids without asking sales. `validate_only` checks the
    request and does nothing else."""
    request = check_conversion(request)
    if validate_only:
        return None
    with sessions() as session:
        lead = get_lead(session, caller, lead_id)
    if lead.conversion is not None:
        return Converted(lead, replayed=True)
    if expected_version is not None and expected_version != lead.version:
        raise Failure("stale", "version_mismatch", "the lead changed since you read it; read it again",
                      {"current_version": lead.version})
    check_convertible(lead)
    records = convert_in_sales(caller, lead, with_referral_estimate(request, lead))
    with transaction(sessions) as session:
        return _record_conversion(session, caller, lead_id, records)


def _record_conversion(session: Session, caller: Caller, lead_id: str, records: SalesRecords) -> Converted:
    lead = repository.get_lead(session, lead_id, for_update=True)
    if lead.conversion is not None:  # a concurrent conversion recorded it first (sales gave both the same ids)
        return Converted(lead, replayed=True)
    check_convertible(lead)  # it may have been disqualified while sales worked
    now = _now()
    conversion = Conversion(account_id=records.account_id, contact_id=records.contact_id,
                            opportunity_id=records.opportunity_id, converted_at=now, converted_by=caller.user_id,
                            account_created=records.account_created)
    changed = lead.with_changes(status=CONVERTED, status_reason=None, conversion=conversion,
                                version=lead.version + 1, updated_at=now)
    _save(session, changed)
    _history(session, lead, changed, "converted", actor_id=caller.user_id, fields=("status", "status_reason"),
             note=f"account {records.account_id}{' (new)' if records.account_created else ''}, "
                  f"contact {records.contact_id}, opportunity {records.opportunity_id}",
             correlation_id=caller.request_id)
    _emit(session, LEAD_STATUS_CHANGED, {"lead": changed.snapshot(), "from": lead.status, "to": CONVERTED,
                                         "reason": None}, caller.request_id)
    return Converted(changed, replayed=False)


# -- lists and their page tokens -----------------------------------------------------------
def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


_NOT_OURS = {"page_token": "is not a token this API returned"}
_MAX_SEQ = 2 ** 63 - 1  # the largest BIGINT: a history seq beyond it would reach PostgreSQL and fail there


def _decode(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise invalid(_NOT_OURS) from None


def _list_position(token: str) -> tuple[datetime, str]:
    """Where a lead list's page token (`[created_at, id]`, both text) says the page
    before ended; anything else was not written here: invalid page_token."""
    keys = _decode(token)
    if not (isinstance(keys, list) and len(keys) == 2 and all(isinstance(key, str) for key in keys)
            and "\x00" not in keys[1]):  # PostgreSQL cannot bind a NUL
        raise invalid(_NOT_OURS)
    try:
        return datetime.fromisoformat(keys[0]), keys[1]
    except ValueError:
        raise invalid(_NOT_OURS) from None


def _history_position(token: str) -> int:
    """The seq a lead history's page token says the page before ended at (0: none)."""
    if not token:
        return 0
    seq = _decode(token)
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= _MAX_SEQ:
        raise invalid(_NOT_OURS)
    return seq


def _page_size(page_size: int) -> int:
    return DEFAULT_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)


def list_leads(
    session: Session,
    caller: Caller,
    *,
    status: str | None = None,
    owner_id: str | None = None,
    source: str | None = None,
    q: str | None = None,
    account_id: str | None = None,
    email_domain: str | None = None,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[Lead], str | None]:
    """The caller's visible leads, newest first; `owner_id="none"`: the unassigned ones;
    `account_id`: those converted into that account; `email_domain`: those whose email
    is at that domain (case-insensitive)."""
    visible = _visible(session, caller)
    problems = {}
    if status is not None and status not in STATUSES:
        problems["status"] = f"must be one of {', '.join(STATUSES)}"
    if source is not None and source not in SOURCES:
        problems["source"] = f"must be one of {', '.join(SOURCES)}"
    after = None
    if page_token:
        try:
            after = _list_position(page_token)
        except Failure:
            problems.update(_NOT_OURS)
    if problems:
        raise invalid(problems)
    if visible is not None and not visible:
        return [], None
    limit = _page_size(page_size)
    found = repository.page_leads(
        session, visible=visible, limit=limit + 1, after=after, status=status, source=source, q=q or None,
        owner_id=owner_id if owner_id != "none" else None, unassigned=owner_id == "none",
        account_id=account_id or None, email_domain=(email_domain or "").strip().lstrip("@") or None,
    )
    more, found = len(found) > limit, found[:limit]
    token = _encode([found[-1].created_at.isoformat(), found[-1].id]) if more else None
    return found, token


def lead_history(session: Session, caller: Caller, lead_id: str, *, page_size: int = 0,
                 page_token: str = "") -> tuple[list[dict[str, Any]], str | None]:
    """What happened to a lead, oldest first: who, when, what."""
    after = _history_position(page_token)
    get_lead(session, caller, lead_id)
    limit = _page_size(page_size)
    entries = repository.history_page(session, lead_id, limit=limit + 1, after_seq=after)
    more, entries = len(entries) > limit, entries[:limit]
    return entries, _encode(entries[-1]["seq"]) if more else None


# -- events from other services -----------------------------------------------------------
def receive_referral(session: Session, data: Mapping[str, Any], correlation_id: str | None) -> Lead:
    """A service agent's referral: a new lead, or merged into the open lead for the same
    person (missing fields filled, the referral attached, rescored); assigned by the rules
    when it has no owner. A referral already attached changes nothing."""
    referral, fields = parse_referral(data)
    repository.lock_assignment(session)
    attached_to = repository.lead_of_referral(session, referral.referral_id)
    if attached_to is not None:
        return repository.get_lead(session, attached_to)
    now = _now()
    referral = replace(referral, attached_at=now)
    documents = _documents(session)
    directory = repository.directory(session)
    agent = referral.agent_id
    note = f"referral {referral.referral_id} from case {referral.case_number}: {referral.product_interest}"
    # What the referral would be as a lead of its own.
    lead = Lead(
        id=uuid.uuid4().hex, title=None, industry=None, country=None, employees=None, status_reason=None,
        score=0, score_factors=(), owner_id=None, created_by=agent, created_at=now, updated_at=now, version=1,
        referrals=(referral,), **fields,
    )
    before = repository.find_open_duplicate(session, *_keys(lead))
    if before is not None:
        lead = before.with_changes(**fill_missing(before, fields), referrals=(*before.referrals, referral),
                                   version=before.version + 1, updated_at=now)
    lead = _rescored(lead, documents[SCORING])
    why = None
    if lead.owner_id is None:
        owner_id, why = _assign_by_rules(session, lead, directory, documents[ASSIGNMENT])
        lead = lead.with_changes(owner_id=owner_id)

    if before is None:
        repository.insert_lead(session, lead, *_keys(lead))
        history = [_history_entry(None, lead, "created", actor_id=agent, note=note, correlation_id=correlation_id,
                                  fields=("first_name", "last_name", "email", "company", "phone", "source", "status",
                                          "description", "score"))]
    else:
        _save(session, lead)
        history = [_history_entry(before, lead, "merged", actor_id=agent, fields=fill_missing(before, fields),
                                  note=note, correlation_id=correlation_id),
                   *_rescored_entries(before, lead, correlation_id)]
    repository.attach_referral(session, lead.id, referral)
    if why is not None:
        history.append(_assignment_entry(before, lead, why, None, correlation_id))
    repository.add_history_entries(session, history)  # the intake's entries in one statement, in order
    previous_owner = before.owner_id if before else None
    if before is None:
        _emit(session, LEAD_CREATED, _created(lead, "rules", referral), correlation_id)
        return lead
    _emit(session, LEAD_REFERRAL_ATTACHED, {"lead": lead.snapshot(), "referral": referral.ref(), "merged": True},
          correlation_id)
    if lead.owner_id != previous_owner:
        _emit(session, LEAD_ASSIGNED, _assigned(lead, previous_owner, "rules"), correlation_id)
    return lead


def record_user(session: Session, user: Mapping[str, Any], correlation_id: str | None) -> None:
    """Keep the directory copy current; a user who can no longer own leads
    (deactivated, or no longer in sales) has their open leads reassigned by the rules."""
    if not user_directory.record_user(session, reps, user):
        return  # an older or repeated version
    if assignment.Rep(user["id"], user["role"], user["active"]).may_own_leads:
        return
    repository.lock_assignment(session)
    directory, rules = repository.directory(session), _setting(session, ASSIGNMENT).document
    for lead in repository.open_leads(session, owner_id=user["id"]):
        owner_id, why = _assign_by_rules(session, lead, directory, rules)
        if owner_id is None:
            repository.add_history(session, lead.id, "assignment_failed", at=_now(), actor_id=None,
                                   note=f"the owner can no longer own leads; {why}: kept as it is",
                                   correlation_id=correlation_id)
            continue
        changed = lead.with_changes(owner_id=owner_id, version=lead.version + 1, updated_at=_now())
        _save(session, changed)
        _history(session, lead, changed, "assigned", actor_id=None, fields=("owner_id",),
                 note=f"the owner can no longer own leads; {why}", correlation_id=correlation_id)
        _emit(session, LEAD_ASSIGNED, _assigned(changed, lead.owner_id, "owner_inactive"), correlation_id)

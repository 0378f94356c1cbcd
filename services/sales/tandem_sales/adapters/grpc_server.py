"""The `tandem.sales.v1.Sales` servicer: translate messages, call a use case, translate
back. `register` also serves `Activities` (activities_grpc)."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine
from tandem.sales.v1 import sales_pb2, sales_pb2_grpc
from tandem_plumbing.db import session_factory, transaction
from tandem_plumbing.rpc import caller_from, rpc_method

from ..domain import money
from ..domain.accounts import Account, Contact
from ..domain.fields import rfc3339
from ..domain.opportunities import LineItem, Opportunity
from ..domain.products import Product
from ..domain.stages import Stage
from ..use_cases import conversion, customers, opportunities, overview, products, stages
from . import activities_grpc, stream
from .activities_grpc import user_from


def _given(message) -> dict[str, Any]:
    """The fields set on a `*Fields` message; Money as {"amount", "currency"}."""
    values = {}
    for field in message.DESCRIPTOR.fields:
        if message.HasField(field.name):
            value = getattr(message, field.name)
            values[field.name] = {"amount": value.amount, "currency": value.currency} if isinstance(
                value, sales_pb2.Money) else value
    return values


def _optional(message_type, **values):
    """A message without the fields whose value is None (unset optional fields)."""
    return message_type(**{name: value for name, value in values.items() if value is not None})


def _version(request) -> int | None:
    return request.expected_version if request.HasField("expected_version") else None


def _times(record) -> dict[str, Any]:
    return {"created_at": rfc3339(record.created_at), "updated_at": rfc3339(record.updated_at),
            "version": record.version}


def account_message(account: Account) -> sales_pb2.Account:
    return _optional(sales_pb2.Account, **{name: getattr(account, name) for name in (
        "id", "name", "domain", "industry", "employees", "country", "website", "phone", "description", "owner_id",
        "parent_id")}, **_times(account))


def contact_message(contact: Contact) -> sales_pb2.Contact:
    return _optional(sales_pb2.Contact, **{name: getattr(contact, name) for name in (
        "id", "account_id", "first_name", "last_name", "email", "phone", "title", "owner_id", "lead_id")},
        **_times(contact))


def product_message(product: Product) -> sales_pb2.Product:
    return _optional(sales_pb2.Product, **{name: getattr(product, name) for name in (
        "id", "name", "code", "description", "family", "active")}, **_times(product),
        list_price=sales_pb2.Money(amount=money.text(product.list_price), currency=product.currency))


def _line_item_message(item: LineItem) -> sales_pb2.LineItem:
    return sales_pb2.LineItem(id=item.id, product_id=item.product_id, product_name=item.product_name,
                              quantity=money.text(item.quantity), unit_price=money.text(item.unit_price),
                              discount=money.text(item.discount), total=money.text(item.total),
                              position=item.position)


def opportunity_message(o: Opportunity, account_name: str | None = None) -> sales_pb2.Opportunity:
    return _optional(
        sales_pb2.Opportunity,
        **{name: o.value(name) for name in (
            "id", "name", "account_id", "owner_id", "amount", "currency", "close_date", "stage", "probability",
            "forecast_category", "forecast_category_overridden", "next_step", "description", "lead_id",
            "primary_contact_id", "loss_reason", "is_closed", "is_won", "closed_at")},
        referrals=[sales_pb2.ReferralRef(**{k: str(v) for k, v in r.items() if v is not None}) for r in o.referrals],
        line_items=[_line_item_message(item) for item in o.line_items], **_times(o), account_name=account_name,
    )


def _stage_message(stage: Stage) -> sales_pb2.Stage:
    return sales_pb2.Stage(**stage.document())


def _stages_message(path: stages.SalesPath) -> sales_pb2.Stages:
    return _optional(sales_pb2.Stages, stages=[_stage_message(s) for s in path.stages], version=path.version,
                     updated_at=rfc3339(path.updated_at) if path.updated_at else None, updated_by=path.updated_by)


def _stage_change_message(change: dict[str, Any]) -> sales_pb2.StageChange:
    return _optional(
        sales_pb2.StageChange, at=rfc3339(change["at"]), actor_id=change["actor_id"],
        from_stage=change["from_stage"], to_stage=change["to_stage"],
        amount=money.text(change["amount"]) if change["amount"] is not None else None, currency=change["currency"],
        close_date=change["close_date"].isoformat() if change["close_date"] else None,
        probability=change["probability"], forecast_category=change["forecast_category"],
    )


def _history_entry_message(entry: dict[str, Any]) -> sales_pb2.HistoryEntry:
    return _optional(sales_pb2.HistoryEntry, seq=entry["seq"], at=rfc3339(entry["at"]), actor_id=entry["actor_id"],
                     action=entry["action"], changes_json=json.dumps(entry["changes"]),
                     correlation_id=entry["correlation_id"])


def _stage_document(stage: sales_pb2.Stage) -> dict[str, Any]:
    return {"name": stage.name, "probability": stage.probability, "forecast_category": stage.forecast_category,
            "is_closed": stage.is_closed, "is_won": stage.is_won, "guidance": stage.guidance,
            "requirements": list(stage.requirements)}


def _lead(request: sales_pb2.ConvertLeadRequest) -> conversion.LeadToConvert:
    optional = {name: getattr(request, name) for name in (
        "email", "phone", "title", "industry", "country", "employees", "lead_owner_id", "account_id",
        "opportunity_name", "close_date") if request.HasField(name)}
    if request.HasField("amount"):
        optional["amount"] = {"amount": request.amount.amount, "currency": request.amount.currency}
    referrals = [{field.name: getattr(r, field.name) for field in r.DESCRIPTOR.fields} for r in request.referrals]
    return conversion.LeadToConvert(lead_id=request.lead_id, first_name=request.first_name,
                                    last_name=request.last_name, company=request.company, referrals=referrals,
                                    **optional)


def _filters(request, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(request, name) for name in names if request.HasField(name)}


class SalesServicer(sales_pb2_grpc.SalesServicer):
    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    def _write(self, use_case, *args, **kwargs):
        with transaction(self.sessions) as session:
            return use_case(session, *args, **kwargs)

    def _read(self, use_case, *args, **kwargs):
        with self.sessions() as session:
            return use_case(session, *args, **kwargs)

    def _create(self, use_case, render, empty, context, values, request):
        made = self._write(use_case, user_from(context), values, validate_only=request.validate_only)
        return render(made) if made else empty()

    def _update(self, use_case, render, empty, context, request):
        changed = self._write(use_case, user_from(context), request.id, _given(request.changes),
                              clear=list(request.clear), expected_version=_version(request),
                              validate_only=request.validate_only)
        return render(changed) if changed else empty()

    def _history(self, use_case, context, request):
        entries, token = self._read(use_case, user_from(context), request.id, page_size=request.page_size,
                                    page_token=request.page_token)
        return sales_pb2.HistoryReply(entries=[_history_entry_message(e) for e in entries],
                                      next_page_token=token or "")

    # -- accounts --------------------------------------------------------------------------
    @rpc_method
    def CreateAccount(self, request, context):
        return self._create(customers.create_account, account_message, sales_pb2.Account, context,
                            _given(request.account), request)

    @rpc_method
    def GetAccount(self, request, context):
        return account_message(self._read(customers.get_account, user_from(context), request.id))

    @rpc_method
    def ListAccounts(self, request, context):
        found, token = self._read(customers.list_accounts, user_from(context),
                                  **_filters(request, ("owner_id", "q", "domain", "parent_id")),
                                  page_size=request.page_size, page_token=request.page_token)
        return sales_pb2.ListAccountsReply(accounts=[account_message(a) for a in found], next_page_token=token or "")

    @rpc_method
    def UpdateAccount(self, request, context):
        return self._update(customers.update_account, account_message, sales_pb2.Account, context, request)

    @rpc_method
    def ListAccountHistory(self, request, context):
        return self._history(customers.account_history, context, request)

    @rpc_method
    def GetAccountOverview(self, request, context):
        found = self._read(overview.account_overview, user_from(context), request.id,
                           activity_limit=request.activity_limit)
        return sales_pb2.AccountOverview(
            account=account_message(found.account), contacts=[contact_message(c) for c in found.contacts],
            open_opportunities=[opportunity_message(o) for o in found.open_opportunities],
            closed_opportunities=[opportunity_message(o) for o in found.closed_opportunities],
            recent_activities=[activities_grpc.activity_message(row) for row in found.recent_activities],
            children=[account_message(a) for a in found.children],
        )

    # -- contacts --------------------------------------------------------------------------
    @rpc_method
    def CreateContact(self, request, context):
        return self._create(customers.create_contact, contact_message, sales_pb2.Contact, context,
                            _given(request.contact), request)

    @rpc_method
    def GetContact(self, request, context):
        return contact_message(self._read(customers.get_contact, user_from(context), request.id))

    @rpc_method
    def ListContacts(self, request, context):
        found, token = self._read(customers.list_contacts, user_from(context),
                                  **_filters(request, ("account_id", "owner_id", "q", "email")),
                                  page_size=request.page_size, page_token=request.page_token)
        return sales_pb2.ListContactsReply(contacts=[contact_message(c) for c in found], next_page_token=token or "")

    @rpc_method
    def UpdateContact(self, request, context):
        return self._update(customers.update_contact, contact_message, sales_pb2.Contact, context, request)

    @rpc_method
    def ListContactHistory(self, request, context):
        return self._history(customers.contact_history, context, request)

    # -- products --------------------------------------------------------------------------
    @rpc_method
    def CreateProduct(self, request, context):
        return self._create(products.create_product, product_message, sales_pb2.Product, context,
                            _given(request.product), request)

    @rpc_method
    def GetProduct(self, request, context):
        return product_message(self._read(products.get_product, user_from(context), request.id))

    @rpc_method
    def ListProducts(self, request, context):
        found, token = self._read(products.list_products, user_from(context), **_filters(request, ("active", "q")),
                                  page_size=request.page_size, page_token=request.page_token)
        return sales_pb2.ListProductsReply(products=[product_message(p) for p in found], next_page_token=token or "")

    @rpc_method
    def UpdateProduct(self, request, context):
        return self._update(products.update_product, product_message, sales_pb2.Product, context, request)

    # -- opportunities ---------------------------------------------------------------------
    @rpc_method
    def CreateOpportunity(self, request, context):
        return self._create(opportunities.create_opportunity, opportunity_message, sales_pb2.Opportunity, context,
                            _given(request.opportunity), request)

    @rpc_method
    def GetOpportunity(self, request, context):
        return opportunity_message(self._read(opportunities.get_opportunity, user_from(context), request.id))

    @rpc_method
    def ListOpportunities(self, request, context):
        found, token = self._read(opportunities.list_opportunities, user_from(context), **_filters(request, (
            "owner_id", "account_id", "stage", "is_closed", "forecast_category", "close_date_from", "close_date_to",
            "q", "lead_id")), page_size=request.page_size, page_token=request.page_token)
        return sales_pb2.ListOpportunitiesReply(opportunities=[opportunity_message(o) for o in found],
                                                next_page_token=token or "")

    @rpc_method
    def UpdateOpportunity(self, request, context):
        return self._update(opportunities.update_opportunity, opportunity_message, sales_pb2.Opportunity, context,
                            request)

    @rpc_method
    def AddLineItem(self, request, context):
        changed = self._write(opportunities.add_line_item, user_from(context), request.opportunity_id,
                              _given(request.line_item), expected_version=_version(request),
                              validate_only=request.validate_only)
        return opportunity_message(changed) if changed else sales_pb2.Opportunity()

    @rpc_method
    def UpdateLineItem(self, request, context):
        changed = self._write(opportunities.update_line_item, user_from(context), request.opportunity_id,
                              request.line_item_id, _given(request.changes), expected_version=_version(request),
                              validate_only=request.validate_only)
        return opportunity_message(changed) if changed else sales_pb2.Opportunity()

    @rpc_method
    def RemoveLineItem(self, request, context):
        return opportunity_message(self._write(opportunities.remove_line_item, user_from(context),
                                               request.opportunity_id, request.line_item_id,
                                               expected_version=_version(request)))

    @rpc_method
    def GetStageHistory(self, request, context):
        changes = self._read(opportunities.stage_history, user_from(context), request.opportunity_id)
        return sales_pb2.StageHistoryReply(changes=[_stage_change_message(c) for c in changes])

    @rpc_method
    def ListOpportunityHistory(self, request, context):
        return self._history(opportunities.opportunity_history, context, request)

    # -- the Sales Path --------------------------------------------------------------------
    @rpc_method
    def GetStages(self, request, context):
        return _stages_message(self._read(stages.get_stages, user_from(context)))

    @rpc_method
    def PutStages(self, request, context):
        return _stages_message(self._write(stages.put_stages, user_from(context),
                                           [_stage_document(s) for s in request.stages],
                                           expected_version=_version(request)))

    # -- lead conversion -------------------------------------------------------------------
    @rpc_method
    def ConvertLead(self, request, context):
        done = conversion.convert_lead(self.sessions, user_from(context), _lead(request))
        return sales_pb2.ConvertLeadReply(lead_id=done.lead_id, account_id=done.account_id,
                                          contact_id=done.contact_id, opportunity_id=done.opportunity_id,
                                          account_created=done.account_created, replayed=done.replayed)

    # -- other services' copies ------------------------------------------------------------
    @rpc_method
    def StreamOpportunities(self, request, context):
        # Checked before the first message: a refusal is a status, not a broken stream.
        stream.check_may_stream(caller_from(context))  # also the role `service`
        limit = stream.page_size(request.page_size)
        return (opportunity_message(o, account_name=name) for o, name in stream.all_opportunities(self.sessions, limit))


def register(server, engine: Engine) -> list[str]:
    sales_pb2_grpc.add_SalesServicer_to_server(SalesServicer(engine), server)
    return [sales_pb2.DESCRIPTOR.services_by_name["Sales"].full_name, *activities_grpc.register(server, engine)]

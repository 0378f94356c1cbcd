"""The product catalogue: every sales user reads it, admins keep it."""
from __future__ import annotations

import uuid
from typing import Any, Iterable, Mapping

from sqlalchemy.orm import Session
from tandem_plumbing.failures import Caller, Failure

from ..adapters import repository
from ..domain import access
from ..domain.products import Product, parse_product
from .common import check_version, decode_token, limit_of, not_found, now, paged


def _check_code(session: Session, code: str | None, product_id: str | None = None) -> None:
    if code is None:
        return
    holder = repository.product_with_code(session, code)
    if holder is not None and holder != product_id:
        raise Failure("conflict", "duplicate_code", f"another product has the code {code}",
                      {"existing_id": holder})


def create_product(session: Session, caller: Caller, values: Mapping[str, Any], *,
                   validate_only: bool = False) -> Product | None:
    access.check_admin(caller)
    fields = parse_product(values, new=True)
    _check_code(session, fields.get("code"))
    if validate_only:
        return None
    at = now()
    product = Product(id=uuid.uuid4().hex, name=fields["name"], code=fields.get("code"),
                      description=fields.get("description"), family=fields.get("family"),
                      list_price=fields["list_price"], currency=fields["currency"], active=fields.get("active", True),
                      created_at=at, updated_at=at, version=1)
    repository.insert_product(session, product)
    return product


def get_product(session: Session, caller: Caller, product_id: str) -> Product:
    access.check_sales(caller)
    product = repository.get_product(session, product_id)
    if product is None:
        raise not_found("product", product_id)
    return product


def update_product(session: Session, caller: Caller, product_id: str, values: Mapping[str, Any], *,
                   clear: Iterable[str] = (), expected_version: int | None = None,
                   validate_only: bool = False) -> Product | None:
    """A new price applies to line items added from now on; those on deals keep theirs."""
    access.check_admin(caller)
    changes = parse_product(values, clear=clear, new=False)
    product = repository.get_product(session, product_id, for_update=True)
    if product is None:
        raise not_found("product", product_id)
    check_version("product", product.version, expected_version)
    differences = product.differences(changes)
    if "code" in differences:
        _check_code(session, changes["code"], product.id)
    if validate_only or not differences:
        return None if validate_only else product
    changed = product.with_changes(**changes, version=product.version + 1, updated_at=now())
    repository.save_product(session, changed)
    return changed


def list_products(session: Session, caller: Caller, *, active: bool | None = None, q: str | None = None,
                  page_size: int = 0, page_token: str = "") -> tuple[list[Product], str | None]:
    """By name."""
    after = decode_token(page_token, 2)
    access.check_sales(caller)
    limit = limit_of(page_size)
    found = repository.page_products(session, limit=limit + 1, after=after, active=active, q=q)
    return paged(found, limit, lambda p: [p.name, p.id])

"""When two leads are the same person: the same email (trimmed, case-insensitive), or
the same name at the same company (case and spacing ignored, and the legal-form
suffixes that people write or leave out: "Acme Inc." is "ACME")."""
from __future__ import annotations

import re

# Trailing words that only name a legal form.
COMPANY_SUFFIXES = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "llp", "lp", "plc",
    "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "as", "pty", "kk",
})
_WORD = re.compile(r"\w+")


def email_key(email: str | None) -> str | None:
    key = (email or "").strip().casefold()
    return key or None


def company_key(company: str | None) -> str:
    words = _WORD.findall((company or "").casefold())
    while len(words) > 1 and words[-1] in COMPANY_SUFFIXES:
        words.pop()
    return " ".join(words)


def name_key(first_name: str | None, last_name: str | None, company: str | None) -> str | None:
    """The person at the company; None when either is unknown (nothing to match on)."""
    name = " ".join(_WORD.findall(f"{first_name or ''} {last_name or ''}".casefold()))
    company = company_key(company)
    return f"{name}|{company}" if name and company else None

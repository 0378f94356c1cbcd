"""Lead scores from 0 to 100 that explain themselves.

A score is the sum of factors, each with its points and the reason; when the sum
leaves 0..100 a `clamp` factor brings it back, so the factors always add up to the
score. The weights are a document an admin may replace (`validate_weights`):

- fit: `title_seniority` (the first tier whose keyword is a word of the title),
  `company_size` (the band with the largest `min` not above `employees`), `industry`
  (case-insensitive), `country` (ISO code);
- `source`: points per source; a service referral counts for most by default, because
  the customer already trusts us;
- `engagement`: points per attached referral (up to `max_referrals`), and for a phone
  number and a description being known.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from .leads import SOURCES, ScoreFactor, invalid

MIN_SCORE, MAX_SCORE = 0, 100
MAX_POINTS = 100  # per weight, either sign

DEFAULT_WEIGHTS: dict[str, Any] = {
    "title_seniority": [
        {"level": "executive", "points": 20,
         "keywords": ["chief", "ceo", "cto", "cfo", "coo", "cio", "cmo", "founder", "owner", "president"]},
        {"level": "senior", "points": 15, "keywords": ["vp", "vice president", "head", "director"]},
        {"level": "manager", "points": 8, "keywords": ["manager", "lead", "principal"]},
    ],
    "company_size": [
        {"min": 1000, "points": 20},
        {"min": 200, "points": 15},
        {"min": 50, "points": 10},
        {"min": 10, "points": 5},
    ],
    "industry": {"software": 10, "technology": 10, "financial services": 10, "healthcare": 8, "manufacturing": 6},
    "country": {"US": 5, "CA": 5, "GB": 5, "DE": 5, "FR": 5, "NL": 5, "AU": 5},
    "source": {"service_referral": 30, "referral": 20, "partner": 15, "event": 10, "web": 5, "email": 5,
               "phone": 5, "other": 0},
    "engagement": {"per_referral": 10, "max_referrals": 2, "phone": 3, "description": 2},
}
SECTIONS = tuple(DEFAULT_WEIGHTS)
ENGAGEMENT_KEYS = tuple(DEFAULT_WEIGHTS["engagement"])


def _title_tier(title: str, tiers: list[dict]) -> tuple[dict, str] | None:
    words = " ".join(re.findall(r"\w+", title.casefold()))
    for tier in tiers:
        for keyword in tier["keywords"]:
            if re.search(rf"\b{re.escape(keyword.casefold())}\b", words):
                return tier, keyword
    return None


def score(lead: Mapping[str, Any], referral_count: int, weights: Mapping[str, Any]) -> tuple[int, list[ScoreFactor]]:
    """(score, factors) of a lead's fields (a Lead's attributes or a dict of them)."""
    factors: list[ScoreFactor] = []

    def add(factor: str, points: int, reason: str) -> None:
        if points:
            factors.append(ScoreFactor(factor, points, reason))

    if lead.get("title"):
        found = _title_tier(lead["title"], weights["title_seniority"])
        if found:
            tier, keyword = found
            add("title_seniority", tier["points"], f'{tier["level"]}: the title "{lead["title"]}" says {keyword}')
    if lead.get("employees") is not None:
        for band in sorted(weights["company_size"], key=lambda b: -b["min"]):
            if lead["employees"] >= band["min"]:
                add("company_size", band["points"], f'{lead["employees"]} employees ({band["min"]} or more)')
                break
    if lead.get("industry"):
        points = {k.casefold(): v for k, v in weights["industry"].items()}.get(lead["industry"].casefold(), 0)
        add("industry", points, f'industry {lead["industry"]}')
    if lead.get("country"):
        add("country", weights["country"].get(lead["country"], 0), f'country {lead["country"]}')
    source = lead.get("source")
    add("source", weights["source"].get(source, 0),
        "referred by our service team: the customer already trusts us" if source == "service_referral"
        else f"source {source}")
    engagement = weights["engagement"]
    counted = min(referral_count, engagement["max_referrals"])
    add("referrals", counted * engagement["per_referral"],
        f"{referral_count} service referral(s)" + (f", {counted} counted" if counted < referral_count else ""))
    if lead.get("phone"):
        add("phone", engagement["phone"], "a phone number is known")
    if lead.get("description"):
        add("description", engagement["description"], "a description is given")

    total = sum(f.points for f in factors)
    clamped = max(MIN_SCORE, min(MAX_SCORE, total))
    if clamped != total:
        factors.append(ScoreFactor("clamp", clamped - total, f"scores stay within {MIN_SCORE}-{MAX_SCORE}"))
    return clamped, factors


# -- the weights document ----------------------------------------------------------------
def _points(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_POINTS <= value <= MAX_POINTS:
        return f"must be a whole number from {-MAX_POINTS} to {MAX_POINTS}"
    return None


def _object(value: Any, path: str, problems: dict, known: tuple[str, ...] | None = None) -> bool:
    if not isinstance(value, dict):
        problems[path] = "must be an object"
        return False
    for key in value:
        if known is not None and key not in known:
            problems[f"{path}.{key}"] = "unknown field"
    return True


def _points_map(value: Any, path: str, problems: dict, key_problem) -> None:
    if not _object(value, path, problems):
        return
    for key, points in value.items():
        problem = key_problem(key) or _points(points)
        if problem:
            problems[f"{path}.{key}"] = problem


def _title_tiers(value: Any, problems: dict) -> None:
    if not isinstance(value, list) or len(value) > 20:
        problems["title_seniority"] = "must be a list of at most 20 tiers"
        return
    for i, tier in enumerate(value):
        path = f"title_seniority[{i}]"
        if not _object(tier, path, problems, ("level", "keywords", "points")):
            continue
        if not isinstance(tier.get("level"), str) or not tier["level"].strip():
            problems[f"{path}.level"] = "is required: a name for the tier"
        keywords = tier.get("keywords")
        if (not isinstance(keywords, list) or not keywords or len(keywords) > 50
                or not all(isinstance(k, str) and k.strip() for k in keywords)):
            problems[f"{path}.keywords"] = "must be a list of 1 to 50 non-empty words"
        if problem := _points(tier.get("points")):
            problems[f"{path}.points"] = problem


def _size_bands(value: Any, problems: dict) -> None:
    if not isinstance(value, list) or len(value) > 20:
        problems["company_size"] = "must be a list of at most 20 bands"
        return
    mins = []
    for i, band in enumerate(value):
        path = f"company_size[{i}]"
        if not _object(band, path, problems, ("min", "points")):
            continue
        low = band.get("min")
        if isinstance(low, bool) or not isinstance(low, int) or low < 0:
            problems[f"{path}.min"] = "must be a whole number of employees, 0 or more"
        elif low in mins:
            problems[f"{path}.min"] = "two bands start at the same size"
        mins.append(low)
        if problem := _points(band.get("points")):
            problems[f"{path}.points"] = problem


def validate_weights(document: Any) -> dict[str, Any]:
    """The weights document, checked whole (every section is required)."""
    problems: dict[str, str] = {}
    if not _object(document, "document", problems, SECTIONS):
        raise invalid(problems)
    for section in SECTIONS:
        if section not in document:
            problems[section] = "is required"
    if "title_seniority" in document:
        _title_tiers(document["title_seniority"], problems)
    if "company_size" in document:
        _size_bands(document["company_size"], problems)
    if "industry" in document:
        _points_map(document["industry"], "industry", problems,
                    lambda key: None if key.strip() else "an industry name must not be empty")
    if "country" in document:
        _points_map(document["country"], "country", problems,
                    lambda key: None if re.fullmatch(r"[A-Z]{2}", key) else "must be an upper-case ISO code")
    if "source" in document:
        _points_map(document["source"], "source", problems,
                    lambda key: None if key in SOURCES else f"must be one of {', '.join(SOURCES)}")
    engagement = document.get("engagement")
    if "engagement" in document and _object(engagement, "engagement", problems, ENGAGEMENT_KEYS):
        for key in ENGAGEMENT_KEYS:
            value = engagement.get(key)
            if key == "max_referrals":
                ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100
                problem = None if ok else "must be a whole number from 0 to 100"
            else:
                problem = _points(value)
            if problem:
                problems[f"engagement.{key}"] = problem if key in engagement else "is required"
    if problems:
        raise invalid(problems, "the scoring weights are invalid")
    return document

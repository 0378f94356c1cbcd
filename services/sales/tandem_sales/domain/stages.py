"""The Sales Path: the ordered stages an opportunity moves through, each with its
probability, forecast category, closed/won flags, guidance for the rep and the
requirements an opportunity must meet to enter it. Admins replace the whole list."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from tandem_plumbing.failures import Failure

from .fields import invalid

PIPELINE, BEST_CASE, COMMIT, CLOSED, OMITTED = "pipeline", "best_case", "commit", "closed", "omitted"
CATEGORIES = (PIPELINE, BEST_CASE, COMMIT, CLOSED, OMITTED)
# What a stage may require of an opportunity (the proto's vocabulary).
LINE_ITEMS, CLOSE_DATE, AMOUNT, PRIMARY_CONTACT, LOSS_REASON, NEXT_STEP = (
    "line_items", "close_date", "amount", "primary_contact", "loss_reason", "next_step")
REQUIREMENTS = (LINE_ITEMS, CLOSE_DATE, AMOUNT, PRIMARY_CONTACT, LOSS_REASON, NEXT_STEP)
MAX_STAGES, MAX_NAME, MAX_GUIDANCE = 30, 100, 2000


@dataclass(frozen=True)
class Stage:
    name: str
    probability: int
    forecast_category: str
    is_closed: bool = False
    is_won: bool = False
    guidance: str = ""
    requirements: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        return {**asdict(self), "requirements": list(self.requirements)}


DEFAULT_STAGES = (
    Stage("Qualification", 10, PIPELINE, guidance="Confirm the need, the budget, who decides and when."),
    Stage("Needs Analysis", 25, PIPELINE,
          guidance="Map the customer's requirements and who else is involved; agree on the next step."),
    Stage("Proposal", 50, BEST_CASE, requirements=(LINE_ITEMS, CLOSE_DATE),
          guidance="Send a priced proposal: add the products as line items and set the expected close date."),
    Stage("Negotiation", 75, COMMIT, requirements=(AMOUNT, PRIMARY_CONTACT),
          guidance="Agree on price and terms with the decision maker, named as the primary contact."),
    Stage("Closed Won", 100, CLOSED, is_closed=True, is_won=True, requirements=(LINE_ITEMS,),
          guidance="Signed: hand over to onboarding and thank the customer (and the agent who referred them)."),
    Stage("Closed Lost", 0, OMITTED, is_closed=True, requirements=(LOSS_REASON,),
          guidance="Record why it was lost, so the team learns from it."),
)


def find(stages: Sequence[Stage], name: str) -> Stage | None:
    return next((stage for stage in stages if stage.name == name), None)


def missing(stage: Stage, facts: Mapping[str, bool]) -> list[str]:
    """The stage's requirements that `facts` (requirement -> met) does not meet, in its order."""
    return [requirement for requirement in stage.requirements if not facts.get(requirement)]


def _stage(n: int, raw: Any, problems: dict[str, str]) -> Stage | None:
    where = f"stages[{n}]"
    if not isinstance(raw, Mapping):
        problems[where] = "must be a stage"
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        problems[f"{where}.name"] = f"must be a name of 1 to {MAX_NAME} characters"
    probability = raw.get("probability")
    if isinstance(probability, bool) or not isinstance(probability, int) or not 0 <= probability <= 100:
        problems[f"{where}.probability"] = "must be a whole number from 0 to 100"
    category = raw.get("forecast_category")
    if category not in CATEGORIES:
        problems[f"{where}.forecast_category"] = f"must be one of {', '.join(CATEGORIES)}"
    is_closed, is_won = raw.get("is_closed", False), raw.get("is_won", False)
    for flag_name, value in (("is_closed", is_closed), ("is_won", is_won)):
        if not isinstance(value, bool):
            problems[f"{where}.{flag_name}"] = "must be true or false"
    if is_won is True and is_closed is not True:
        problems[f"{where}.is_won"] = "only a closed stage is won"
    if category in CATEGORIES and isinstance(is_closed, bool) and (category == CLOSED) != (is_closed and is_won):
        problems[f"{where}.forecast_category"] = "closed is the category of the won stages, and only theirs"
    guidance = raw.get("guidance", "")
    if not isinstance(guidance, str) or len(guidance) > MAX_GUIDANCE:
        problems[f"{where}.guidance"] = f"must be text of at most {MAX_GUIDANCE} characters"
    requirements = raw.get("requirements", ())
    if (not isinstance(requirements, (list, tuple)) or any(r not in REQUIREMENTS for r in requirements)
            or len(set(requirements)) != len(requirements)):
        problems[f"{where}.requirements"] = f"must be distinct names among {', '.join(REQUIREMENTS)}"
    unknown = set(raw) - {"name", "probability", "forecast_category", "is_closed", "is_won", "guidance",
                          "requirements"}
    for name_ in sorted(unknown):
        problems[f"{where}.{name_}"] = "unknown field"
    if any(key.startswith(where + ".") for key in problems):
        return None
    return Stage(name.strip(), probability, category, is_closed, is_won, guidance.strip(), tuple(requirements))


def parse_stages(raw: Any) -> tuple[Stage, ...]:
    """A whole Sales Path as an admin sent it; every problem named at once."""
    problems: dict[str, str] = {}
    if not isinstance(raw, (list, tuple)) or not raw:
        raise invalid({"stages": "must be a non-empty list of stages"})
    if len(raw) > MAX_STAGES:
        raise invalid({"stages": f"must have at most {MAX_STAGES} stages"})
    stages = [_stage(n, item, problems) for n, item in enumerate(raw)]
    names = [stage.name.casefold() for stage in stages if stage]
    for n, stage in enumerate(stages):
        if stage and names.count(stage.name.casefold()) > 1:
            problems[f"stages[{n}].name"] = "is used by another stage"
    if not problems:
        whole = []
        if stages[0].is_closed:
            whole.append("the first stage, where new opportunities start, must be open")
        if not any(s.is_closed and s.is_won for s in stages):
            whole.append("there must be a closed won stage")
        if not any(s.is_closed and not s.is_won for s in stages):
            whole.append("there must be a closed lost stage")
        if whole:
            problems["stages"] = "; ".join(whole)
    if problems:
        raise invalid(problems)
    return tuple(stages)


def check_not_dropped(new: Sequence[Stage], in_use: Mapping[str, int]) -> None:
    """An admin may not drop a stage that opportunities are in (they would have no stage)."""
    kept = {stage.name for stage in new}
    dropped = sorted(name for name, count in in_use.items() if count and name not in kept)
    if dropped:
        raise Failure("rule", "stage_in_use", "opportunities are in stages this list drops: move them first",
                      {"stages": dropped, "opportunities": {name: in_use[name] for name in dropped}})

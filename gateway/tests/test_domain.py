"""Identity's rules, without any I/O."""
from datetime import datetime, timezone

import pytest

from tandem_gateway.identity import domain
from tandem_gateway.identity.domain import RuleViolation, User, ValidationFailed

NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)


def user(id="u1", role="sales_rep", active=True, manager_id=None) -> User:
    return User(id, f"{id}@x.io", id, role, manager_id, active, NOW, NOW, 1, "hash")


def test_a_new_user_is_normalised():
    new = domain.parse_new_user(
        {"email": "  Ann@Example.COM ", "name": " Ann ", "password": "x" * 10, "role": "sales_rep"}
    )
    assert (new.email, new.name, new.manager_id) == ("ann@example.com", "Ann", None)


def test_every_bad_field_is_named():
    with pytest.raises(ValidationFailed) as caught:
        domain.parse_new_user({"email": "nope", "password": "short", "role": "boss", "manager_id": 7, "extra": 1})
    assert set(caught.value.fields) == {"email", "name", "password", "role", "manager_id", "extra"}
    assert caught.value.fields["name"] == "is required"
    assert caught.value.fields["extra"] == "unknown field"
    assert "10" in caught.value.fields["password"]


def test_changes_reject_unknown_and_fixed_fields():
    with pytest.raises(ValidationFailed) as caught:
        domain.parse_changes({"email": "a@b.co", "colour": "red", "active": "yes"})
    assert caught.value.fields == {
        "email": "cannot be changed",
        "colour": "unknown field",
        "active": "must be true or false",
    }


def test_who_may_change_what():
    admin, rep, other = user("a", "admin"), user("r"), user("o")
    domain.check_may_change(admin, other, {"role": "admin", "active": False})
    domain.check_may_change(rep, rep, {"name": "R", "password": "p" * 10, "current_password": "x"})
    with pytest.raises(domain.NotAllowed):
        domain.check_may_change(rep, rep, {"role": "admin"})
    with pytest.raises(domain.NotAllowed):
        domain.check_may_edit(rep, other)
    assert domain.needs_current_password(rep, rep, {"password": "p"})
    assert not domain.needs_current_password(admin, admin, {"password": "p"})
    assert domain.needs_current_password(admin, admin, {"password": "p", "current_password": "x"})


@pytest.mark.parametrize(
    "manager, chain, reason",
    [
        (None, [], "no such user"),
        (user("m", "sales_manager", active=False), [], "deactivated"),
        (user("m", "sales_rep"), [], "must be one of"),
        (user("m", "service_agent"), [], "must be one of"),
        (user("m", "sales_manager"), ["top", "u1"], "loop"),
    ],
)
def test_a_manager_must_exist_be_active_able_to_manage_and_not_below(manager, chain, reason):
    with pytest.raises(RuleViolation) as caught:
        domain.check_manager("u1", "m", manager, chain)
    assert caught.value.code == "invalid_manager"
    assert reason in caught.value.fields["manager_id"]


def test_nobody_manages_themselves():
    with pytest.raises(RuleViolation, match="own manager"):
        domain.check_manager("u1", "u1", user("u1", "admin"), [])


@pytest.mark.parametrize("role", ["admin", "sales_manager"])
def test_admins_and_sales_managers_can_manage(role):
    domain.check_manager("u1", "m", user("m", role), ["top"])


def test_losing_the_manager_role_or_deactivating_stops_managing():
    manager = user("m", "sales_manager")
    assert domain.stops_managing(manager, {"active": False})
    assert domain.stops_managing(manager, {"role": "sales_rep"})
    assert not domain.stops_managing(manager, {"role": "admin"})
    assert not domain.stops_managing(user("r"), {"active": False})
    with pytest.raises(RuleViolation) as caught:
        domain.check_reports_remain_managed(2)
    assert caught.value.code == "has_direct_reports"
    domain.check_reports_remain_managed(0)


def test_the_last_admin_remains():
    admin = user("a", "admin")
    assert domain.stops_being_admin(admin, {"role": "sales_manager"})
    assert domain.stops_being_admin(admin, {"active": False})
    assert not domain.stops_being_admin(admin, {"name": "A"})
    with pytest.raises(RuleViolation) as caught:
        domain.check_admins_remain(0)
    assert caught.value.code == "last_admin"


def test_the_directory_entry_is_the_event_shape_and_has_no_hash():
    assert domain.User.__dataclass_fields__["password_hash"].repr is False
    assert set(user().directory_entry()) == {"id", "email", "name", "role", "manager_id", "active", "version"}

"""The manager hierarchy as every service reads it from its directory copy."""
import pytest
from tandem_plumbing.directory import may_see, subtree, visible_owners
from tandem_plumbing.failures import Caller

MANAGERS = {"vp": None, "mgr": "vp", "rep1": "mgr", "rep2": "mgr", "other": None, "loop1": "loop2", "loop2": "loop1"}


def test_a_manager_sees_their_whole_subtree():
    assert subtree("vp", MANAGERS) == {"vp", "mgr", "rep1", "rep2"}
    assert subtree("loop1", MANAGERS) == {"loop1", "loop2"}  # a stale copy must not spin


@pytest.mark.parametrize("role, expected", [
    ("admin", None),
    ("sales_manager", {"mgr", "rep1", "rep2"}),
    ("sales_rep", {"mgr"}),
    ("service_agent", set()),
])
def test_visible_owners_by_role(role, expected):
    assert visible_owners(Caller("mgr", role), MANAGERS) == expected


def test_may_see_an_owner_among_the_visible_or_anyone_when_all_are():
    assert may_see(None, "anyone") and may_see({"rep1"}, "rep1")
    assert not may_see({"rep1"}, "rep2") and not may_see(set(), None)

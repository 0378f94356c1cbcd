"""Helpers shared by the cross-service tests under tests/."""
import socket

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def free_port_factory():
    return free_port

"""Configuration from the environment."""
from pathlib import Path

import pytest

from tandem_plumbing import settings


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("CRM_DATA_DIR", "AMQP_URI", "LEADS_DATABASE_URL", "LEADS_GRPC_PORT", "LEADS_GRPC_ADDR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env, tmp_path):
    clean_env.chdir(tmp_path)
    assert settings.amqp_uri() == "amqp://guest:guest@127.0.0.1:5672/"
    assert settings.database_url("leads") == f"sqlite:///{tmp_path / 'data' / 'leads.db'}"
    assert settings.grpc_port("leads") == 50051
    assert settings.grpc_addr("service_desk") == "127.0.0.1:50053"
    assert settings.Settings.from_env("leads") == settings.Settings(
        service="leads", database_url=f"sqlite:///{tmp_path / 'data' / 'leads.db'}",
        amqp_uri="amqp://guest:guest@127.0.0.1:5672/",
    )


def test_environment_overrides_and_empty_means_unset(clean_env, tmp_path):
    clean_env.setenv("CRM_DATA_DIR", str(tmp_path / "d"))
    clean_env.setenv("LEADS_GRPC_PORT", "6000")
    clean_env.setenv("AMQP_URI", "")
    assert settings.database_url("leads") == f"sqlite:///{Path(tmp_path / 'd' / 'leads.db')}"
    assert settings.grpc_addr("leads") == "127.0.0.1:6000"
    assert settings.amqp_uri() == settings.DEFAULT_AMQP_URI
    clean_env.setenv("LEADS_DATABASE_URL", "postgresql://postgres@db/leads")
    clean_env.setenv("LEADS_GRPC_ADDR", "leads.internal:7000")
    assert settings.database_url("leads") == "postgresql://postgres@db/leads"
    assert settings.grpc_addr("leads") == "leads.internal:7000"

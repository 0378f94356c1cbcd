"""An events process must never import grpc (it hangs under eventlet): every service's
nameko module is imported in a fresh interpreter and grpc must not come along."""
import subprocess
import sys

import pytest

SERVICES = ["leads", "sales", "service_desk", "forecast", "notify"]


@pytest.mark.parametrize("service", SERVICES)
def test_events_module_does_not_import_grpc(service):
    code = f"import sys, tandem_{service}.adapters.events; print('grpc' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

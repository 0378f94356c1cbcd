"""The events role's runner refuses a process that is not green (a service's events process
for real: services/leads/tests/consumers/test_events_role.py)."""
import os
import sys

from eventlet.green import subprocess


def test_runner_refuses_a_process_that_is_not_green(capsys):
    """Without the patch, or with psycopg imported first, one query would stall every worker."""
    check = "from tandem_plumbing.nameko_runner import check_green; check_green(); print('green')"
    cases = {
        "not patched": check,
        "psycopg imported first": "import eventlet; eventlet.monkey_patch(); import psycopg; " + check,
        "done right": "import eventlet; eventlet.monkey_patch(); import os; "
                      "os.environ['PSYCOPG_WAIT_FUNC'] = 'wait_select'; import psycopg; " + check,
    }
    env = {k: v for k, v in os.environ.items() if k != "PSYCOPG_WAIT_FUNC"}
    results = {}
    for name, code in cases.items():
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
        results[name] = "green" if done.returncode == 0 else done.stderr.strip().splitlines()[-1]
    with capsys.disabled():
        print(f"\n[check_green] {results}")
    assert results["done right"] == "green"
    assert "monkey_patch" in results["not patched"]
    assert "PSYCOPG_WAIT_FUNC" in results["psycopg imported first"]

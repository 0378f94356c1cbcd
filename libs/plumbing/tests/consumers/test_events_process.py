"""`tandem-leads events` (cli -> nameko_runner) as a real process: it consumes, and
SIGTERM stops it cleanly."""
import os
import signal
import sys
import time
from importlib.resources import files

from eventlet.green import subprocess
from sqlalchemy import text

from tandem_plumbing.consumer import declare_queues
from tandem_plumbing.db import make_engine
from tandem_plumbing.migrations import upgrade


def test_events_process_consumes_and_stops_on_sigterm(vhost_uri, make_database, publisher_factory, tools, tmp_path,
                                                      capsys):
    url = make_database("leads_proc")
    upgrade(files("tandem_leads") / "migrations", url)
    from tandem_leads.adapters.events import LeadsEvents

    declare_queues(LeadsEvents, vhost_uri)
    env = {**os.environ, "AMQP_URI": vhost_uri, "LEADS_DATABASE_URL": url, "LOG_LEVEL": "INFO"}
    env.pop("PSYCOPG_WAIT_FUNC", None)  # the events role must set it itself
    log = open(tmp_path / "events.log", "w+")
    exe = os.path.join(os.path.dirname(sys.executable), "tandem-leads")
    proc = subprocess.Popen([exe, "events"], env=env, stdout=log, stderr=subprocess.STDOUT)
    engine = make_engine(url)
    try:
        user = {"id": "u-1", "email": "a@example.com", "name": "A", "role": "rep", "manager_id": None,
                "active": True, "version": 1}
        publisher_factory(vhost_uri).event(tools.envelope({"user": user}, source="gateway", type_="user_created"))

        def applied():
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM reps")).scalar_one()

        tools.wait_for(lambda: applied() == 1 or proc.poll() is not None, what="the events process to apply it")
        assert proc.poll() is None, "the events process exited"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        stopped_in = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        engine.dispose()
        log.seek(0)
        output = log.read()
        log.close()
    with capsys.disabled():
        print(f"\n[events process] applied=1, SIGTERM -> exit code {rc} in {stopped_in:.2f}s")
    assert rc == 0, output
    assert "consuming events as leads" in output


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

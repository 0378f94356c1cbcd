"""scripts/check-protos-breaking.sh on a copy of protos/: the current protos pass against
the last release, and a removed or renumbered field, a changed type or a lint finding fail
it, naming what broke. buf comes from the npm registry (pinned, into .tools/)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check-protos-breaking.sh"
OPS = "tandem/common/v1/ops.proto"


@pytest.fixture
def protos(tmp_path) -> Path:
    """A copy of protos/ (the .proto files, buf.yaml, the release images)."""
    copy = tmp_path / "protos"
    shutil.copytree(ROOT / "protos", copy, ignore=lambda d, names: [
        n for n in names if n.endswith((".py", ".pyi")) or n in ("__pycache__", "events", "pyproject.toml")])
    return copy


def check(protos: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(["bash", str(SCRIPT), str(protos)], capture_output=True, text=True, timeout=300)
    if done.returncode == 3:
        pytest.skip(f"buf could not be installed from the npm registry: {done.stderr.strip()[-300:]}")
    return done


def edit(protos: Path, old: str, new: str) -> None:
    path = protos / OPS
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_the_current_protos_pass_against_the_last_release(protos):
    done = check(protos)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("old, new, expected", [
    ("  int64 outbox_unroutable = 5; // events no queue was bound for\n", "",
     'Previously present field "5" with name "outbox_unroutable" on message "StatusReply" was deleted'),
    ("string schema_revision = 3;", "string schema_revision = 7;",
     'Previously present field "3" with name "schema_revision" on message "StatusReply" was deleted'),
    ("int64 outbox_pending = 4;", "int32 outbox_pending = 4;",
     'Field "4" with name "outbox_pending" on message "StatusReply" changed type from "int64" to "int32"'),
    ("string started_at = 6;", "string startedAt = 6;",
     'Field "6" on message "StatusReply" changed name from "started_at" to "startedAt"'),
], ids=["field removed", "field renumbered", "type changed", "field renamed"])
def test_a_breaking_change_fails_and_says_what_broke(protos, old, new, expected):
    edit(protos, old, new)
    done = check(protos)
    assert done.returncode == 1, done.stdout + done.stderr
    assert expected in done.stdout + done.stderr


def test_an_added_field_is_no_break(protos):
    edit(protos, "  string started_at = 6;", "  string started_at = 6;\n  int64 parked = 7;")
    done = check(protos)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_lint_finding_fails(protos):
    edit(protos, "message StatusRequest {}", "message StatusRequest {}\nmessage status_probe {}")
    done = check(protos)
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'Message name "status_probe" should be PascalCase' in done.stdout + done.stderr

"""The CLI through its real binary: workspace create, migrate, verify catching an edited row."""
import json
import sqlite3

from conftest import run_cli


def test_workspace_create_prints_a_working_first_key(database):
    result = run_cli("workspace", "create", "--name", "Acme", "--time-zone", "Europe/Berlin", "--database", database)
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert lines["workspace"].startswith("ws_")
    assert lines["api key"].startswith("cc_")
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT hash FROM api_keys").fetchall()
    assert len(stored) == 1 and lines["api key"] not in stored[0][0]


def test_workspace_create_refuses_a_bad_time_zone(database):
    result = run_cli("workspace", "create", "--name", "Acme", "--time-zone", "Mars/Olympus", "--database", database,
                     check=False)
    assert result.returncode != 0
    assert "invalid_request" in result.stderr + result.stdout


def test_migrate_is_repeatable(database):
    assert run_cli("migrate", "--database", database).returncode == 0
    assert run_cli("migrate", "--database", database).returncode == 0


def test_verify_exits_non_zero_when_a_row_was_edited_behind_the_ledgers_back(server, database):
    workspace = server.create_workspace(credits=10)
    assert run_cli("verify", "--database", database).returncode == 0
    server.terminate()
    with sqlite3.connect(database) as db:
        db.execute("UPDATE lots SET remaining = remaining - 3")
    result = run_cli("verify", "--database", database, check=False)
    assert result.returncode == 1
    assert "MISMATCH lot" in result.stdout
    assert "remaining is 7 but the entries give 10" in result.stdout


def test_bench_preflight_prints_the_send_step_figures_as_a_json_line():
    result = run_cli("bench", "preflight", "--recipients", "1000", "--numbers", "3")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["recipients"] == 1000
    assert figures["minimum_calls"] == 1000
    assert figures["dnc_filtered"] == 10
    assert figures["maximum_calls"] == 3000 - 10

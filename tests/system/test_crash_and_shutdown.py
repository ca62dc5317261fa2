"""An acknowledged write survives SIGKILL; SIGTERM drains and loses nothing; verify stays clean."""
import threading
import time

import requests

from conftest import Server, burst_of_holds, run_cli


def held_on_restart(database: str, key: str, attempts: list[str]) -> tuple[list[str], dict]:
    restarted = Server(database).start()
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        missing = [a for a in attempts if session.get(restarted.url + f"/v1/holds/{a}", timeout=5).status_code != 200]
        balance = session.get(restarted.url + "/v1/balance", timeout=5).json()
        return missing, balance
    finally:
        restarted.terminate()


def test_sigkill_mid_burst_loses_no_acknowledged_hold(server, database):
    workspace = server.create_workspace(credits=1_000_000)
    stop = threading.Event()
    acknowledged, workers = burst_of_holds([server], workspace["key"], threads=32, stop=stop)
    time.sleep(2.0)
    server.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert len(acknowledged) > 100, "the burst should have been acknowledged many holds before the kill"
    missing, balance = held_on_restart(database, workspace["key"], list(acknowledged))
    assert missing == []
    assert balance["held"] >= len(acknowledged)
    assert balance["available"] + balance["held"] == 1_000_000
    verify = run_cli("verify", "--database", database, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "clean" in verify.stdout


def test_sigterm_mid_burst_shuts_down_gracefully_and_loses_nothing(server, database):
    workspace = server.create_workspace(credits=1_000_000)
    stop = threading.Event()
    acknowledged, workers = burst_of_holds([server], workspace["key"], threads=16, stop=stop)
    time.sleep(1.0)
    code = server.terminate()
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert code == 0
    missing, _ = held_on_restart(database, workspace["key"], list(acknowledged))
    assert missing == []
    assert run_cli("verify", "--database", database, check=False).returncode == 0

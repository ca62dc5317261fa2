"""Several `callcredits serve` processes on one PostgreSQL database."""
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import POSTGRES_URL, Server, burst_of_holds, fresh_postgres_database, run_cli

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="CALLCREDITS_TEST_POSTGRES_URL is not set")


@pytest.fixture
def two_servers():
    url = fresh_postgres_database("instances_" + uuid.uuid4().hex[:12])
    run_cli("migrate", "--database", url)
    servers = [Server(url).start(), Server(url).start()]
    yield url, servers
    for server in servers:
        if server.process.poll() is None:
            server.terminate()


def test_two_instances_hold_exactly_the_wallet_and_land_a_repeated_grant_once(two_servers):
    url, (a, b) = two_servers
    workspace = a.create_workspace(credits=100)
    key = workspace["key"]

    def hold(index: int) -> int:
        server = (a, b)[index % 2]
        response = requests.post(server.url + "/v1/holds", json={"attemptId": f"c{index}"},
                                 headers={"Authorization": f"Bearer {key}"}, timeout=30)
        return response.status_code

    with ThreadPoolExecutor(max_workers=200) as pool:
        codes = list(pool.map(hold, range(200)))
    assert codes.count(201) == 100
    assert codes.count(402) == 100

    def grant(server: Server):
        return server.admin("POST", f"/v1/workspaces/{workspace['id']}/credits",
                            json={"amount": 50, "source": "adjustment", "reason": "both at once"},
                            headers={"Idempotency-Key": "same-key-both-instances"})

    barrier = threading.Barrier(2)
    results = {}

    def send(name: str, server: Server):
        barrier.wait()
        results[name] = grant(server)

    threads = [threading.Thread(target=send, args=(n, s)) for n, s in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in results.values()) == [200, 201]
    assert results["a"].json()["lot"]["id"] == results["b"].json()["lot"]["id"]
    balance = requests.get(b.url + "/v1/balance", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert balance["available"] == 50 and balance["held"] == 100

    verify = run_cli("verify", "--database", url, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_sigkill_of_one_instance_mid_burst_loses_no_acknowledged_hold(two_servers):
    url, (a, b) = two_servers
    workspace = a.create_workspace(credits=1_000_000)
    key = workspace["key"]
    stop = threading.Event()
    acknowledged, workers = burst_of_holds([a, b], key, threads=32, stop=stop)
    time.sleep(2.0)
    a.kill()
    time.sleep(1.0)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert len(acknowledged) > 100
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    missing = [t for t in acknowledged if session.get(b.url + f"/v1/holds/{t}", timeout=10).status_code != 200]
    assert missing == []
    balance = session.get(b.url + "/v1/balance", timeout=10).json()
    assert balance["held"] >= len(acknowledged)
    assert balance["available"] + balance["held"] == 1_000_000
    verify = run_cli("verify", "--database", url, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr

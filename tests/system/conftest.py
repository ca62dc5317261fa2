"""Process-level tests: the real `callcredits` binary, real HTTP, real crashes."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("CALLCREDITS_BIN", str(ROOT / ".build" / "debug" / "callcredits"))
ADMIN_TOKEN = "test-admin-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120, check=check)


class Server:
    """One `callcredits serve` process on 127.0.0.1."""

    def __init__(self, database: str, port: int | None = None):
        self.database = database
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        env = dict(os.environ, CALLCREDITS_ADMIN_TOKEN=ADMIN_TOKEN)
        log_name = self.database if not self.database.startswith("postgres") else f"/tmp/callcredits-{self.port}"
        self.log = open(f"{log_name}.{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--port", str(self.port), "--database", self.database],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def admin(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def create_workspace(self, credits: int) -> dict:
        created = self.admin("POST", "/v1/workspaces", json={"name": "Acme", "timeZone": "UTC"})
        assert created.status_code == 201, created.text
        body = created.json()
        workspace_id = body["workspace"]["id"]
        grant = self.admin(
            "POST", f"/v1/workspaces/{workspace_id}/credits",
            json={"amount": credits, "source": "adjustment", "reason": "test"},
            headers={"Idempotency-Key": "initial-grant"})
        assert grant.status_code == 201, grant.text
        return {"id": workspace_id, "key": body["apiKey"]["secret"]}


POSTGRES_URL = os.environ.get("CALLCREDITS_TEST_POSTGRES_URL", "")


def fresh_postgres_database(name: str) -> str:
    """A new, empty database on the test server; returns its URL."""
    base, _, _ = POSTGRES_URL.rpartition("/")
    subprocess.run(["psql", POSTGRES_URL, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run(["psql", POSTGRES_URL, "-q", "-c", f'CREATE DATABASE "{name}"'], check=True)
    return f"{base}/{name}"


def burst_of_holds(servers: list, key: str, threads: int, stop: threading.Event):
    """Sends holds from `threads` threads (spread over `servers`) until `stop`.

    Returns the list that collects the attempt ids acknowledged with 201, and the threads. A thread whose
    server stops answering stops too (unless another server is left to it: then it keeps trying).
    """
    acknowledged: list[str] = []
    lock = threading.Lock()

    def caller(number: int) -> None:
        server = servers[number % len(servers)]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        index = 0
        while not stop.is_set():
            attempt = f"t{number}-{index}"
            index += 1
            try:
                response = session.post(server.url + "/v1/holds", json={"attemptId": attempt}, timeout=10)
            except requests.RequestException:
                if server.process.poll() is not None:
                    return
                continue
            if response.status_code == 201:
                with lock:
                    acknowledged.append(attempt)

    workers = [threading.Thread(target=caller, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    return acknowledged, workers


@pytest.fixture
def database(tmp_path) -> str:
    return str(tmp_path / "callcredits.sqlite")


@pytest.fixture
def server(database):
    started = Server(database).start()
    yield started
    if started.process.poll() is None:
        started.kill()

"""`callcredits simulate` through the real binary: a campaign against the simulated carrier, its summary and
its ledger check."""
import re
import subprocess

from conftest import BINARY

STATUSES = ["waiting", "calling", "answered", "missed", "failed", "cancelled", "dnc"]


def simulate(*args: str) -> subprocess.CompletedProcess:
    # A debug binary on a loaded 2-core machine took about 75 s for 10,000 recipients.
    return subprocess.run([BINARY, "simulate", *args], capture_output=True, text=True, timeout=900)


def table(stdout: str) -> dict[str, tuple[int, int]]:
    """Attempts and credits per status, from the summary."""
    rows = {}
    for status in STATUSES + ["total"]:
        match = re.search(rf"^{status}\s+(\d+)\s+(\d+)$", stdout, re.M)
        assert match, f"no {status} row in:\n{stdout}"
        rows[status] = (int(match.group(1)), int(match.group(2)))
    return rows


def test_simulate_10000_recipients_with_3_numbers_finishes_and_its_ledger_check_passes():
    result = simulate("--recipients", "10000", "--numbers", "3", "--seed", "7")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ledger check: passed" in result.stdout
    assert "FAIL" not in result.stdout
    rows = table(result.stdout)
    assert rows["waiting"] == (0, 0) and rows["calling"] == (0, 0)
    connected = rows["answered"][0] + rows["missed"][0]
    # One credit per connected attempt; failed, cancelled and DNC attempts cost nothing.
    assert rows["answered"][1] + rows["missed"][1] == connected == rows["total"][1]
    assert rows["failed"][1] == rows["cancelled"][1] == rows["dnc"][1] == 0
    assert rows["dnc"][0] >= 100, "every 100th recipient's first number is on the DNC list"
    # Every recipient gets 1 to 3 attempts.
    assert 10_000 <= rows["total"][0] <= 30_000
    assert f"credits captured ({connected}) = connected attempts ({connected})" in result.stdout
    assert "verify clean (0 discrepancies)" in result.stdout


def test_the_same_seed_gives_the_same_campaign_and_another_seed_another():
    first = simulate("--recipients", "300", "--numbers", "3", "--seed", "11")
    again = simulate("--recipients", "300", "--numbers", "3", "--seed", "11")
    other = simulate("--recipients", "300", "--numbers", "3", "--seed", "12")
    for result in (first, again, other):
        assert result.returncode == 0, result.stdout + result.stderr
    assert table(first.stdout) == table(again.stdout)
    assert table(first.stdout) != table(other.stdout)


def test_a_campaign_that_cannot_finish_fails_the_check_with_a_non_zero_exit():
    # Five credits for fifty recipients: the campaign pauses for credits and never completes.
    result = simulate("--recipients", "50", "--numbers", "1", "--credits", "5")
    assert result.returncode != 0
    assert "ledger check: FAIL campaign completed" in result.stdout
    assert "ledger check: FAILED" in result.stdout
    rows = table(result.stdout)
    assert rows["total"][1] == 5

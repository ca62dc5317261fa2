"""Browser tests: the portal in headless Chromium (Debian's chromium and chromium-driver) driven by Selenium,
against a real `callcredits serve --demo` on 127.0.0.1 with a throwaway SQLite database."""
import os
import pathlib
import re
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("CALLCREDITS_BIN", str(ROOT / ".build" / "debug" / "callcredits"))
ADMIN_TOKEN = "browser-admin-token-0123456789"
# The tests take their screenshots into a throwaway folder, so a test run never changes tracked files;
# `CALLCREDITS_SCREENSHOTS=docs/screenshots` (or any folder) keeps them, e.g. to refresh the docs' pictures.
SCREENSHOTS = pathlib.Path(os.environ.get("CALLCREDITS_SCREENSHOTS") or tempfile.mkdtemp(prefix="callcredits-screens-"))
OWNER = ("owner@demo.callcredits.test", "demo-owner-password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Portal:
    """One `callcredits serve --demo` process and the demo workspace it made."""

    def __init__(self, folder: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(folder, "serve.log")
        env = dict(os.environ, CALLCREDITS_ADMIN_TOKEN=ADMIN_TOKEN, CALLCREDITS_CARRIER_SEED="11")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--demo", "--port", str(self.port), "--database", os.path.join(folder, "db.sqlite")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}: {self.output()}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("serve did not become healthy")
        match = re.search(r"demo workspace (\S+) created", self.output())
        assert match, self.output()
        self.workspace_id = match.group(1)

    def output(self) -> str:
        return pathlib.Path(self.log_path).read_text(errors="replace")

    def admin(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method, self.url + path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10, **kwargs)

    def billing(self) -> dict:
        response = self.admin("GET", f"/v1/workspaces/{self.workspace_id}/billing")
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def portal():
    with tempfile.TemporaryDirectory(prefix="callcredits-browser-") as folder:
        server = Portal(folder)
        yield server
        server.stop()


def make_driver(width: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},900", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")),
                              options=options)
    driver.set_window_size(width, 900)
    driver.implicitly_wait(2)
    return driver


@pytest.fixture
def browser():
    driver = make_driver(1280)
    yield driver
    driver.quit()


@pytest.fixture
def phone():
    driver = make_driver(375)
    yield driver
    driver.quit()


def sign_in(driver, portal: Portal, email: str, password: str) -> None:
    driver.get(portal.url + "/portal/sign-in")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    click(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert driver.current_url.endswith("/portal/billing"), driver.current_url


def click(driver, element) -> None:
    """Clicks and waits for the next page to load (every form and link here loads a page)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait_for_next_page(driver, page)


def keys(driver, element, *text) -> None:
    """Types into a field, the last key submitting its form, and waits for the next page."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.send_keys(*text)
    wait_for_next_page(driver, page)


def wait_for_next_page(driver, page) -> None:
    """Waits until `page` (the old document's root) is gone and the new document has loaded.

    While Chromium swaps documents, asking about the old root can fail with an inspector error ("Node with given
    id does not belong to the document") instead of a stale-element error; that too means the old page is going,
    so the wait ignores such errors and asks again rather than failing the test (seen once in CI)."""
    wait = WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,))
    wait.until(expected_conditions.staleness_of(page))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def number(text: str) -> int:
    return int(text.strip().replace(",", ""))


def screenshot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = driver.execute_script("return window.innerWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(driver.get_window_size()["width"], min(max(height, 600), 4000))
    driver.save_screenshot(str(SCREENSHOTS / f"{name}-{width}.png"))
    driver.set_window_size(driver.get_window_size()["width"], 900)

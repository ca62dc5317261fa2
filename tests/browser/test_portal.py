"""The portal walked as owners walk it, in a real browser."""
import os
import tempfile

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import OWNER, click, keys, number, screenshot, sign_in


def test_billing_page_figures_match_the_api(portal, browser):
    sign_in(browser, portal, *OWNER)
    billing = portal.billing()
    assert number(browser.find_element(By.ID, "available").text) == billing["available"]
    assert number(browser.find_element(By.ID, "held").text) == billing["held"]
    assert number(browser.find_element(By.ID, "allotment-granted").text) == billing["allotment"]["granted"]
    assert number(browser.find_element(By.ID, "allotment-left").text) == billing["allotment"]["left"]
    # The demo's finished campaigns show in the usage breakdown and the chart.
    assert number(browser.find_element(By.ID, "usage-total-credits").text) > 0
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
    rows = browser.find_elements(By.CSS_SELECTOR, "#usage-outcomes tbody tr")
    assert len(rows) == 7
    # By member: the pool and each member by email; Ana's campaign used credits from her wallet.
    members = browser.find_element(By.ID, "usage-members").text
    assert "Owner (pool)" in members and "ana@demo.callcredits.test" in members


def test_a_purchase_raises_the_balance(portal, browser):
    sign_in(browser, portal, *OWNER)
    before = portal.billing()["available"]
    click(browser, browser.find_element(By.ID, "buy-credits"))
    assert browser.current_url.endswith("/portal/buy")
    click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Buy 500 credits']"))
    assert "/portal/buy/" in browser.current_url
    assert browser.find_element(By.ID, "purchase-status").text == "completed"
    assert number(browser.find_element(By.ID, "available").text) == before + 500
    assert portal.billing()["available"] == before + 500
    browser.get(portal.url + "/portal/billing")
    assert number(browser.find_element(By.ID, "available").text) == before + 500


def test_a_send_step_with_a_shortfall_warns_and_needs_the_acknowledgement(portal, browser):
    sign_in(browser, portal, *OWNER)
    available = portal.billing()["available"]
    browser.get(portal.url + "/portal/campaigns")
    keys(browser, browser.find_element(By.ID, "campaign-name"), "Too big", Keys.ENTER)
    assert "/portal/campaigns/" in browser.current_url
    recipients = available // 3 + 50
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as file:
        file.write("first_name,phone,phone2,phone3\n")
        for index in range(recipients):
            file.write(f"R{index},+1212555{index % 10000:04d},+1310555{index % 10000:04d},+1646555{index % 10000:04d}\n")
        file.write("Bad,not-a-number,,\n")
        path = file.name
    try:
        browser.find_element(By.ID, "recipients-file").send_keys(path)
        click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Upload']"))
    finally:
        os.unlink(path)
    assert "rows rejected" in browser.find_element(By.ID, "upload-summary").text
    assert browser.find_elements(By.CSS_SELECTOR, "#row-errors tbody tr")
    warning = browser.find_element(By.ID, "shortfall-warning")
    assert number(browser.find_element(By.ID, "send-shortfall").text) > 0
    assert warning.find_element(By.LINK_TEXT, "Buy credits").get_attribute("href").endswith("/portal/buy")
    click(browser, browser.find_element(By.ID, "launch"))
    assert "Tick the acknowledgement" in browser.find_element(By.ID, "campaign-error").text
    assert browser.find_element(By.ID, "campaign-status").text == "Draft"
    screenshot(browser, "send-step-shortfall")
    browser.find_element(By.ID, "acknowledge").click()
    click(browser, browser.find_element(By.ID, "launch"))
    assert browser.find_element(By.ID, "campaign-status").text != "Draft"
    click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Cancel campaign']"))
    assert browser.find_element(By.ID, "campaign-status").text == "Cancelled"


def test_the_do_not_call_page_adds_and_removes(portal, browser):
    sign_in(browser, portal, *OWNER)
    browser.get(portal.url + "/portal/dnc")
    keys(browser, browser.find_element(By.ID, "dnc-phone"), "(415) 555-0199", Keys.ENTER)
    assert "+14155550199 is on the Do Not Call list." in browser.find_element(By.ID, "dnc-message").text
    click(browser, browser.find_element(By.CSS_SELECTOR, "button[aria-label='Remove +14155550199']"))
    assert "taken off" in browser.find_element(By.ID, "dnc-message").text


def test_every_input_has_a_label_and_pages_fit_a_phone(portal, phone):
    sign_in(phone, portal, *OWNER)
    for path in ("/portal/billing", "/portal/buy", "/portal/campaigns", "/portal/dnc", "/portal/team"):
        phone.get(portal.url + path)
        unlabeled = phone.execute_script("""
            return [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
                .filter(e => !(e.id && document.querySelector(`label[for="${e.id}"]`)) && !e.getAttribute('aria-label'))
                .map(e => e.name);""")
        assert unlabeled == [], (path, unlabeled)
        overflow = phone.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)


def test_forms_are_reachable_by_keyboard(portal, browser):
    browser.get(portal.url + "/portal/sign-in")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    for _ in range(5):
        if browser.switch_to.active_element.get_attribute("id") == "email":
            break
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "email"
    browser.switch_to.active_element.send_keys(OWNER[0], Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "password"
    keys(browser, browser.switch_to.active_element, OWNER[1], Keys.ENTER)
    assert browser.current_url.endswith("/portal/billing")


def test_screenshots_of_the_main_pages(portal, browser, phone):
    for driver in (browser, phone):
        driver.get(portal.url + "/portal/sign-in")
        screenshot(driver, "sign-in")
        sign_in(driver, portal, *OWNER)
        for name, path in (("billing", "/portal/billing"), ("buy", "/portal/buy"), ("campaigns", "/portal/campaigns"),
                           ("dnc", "/portal/dnc"), ("team-owner", "/portal/team")):
            driver.get(portal.url + path)
            screenshot(driver, name)
        driver.get(portal.url + "/portal/campaigns")
        click(driver, driver.find_element(By.LINK_TEXT, "Win-back"))
        screenshot(driver, "campaign")


MEMBER = ("ben@demo.callcredits.test", "demo-member-password")


def test_a_transfer_to_a_member_shows_on_the_members_billing_page(portal, browser):
    sign_in(browser, portal, *OWNER)
    click(browser, browser.find_element(By.LINK_TEXT, "Team"))
    member = browser.find_element(By.XPATH, "//article[contains(@class,'member')][.//h3[contains(.,'ben@demo')]]")
    before = number(member.find_element(By.CLASS_NAME, "member-available").text)
    field = member.find_element(By.CSS_SELECTOR, "input[id^=transfer-]")
    keys(browser, field, "1,250", Keys.ENTER)
    assert "1,250 credits were transferred." in browser.find_element(By.ID, "team-message").text
    assert "credits.transferred" in browser.find_element(By.ID, "audit").text
    screenshot(browser, "team")
    click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Sign out']"))
    sign_in(browser, portal, *MEMBER)
    assert number(browser.find_element(By.ID, "available").text) == before + 1250
    assert "150" in browser.find_element(By.ID, "member-allotment").text
    assert not browser.find_elements(By.ID, "usage-members")


def test_a_member_cannot_open_the_team_page(portal, browser):
    sign_in(browser, portal, *MEMBER)
    assert not browser.find_elements(By.LINK_TEXT, "Team")
    browser.get(portal.url + "/portal/team")
    assert browser.find_element(By.CLASS_NAME, "error-code").text == "owner_only"
    browser.get(portal.url + "/portal/campaigns")
    # The demo's campaigns are the owner's and Ana's: none is Ben's.
    assert "Win-back" not in browser.find_element(By.ID, "campaigns").text


def test_a_member_sees_their_own_campaign(portal, browser):
    sign_in(browser, portal, "ana@demo.callcredits.test", "demo-member-password")
    browser.get(portal.url + "/portal/campaigns")
    table = browser.find_element(By.ID, "campaigns").text
    assert "Webinar follow-up" in table and "Win-back" not in table


def test_an_invitee_joins_from_the_link(portal, browser):
    sign_in(browser, portal, *OWNER)
    browser.get(portal.url + "/portal/team")
    keys(browser, browser.find_element(By.ID, "invite-email"), "dana@demo.callcredits.test", Keys.ENTER)
    link = browser.find_element(By.ID, "invitation-link").get_attribute("href")
    click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Sign out']"))
    browser.get(link)
    assert "dana@demo.callcredits.test" in browser.find_element(By.TAG_NAME, "main").text
    keys(browser, browser.find_element(By.ID, "new-password"), "dana-password", Keys.ENTER)
    assert browser.current_url.endswith("/portal/billing")
    assert "dana@demo.callcredits.test" in browser.find_element(By.CLASS_NAME, "who").text
    assert not browser.find_elements(By.LINK_TEXT, "Team")

"""Issue 13 in a real browser: a case manager's day on the whole stack (`tandem run`, signed
SMS through the gateway, a fake Twilio), driven by Playwright in headless Chromium from the
machine (/usr/bin/chromium; never a downloaded browser). She sets her password through the
one-time link, logs in and leaves the queue open; a crisis texted through the gateway shows up
on it within seconds, with the count in the title, without a reload. She acknowledges it with
a note, opens the woman's page; for a second woman who made a referral by text she moves it to
completed and texts her. The pages run under the dashboard's own CSP (the live script is
same-origin; axe-core comes in as an init script, which CSP does not govern). axe-core
(tests/browser/node_modules, `npm ci`) checks the queue and her page and finds nothing serious
or critical; screenshots of both are saved for the README (docs/screenshots/). On her page
the case manager also saves the hours and discreet texts she asked for, and the send form warns
her. Program staff edit the stage-message library: a refused save keeps what was typed and says
why; a kept one is listed."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.conftest import AXE, CHROMIUM, BrowserStack
from tests.e2e.conftest import REPO, TANDEM

pytestmark = pytest.mark.e2e

EMAIL = "casey@example.org"
ADMIN = "ada@example.org"
NEW_CM = "noor@example.org"
PROGRAM = "pat@example.org"
PASSWORD = "correct horse battery staple"
CRISIS_PHONE = "+14135550131"
REFERRAL_PHONE = "+14135550132"
BLOCKING = ("serious", "critical")
LIVE_WAIT_MS = 20_000  # the queue checks every 5 s; the crisis turn itself takes a moment


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test-browser` installs Debian's package")
    if not AXE.exists():
        pytest.fail(f"no axe-core at {AXE}: run `npm ci --prefix tests/browser`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def set_password_link(stack: BrowserStack, email: str = EMAIL, role: str = "case_manager") -> str:
    """`tandem staff add ... --link` against the stack's database, as an admin would run it;
    the link's path, on the stack's own address."""
    done = subprocess.run(
        [*TANDEM, "staff", "add", email, "--role", role, "--link"],
        env=stack.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    match = re.search(r"/dashboard/set-password/\S+", done.stdout)
    assert match, done.stdout
    return stack.url + match.group(0)


def set_password_and_log_in(page: Page, stack: BrowserStack, link: str, email: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    page.get_by_label("Password (at least 12 characters)").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()
    page.goto(f"{stack.url}/dashboard/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    result = page.evaluate("async () => await axe.run(document)")
    found = [v for v in result["violations"] if v["impact"] in BLOCKING]
    for v in found:
        print(f"axe: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}")
    return [f"{v['id']} ({v['impact']})" for v in found]


def sent_to(stack: BrowserStack, phone: str, body: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        for message in stack.texts_sent():
            if message["to"] == phone and message["body"] == body:
                return message
        assert time.monotonic() < deadline, f"the fake Twilio never got it: {stack.texts_sent()}"
        time.sleep(0.5)


def test_a_case_managers_day(stack: BrowserStack, browser: Browser, shots: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused: list[str] = []  # what the CSP blocked, if anything
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)

    # Her first password, through the one-time link; then the login form.
    set_password_and_log_in(page, stack, set_password_link(stack), EMAIL)
    expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^\(0 urgent\) Queue"))
    expect(page.get_by_role("button", name="Pause live updates")).to_be_visible()
    expect(page.get_by_role("link", name="Reload the queue")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")  # gone if anything reloads the page

    # A woman's referral by text (search, pick, consent), then another woman in crisis; the
    # queue stays open, untouched.
    stack.sms("need subs near 01105", REFERRAL_PHONE)
    consent = stack.sms("2", REFERRAL_PHONE)
    assert "YES" in " ".join(consent), consent
    done = stack.sms("yes", REFERRAL_PHONE)
    assert "CANCEL MY REFERRAL" in " ".join(done), done
    crisis = stack.sms(
        "i have my pills counted out and i dont want to wake up tomorrow", CRISIS_PHONE
    )
    assert any("988" in reply for reply in crisis), crisis

    # Within seconds, on the open page: the count in the title, the crisis first, the new
    # referral below it; no reload.
    expect(page).to_have_title(re.compile(r"^\(1 urgent\) Queue"), timeout=LIVE_WAIT_MS)
    urgent = page.locator("section", has=page.get_by_role("heading", name="Urgent alerts"))
    expect(urgent.locator("tr.crisis")).to_have_count(1)
    expect(page.get_by_role("status")).to_have_text("1 open urgent alert.")
    new = page.locator("section", has=page.get_by_role("heading", name="New referrals"))
    expect(new.locator("tbody tr")).to_have_count(1)
    assert page.evaluate("window.stillTheSamePage") is True
    assert refused == []
    assert serious_violations(page) == []
    page.screenshot(path=str(shots / "queue.png"), full_page=True)

    # She may pause the live updates (WCAG 2.2.2), and resume them.
    pause = page.get_by_role("button", name="Pause live updates")
    pause.click()
    resume = page.get_by_role("button", name="Resume live updates")
    expect(resume).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#live")).to_contain_text("Live updates are paused.")
    resume.click()
    expect(pause).to_have_attribute("aria-pressed", "false")

    # Acknowledge the crisis with a note; the queue has no urgent alert left.
    urgent.get_by_role("link", name=re.compile("^Acknowledge")).click()
    expect(page.get_by_role("heading", name=re.compile("^Crisis alert"))).to_be_visible()
    alert_url = page.url
    page.get_by_label("What you did (required)").fill("Called her; she is safe with her sister.")
    page.get_by_role("button", name="Acknowledge").click()
    # Back on the queue (the form's redirect) before going anywhere else: a navigation
    # started while the form is still posting would cut it short.
    expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^\(0 urgent\) Queue"))
    page.goto(alert_url)
    expect(page.get_by_text("Called her; she is safe with her sister.")).to_be_visible()
    page.get_by_role("link", name="Her page").click()
    alerts = page.locator("section", has=page.get_by_role("heading", name="Alerts"))
    expect(alerts).to_contain_text("Called her; she is safe with her sister.")

    # The second woman: her referral requested -> accepted -> in-progress -> completed.
    page.goto(f"{stack.url}/dashboard/")
    new.get_by_role("link").first.click()
    referrals = page.locator("section", has=page.get_by_role("heading", name="Referrals"))
    expect(referrals.get_by_role("heading", level=3)).to_contain_text(": requested")
    for status in ("accepted", "in-progress", "completed"):
        referrals.get_by_label("Move to").select_option(status)
        if status == "completed":
            referrals.get_by_label("Outcome (required for completed)").select_option("got_help")
        referrals.get_by_role("button", name="Change status").click()
        expect(page.get_by_role("status")).to_have_text(f"The referral is {status} now.")
    expect(referrals.get_by_role("heading", level=3)).to_contain_text(": completed")
    expect(referrals.locator("tbody")).to_contain_text("Got help")

    # A text from her page reaches Twilio (the fake), from the program's number.
    body = "Hi, this is Casey from Tandem. Glad the clinic worked out. Text back anytime."
    page.get_by_label(re.compile("^Text \\(from Tandem")).fill(body)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("Sent|queued", re.I))
    sent_to(stack, REFERRAL_PHONE, body)
    page.reload()
    timeline = page.locator("section", has=page.get_by_role("heading", name="Timeline"))
    expect(timeline).to_contain_text(body)

    # What she told her case manager: an appointment kept, her provider rated 5 of 5. With
    # the referral that got her help, she is collaborative, and the page says why.
    engagement = page.locator("section", has=page.get_by_role("heading", name="Engagement"))
    engagement.get_by_label("She went").check()
    engagement.get_by_role("button", name="Record the appointment").click()
    expect(page.get_by_role("status")).to_have_text("Recorded: Went to an appointment.")
    engagement.get_by_label(re.compile("^Rating")).select_option("5")
    engagement.get_by_label(re.compile("^In her words")).fill("Says the clinic treats her right")
    engagement.get_by_role("button", name="Record the rating").click()
    expect(page.get_by_role("status")).to_have_text("Recorded: Her provider relationship (1-5): 5.")
    expect(engagement).to_contain_text("Where she stands: Collaborative")
    expect(engagement).to_contain_text("She last rated her provider relationship 5 of 5")
    expect(timeline).to_contain_text("Says the clinic treats her right")

    # She asked for no texts in the evening and for discreet ones (her partner sees her phone):
    # her case manager saves both, and the send form now warns before anyone writes to her.
    expect(page.locator("#discreet-warning")).to_have_count(0)
    contact = page.locator(
        "section", has=page.get_by_role("heading", name="When and how Tandem texts her")
    )
    contact.get_by_label(re.compile("^Her hours")).fill("20:00-09:00")
    contact.get_by_label(re.compile("^Discreet texts")).check()
    contact.get_by_role("button", name="Save her preferences").click()
    expect(page.get_by_role("status")).to_have_text(
        "Saved: no texts from Tandem 20:00-09:00 (her hours) or in the program's quiet hours; "
        "discreet texts."
    )
    expect(contact.get_by_label(re.compile("^Her hours"))).to_have_value("20:00-09:00")
    expect(contact.get_by_label(re.compile("^Discreet texts"))).to_be_checked()
    profile = page.locator("dl").first
    expect(profile).to_contain_text("no texts from Tandem 20:00-09:00")
    expect(profile).to_contain_text("Hi, it's T. Reply 1 if it's a good time to talk.")
    send = page.locator("section", has=page.get_by_role("heading", name="Text her"))
    expect(send.get_by_role("note")).to_have_text(
        "She asked for discreet texts: someone else may read her phone. Write nothing about "
        "drugs, recovery, DCF, a clinic or a pregnancy."
    )
    assert serious_violations(page) == []
    assert refused == []
    page.screenshot(path=str(shots / "client.png"), full_page=True)
    context.close()


def test_an_admin_adds_a_case_manager(stack: BrowserStack, browser: Browser, shots: Path) -> None:
    """The staff page: an admin adds someone and gets her link, which she then uses."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    set_password_and_log_in(page, stack, set_password_link(stack, ADMIN, "admin"), ADMIN)
    page.get_by_role("navigation").get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    page.get_by_label("Email").fill(NEW_CM)
    page.get_by_label("Role", exact=True).select_option("case_manager")
    page.get_by_role("button", name="Add and make her set-password link").click()
    expect(page.get_by_role("heading", name=f"Set-password link for {NEW_CM}")).to_be_visible()
    link = page.locator("#new-link").inner_text()
    assert "/dashboard/set-password/" in link
    accounts = page.locator("section", has=page.get_by_role("heading", name="Accounts"))
    expect(accounts.get_by_role("row", name=re.compile(re.escape(NEW_CM)))).to_contain_text(
        "(no password yet)"
    )
    assert serious_violations(page) == []
    page.screenshot(path=str(shots / "staff.png"), full_page=True)

    hers = browser.new_context()  # her own browser, cookies apart
    other = hers.new_page()
    path = link[link.index("/dashboard/") :]
    set_password_and_log_in(other, stack, stack.url + path, NEW_CM)
    expect(other.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
    # She logs out in another tab: the open queue notices at its next check and shows the
    # login form instead of the women's names.
    tab = hers.new_page()
    tab.goto(f"{stack.url}/dashboard/password")
    tab.get_by_role("button", name="Log out").click()
    expect(other.get_by_role("heading", name="Log in")).to_be_visible(timeout=LIVE_WAIT_MS)
    hers.close()
    context.close()


def test_program_staff_edit_a_stage_message(
    stack: BrowserStack, browser: Browser, shots: Path
) -> None:
    """The stage-message library: a text too long for two SMS segments is refused with the
    reason and what she typed still in the box; a valid edit is saved and listed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    set_password_and_log_in(
        page, stack, set_password_link(stack, PROGRAM, "program_staff"), PROGRAM
    )
    page.get_by_role("navigation").get_by_role("link", name="Stage messages").click()
    expect(page.get_by_role("heading", name="Stage messages", exact=True)).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="safe sleep", exact=True).click()
    expect(page.get_by_role("heading", name="Stage message: safe sleep")).to_be_visible()

    english = page.get_by_label("English text")
    too_long = " ".join(["Safe sleep: alone, on the back, in a crib with nothing else in it."] * 5)
    english.fill(too_long)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Not saved: The English text is longer than 2 SMS segments"
    )
    expect(english).to_have_value(too_long)
    expect(english).to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []

    edited = "Safe sleep: on the back, in a crib, nothing else in it. Questions? Text me."
    english.fill(edited)
    page.get_by_label(re.compile("^Days from")).fill("6")
    page.get_by_role("button", name="Save").click()
    # Nobody here has a baby's birth date: no check-in to move.
    expect(page.get_by_role("status")).to_have_text(
        "Saved: safe sleep. No check-ins scheduled for it now."
    )
    row = page.get_by_role("row", name=re.compile("^safe sleep"))
    expect(row).to_contain_text(edited)
    expect(row).to_contain_text("6 days after her baby's birth date")
    expect(row).to_contain_text("(staff)")
    assert serious_violations(page) == []
    page.screenshot(path=str(shots / "stage_messages.png"), full_page=True)
    context.close()

"""The worker's dashboard (/ui/) in a real headless Chromium, driven by Selenium through
Debian's chromedriver. Run by tests/tests/rest_api.rs::dashboard_in_a_real_browser:

    python3 dashboard.py WORKER_URL INPUT_FILE SCREENSHOT_PNG

The worker runs connector `a` (a file pipeline reading INPUT_FILE). Checks: the page loads
with a strict content security policy and no script error, shows `a` RUNNING, its plot gains
samples and shows records arriving while lines are appended, and its Pause button pauses it
(seen in the page and through the API). Saves a screenshot.
"""

import json
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

URL, INPUT, SCREENSHOT = sys.argv[1], sys.argv[2], sys.argv[3]


def eventually(what, check, timeout=30.0, feed=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if feed:
            feed()
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


appended = 0


def append_line():
    global appended
    appended += 1
    with open(INPUT, "a", encoding="utf-8") as f:
        f.write(f"line {appended}\n")


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,900",
    f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}",
):
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.get(f"{URL}/ui/?interval=300")
    assert driver.title == "RocketMQ Connect", driver.title

    def text(selector):
        # Read in one script call: the page redraws its rows every refresh.
        return driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector
        )

    def state_of(name):
        return text(f'tr[data-connector="{name}"] td.state')

    eventually("a RUNNING in the page", lambda: state_of("a") == "RUNNING")
    assert text('tr[data-connector="a"] td.tasks') == "1/1"

    # The plot updates: samples accumulate, and the records-in rate shows lines arriving.
    plot = driver.find_element(By.ID, "plot")
    first = int(plot.get_attribute("data-samples"))
    eventually("more plot samples", lambda: int(plot.get_attribute("data-samples")) >= first + 3)
    eventually(
        "a records-in rate above zero, in the table and the plot",
        lambda: float((text('tr[data-connector="a"] td.in') or "0").replace("–", "0")) > 0
        and float(plot.get_attribute("data-last-in")) > 0,
        feed=append_line,
    )
    eventually("cluster view lists this worker", lambda: driver.find_elements(By.CSS_SELECTOR, "#cluster tbody tr"))
    driver.save_screenshot(SCREENSHOT)

    # The Pause button pauses the connector.
    # Clicked in the page's own event loop: a redraw cannot replace the button mid-click.
    driver.execute_script(
        "document.querySelector('button[data-action=\"pause\"][data-connector=\"a\"]').click()"
    )
    eventually("a PAUSED in the page", lambda: state_of("a") == "PAUSED")
    with urllib.request.urlopen(f"{URL}/connectors/a/status") as response:
        status = json.load(response)["body"]
    assert status["connector"]["state"] == "PAUSED", status
    eventually("a Resume button", lambda: driver.find_elements(By.CSS_SELECTOR, 'button[data-action="resume"][data-connector="a"]'))
    assert text("#error") == "", text("#error")

    # No script errors, no refused loads (the page needs nothing but its own files).
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
    print(json.dumps({"ok": True, "lines_appended": appended}))
finally:
    driver.quit()

"""Headless Chromium through Selenium, using the system's chromium and chromedriver.

Nothing is downloaded: when either binary is missing the browser tests are
skipped, except under CI (CI=true), where that is a failure.
"""

import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM_ARGUMENTS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Keep timers (the reconnect backoff) running in windows that are not in front.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--window-size=1024,768",
]


def chromium_binaries():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return binary, driver


def require_chromium():
    binary, driver = chromium_binaries()
    if binary and driver:
        return binary, driver
    message = (
        "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def start_chromium(binary, driver_path, profile_dir):
    options = Options()
    options.binary_location = binary
    for argument in CHROMIUM_ARGUMENTS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={profile_dir}")
    return webdriver.Chrome(
        service=Service(executable_path=driver_path), options=options
    )


def wait_until(driver, condition, timeout=15, message=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda _: condition(), message
    )

#!/usr/bin/python3
"""The report pages in a real browser: headless Chromium (Debian's chromium and chromedriver,
driven by python3-selenium) opens a fresh report.html of a circles run and of an MNIST run and
a fresh sweep.html, fails on any console error, moves the decision-boundary slider and checks
that the picture changes, presses play, and saves a screenshot of each page.

Exit status: 0 passed, 1 failed, 77 skipped (browser packages missing: tools/setup.sh --browser).
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# As root and without a network, Chromium needs all of these to start quietly.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1100,1400"]


def fail(message):
    print("FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def run(args, cwd):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        fail("%s exited %d:\n%s%s" % (" ".join(args), result.returncode, result.stdout,
                                      result.stderr))


def make_pages(runner, source, work):
    graphs = os.path.join(source, "graphs")
    run([runner, "train", os.path.join(graphs, "circles_mlp.yaml"), "--epochs", "60",
         "--out", os.path.join(work, "circles")], work)
    run([runner, "train", os.path.join(graphs, "mnist_mlp.yaml"), "--epochs", "1",
         "--set", "train.data.train_limit=1000", "--out", os.path.join(work, "mnist")], work)
    run([runner, "sweep", os.path.join(graphs, "circles_mlp.yaml"),
         "--set", "train.optimizer.lr=0.03,0.3", "--set", "train.epochs=20", "--seeds", "0-1",
         "--out", os.path.join(work, "sweep")], work)
    return {"circles": os.path.join(work, "circles", "report.html"),
            "mnist": os.path.join(work, "mnist", "report.html"),
            "sweep": os.path.join(work, "sweep", "sweep.html")}


def browser(work):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + ["--user-data-dir=" + os.path.join(work, "profile")]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def open_page(driver, path, name, work):
    driver.get("file://" + path)
    time.sleep(0.3)
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    if errors:
        fail("%s: console errors: %s" % (name, errors))
    driver.save_screenshot(os.path.join(work, name + ".png"))
    print("%s: no console errors; screenshot %s.png" % (name, name))


def check_console_is_watched(driver, work):
    """A page with a deliberate error must be caught, or a silent log would pass anything."""
    path = os.path.join(work, "broken.html")
    with open(path, "w") as f:
        f.write("<!DOCTYPE html><html><body><script>no_such_function();</script></body></html>")
    driver.get("file://" + path)
    time.sleep(0.3)
    if not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]:
        fail("a page with a script error logged no console error: the check would see nothing")


def check_slider(driver):
    picture = "return document.getElementById('decision').toDataURL();"
    epoch = "return document.getElementById('decision').getAttribute('data-epoch');"
    last, last_epoch = driver.execute_script(picture), driver.execute_script(epoch)
    driver.execute_script(
        "var s = document.getElementById('frame-slider'); s.value = '0';"
        "s.dispatchEvent(new Event('input'));")
    first, first_epoch = driver.execute_script(picture), driver.execute_script(epoch)
    if first_epoch != "0" or last_epoch == "0":
        fail("the slider did not move between epochs (%s -> %s)" % (last_epoch, first_epoch))
    if first == last:
        fail("moving the slider from epoch %s to 0 left the picture unchanged" % last_epoch)
    driver.find_element("id", "frame-play").click()
    time.sleep(1.2)
    playing = driver.execute_script(epoch)
    if playing == "0":
        fail("play did not advance the epoch")
    label = driver.execute_script("return document.getElementById('frame-label').textContent;")
    print("slider: epoch %s -> 0 changes the picture; play reached %s (%s)"
          % (last_epoch, playing, label))


def check_images(driver):
    count = driver.execute_script("return document.querySelectorAll('#mistakes canvas').length;")
    if count < 1:
        fail("mnist report: no misclassified images drawn")
    print("mnist: %d misclassified images drawn" % count)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runner", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    try:
        import selenium  # noqa: F401
    except ImportError:
        print("skipped: python3-selenium is not installed (tools/setup.sh --browser)")
        return 77
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        print("skipped: chromium or chromium-driver is not installed (tools/setup.sh --browser)")
        return 77
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    pages = make_pages(os.path.abspath(args.runner), os.path.abspath(args.source), args.work)
    driver = browser(args.work)
    try:
        check_console_is_watched(driver, args.work)
        open_page(driver, pages["circles"], "circles-report", args.work)
        check_slider(driver)
        open_page(driver, pages["mnist"], "mnist-report", args.work)
        check_images(driver)
        open_page(driver, pages["sweep"], "sweep", args.work)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        if errors:
            fail("console errors after interaction: %s" % errors)
    finally:
        driver.quit()
    print("browser check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

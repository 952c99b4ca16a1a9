"""The built website in a real headless browser: every page loads, with its figures and animations.

Needs `jupyter-book build .` first, and Chromium at /usr/bin/chromium. Locally it skips (saying why)
when either is missing; CI sets BOOK_REQUIRE_SITE=1, so there a missing site or browser fails.
"""

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
from booktoc import ROOT, toc_documents

SITE = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
PAGES = [p.relative_to(ROOT).with_suffix(".html").as_posix() for p in toc_documents()]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _is_local(url: str) -> bool:
    """A request to our server, other than the favicon that browsers ask for on their own."""
    return "127.0.0.1" in url and not url.endswith("/favicon.ico")


def _require(ok: bool, why: str) -> None:
    if not ok:
        if os.environ.get("BOOK_REQUIRE_SITE"):
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def server():
    _require((SITE / "index.html").is_file(), "no built site: run `jupyter-book build .` first")
    handler = functools.partial(QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    _require(CHROMIUM.is_file() and shutil.which("chromedriver") is not None,
             "no Chromium: apt-get install chromium chromium-driver")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def open_page(browser, url, viewport=DESKTOP):
    """Load a page; return it with the JavaScript errors and the failed local requests."""
    page = browser.new_page(viewport=viewport)
    errors, local_failures = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda r: local_failures.append(r.url) if _is_local(r.url) else None)
    page.on("response", lambda r: local_failures.append(f"{r.status} {r.url}")
            if r.status >= 400 and _is_local(r.url) else None)
    page.goto(url, wait_until="load", timeout=60_000)
    page.wait_for_timeout(500)
    return page, errors, local_failures


@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders(server, browser, page_path):
    page, errors, local_failures = open_page(browser, f"{server}/{page_path}")
    title = page.title()
    heading = page.locator("main h1").first.inner_text()
    assert heading.strip("#").strip() and heading.strip("#").strip() in title
    broken = page.evaluate("""() => [...document.querySelectorAll('main img')]
        .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.id || i.src.slice(0, 80))""")
    assert not broken, f"broken images: {broken}"
    dangling = page.evaluate("""() => [...document.querySelectorAll('main a[href^="#"]')]
        .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
        .filter(id => id && !document.getElementById(id))""")
    assert not dangling, f"links to missing anchors: {dangling}"
    assert not errors, f"JavaScript errors: {errors}"
    assert not local_failures, f"local requests failed: {local_failures}"
    # Figures and animations in the article (the theme's own icons, such as the Colab logo, aside)
    alts = page.evaluate("() => [...document.querySelectorAll('main article img')]"
                         ".map(i => i.alt || '')")
    meaningless = [a for a in alts if len(a.split()) < 4 or "_images/" in a or a.endswith(".png")]
    assert not meaningless, f"images without meaningful alt text: {meaningless}"
    if Path(page_path).name.startswith("ch"):                      # every chapter shows figures
        assert page.locator("main img[src*='.png']").count() >= 2 and len(alts) >= 2
    _screenshot(page, page_path, "desktop")
    page.close()


def _screenshot(page, page_path: str, width: str) -> None:
    folder = ROOT / "_build" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{Path(page_path).stem}-{width}.png"), full_page=True)


@pytest.mark.parametrize("page_path", PAGES)
def test_page_fits_a_phone(server, browser, page_path):
    """At 390 px, figures and animations fit the screen (only text tables may scroll sideways)."""
    page, errors, _ = open_page(browser, f"{server}/{page_path}", viewport=PHONE)
    too_wide = page.evaluate("""() => [...document.querySelectorAll(
            'main img, main .animation, main input.anim-slider, main .anim-buttons')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.id || e.className || e.tagName)""")
    assert not too_wide, f"wider than a phone: {too_wide}"
    assert not errors, f"JavaScript errors: {errors}"
    _screenshot(page, page_path, "phone")
    page.close()


def test_chapter_1_shows_figures_and_a_playing_animation(server, browser):
    """Chapter 1's animation is loaded by its JavaScript: a frame in the image, 50 on the slider."""
    page, _, _ = open_page(browser, f"{server}/book/ch01_video_tensors.html")
    figures = page.locator("main img[src*='.png']")
    assert figures.count() >= 5
    animation = page.locator("main img[id^='_anim_img']")
    assert animation.count() == 1
    assert animation.first.get_attribute("src").startswith("data:image/jpeg")
    slider = page.locator("main input[id^='_anim_slider']")
    assert slider.get_attribute("max") == "49"                # all 50 frames are scrubbable
    page.close()

"""The built website, as a reader meets it: served over HTTP on localhost in headless Chromium,
with every other host blocked, at desktop and phone width.

Every page must load with no request to another host, no JavaScript error or console error, its
math typeset (no TeX source left), meaningful alt text on every figure, no blank widget area, and
working animations; a search for each chapter's key term finds that chapter; the status page lists
every chapter's time; every Colab button opens a notebook that exists. With BOOK_SCREENSHOTS=1,
screenshots of every page at both widths go to ``_build/screenshots`` (for a person to look at;
they cost a quarter of this file's time, so CI leaves them out).

Needs `jupyter-book build .` first, and Chromium at /usr/bin/chromium (Debian's package `chromium`;
Playwright drives it directly, no chromedriver). Locally it skips, saying which is missing; CI sets
BOOK_REQUIRE_SITE=1, so there a missing site or browser fails.
"""

import functools
import http.server
import json
import os
import re
import threading
from pathlib import Path

import pytest
import yaml
from booktoc import ROOT, toc_documents, toc_notebooks

SITE = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
PAGES = [p.relative_to(ROOT).with_suffix(".html").as_posix() for p in toc_documents()]
CHAPTERS = [p.relative_to(ROOT).with_suffix(".html").as_posix() for p in toc_notebooks()]
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
LAUNCH = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# What a reader would type to find each chapter. A new chapter must add its term here.
KEY_TERMS = {
    "ch01_video_tensors": "video tensor", "ch02_fusion": "early fusion",
    "ch03_receptive_fields": "receptive field", "ch04_c3d": "C3D",
    "ch05_optical_flow": "optical flow", "ch06_two_stream": "two-stream",
    "ch07_temporal_models": "LSTM", "ch08_nonlocal": "non-local block",
    "ch09_i3d": "inflate", "ch10_slowfast": "SlowFast", "ch11_summary": "leaderboard",
    "appendix_numbers": "recomputed", "appendix_scaling": "torchrun",
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


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
    _require(CHROMIUM.is_file(), "no Chromium at /usr/bin/chromium: apt-get install chromium "
                                 "(Playwright drives it directly; chromedriver is not needed)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "no Playwright: pip install -r requirements.txt")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH)
        yield browser
        browser.close()


class Visit:
    """A page opened in its own browser context, where only our server can be reached."""

    def __init__(self, browser, server: str, path: str, viewport=DESKTOP):
        self.context = browser.new_context(viewport=viewport)
        self.other_hosts, self.errors, self.local_failures = [], [], []
        self.context.route("**/*", functools.partial(self._route, server))
        self.page = page = self.context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("requestfailed", lambda r: self.local_failures.append(r.url)
                if self._ours(server, r.url) else None)
        page.on("response", lambda r: self.local_failures.append(f"{r.status} {r.url}")
                if r.status >= 400 and self._ours(server, r.url) else None)
        page.goto(f"{server}/{path}", wait_until="load", timeout=60_000)
        # MathJax typesets after load; wait for it where the page has math.
        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise"
                      " ? MathJax.startup.promise.then(() => true) : true")
        page.wait_for_timeout(300)

    @staticmethod
    def _ours(server: str, url: str) -> bool:
        """A request to our server, other than the favicon that browsers ask for on their own."""
        return url.startswith(server) and not url.endswith("/favicon.ico")

    def _route(self, server: str, route) -> None:
        url = route.request.url
        if url.startswith((server, "data:", "blob:")):
            route.continue_()
        else:
            self.other_hosts.append(url)
            route.abort()

    def check_clean(self) -> None:
        assert not self.other_hosts, f"requests to other hosts: {self.other_hosts}"
        assert not self.errors, f"JavaScript or console errors: {self.errors}"
        assert not self.local_failures, f"local requests failed: {self.local_failures}"

    def screenshot(self, page_path: str, width: str) -> None:
        if not os.environ.get("BOOK_SCREENSHOTS"):
            return
        folder = ROOT / "_build" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / f"{Path(page_path).stem}-{width}.png"),
                             full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(server, browser):
    opened = []

    def open_(path, viewport=DESKTOP):
        opened.append(Visit(browser, server, path, viewport))
        return opened[-1]
    yield open_
    for v in opened:
        v.close()


@pytest.mark.slow
@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_at_desktop_and_phone_width(visit, page_path):
    """At 1280 px the page is whole and clean; at 390 px figures and animations fit the screen
    (only text tables may scroll sideways)."""
    v = visit(page_path)
    page = v.page
    heading = page.locator("main h1").first.inner_text().strip("#").strip()
    assert heading and heading in page.title()
    v.check_clean()
    broken = page.evaluate("""() => [...document.querySelectorAll('main img')]
        .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.id || i.src.slice(0, 80))""")
    assert not broken, f"broken images: {broken}"
    dangling = page.evaluate("""() => [...document.querySelectorAll('main a[href^="#"]')]
        .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
        .filter(id => id && !document.getElementById(id))""")
    assert not dangling, f"links to missing anchors: {dangling}"
    # Math: every formula typeset by MathJax, and no TeX source left in the text.
    raw_math = page.evaluate("""() => [...document.querySelectorAll('main .math')]
        .filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60))""")
    assert not raw_math, f"math left as TeX source: {raw_math}"
    prose = page.evaluate("""() => { const main = document.querySelector('main').cloneNode(true);
        main.querySelectorAll('pre, code, .cell_output, mjx-container').forEach(e => e.remove());
        return main.textContent; }""")
    leftover = re.findall(r"\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$|\\\(|\\\[|\\frac|\\times", prose)
    assert not leftover, f"TeX source in the text: {leftover[:5]}"
    # Figures and animations in the article (the theme's own icons, such as the Colab logo, aside)
    alts = page.evaluate("() => [...document.querySelectorAll('main article img')]"
                         ".map(i => i.alt || '')")
    meaningless = [a for a in alts if len(a.split()) < 4 or "_images/" in a or a.endswith(".png")]
    assert not meaningless, f"images without meaningful alt text: {meaningless}"
    if page_path in CHAPTERS and not Path(page_path).name.startswith("appendix"):
        assert page.locator("main img[src*='.png']").count() >= 2 and len(alts) >= 2
    # Widgets have no kernel on the site: their outputs are removed and a static twin is shown.
    blank = page.evaluate("""() => [...document.querySelectorAll(
            'main script[type*="jupyter.widget-view"], main .jupyter-widgets, main .widget-area')]
        .filter(e => e.tagName === 'SCRIPT' || !e.innerText.trim()).length""")
    assert blank == 0, f"{blank} blank widget areas"
    v.screenshot(page_path, "desktop")                # as a reader first sees it
    _check_animations(page)
    # The same page at phone width (the layout reflows on resize, as on a phone turned upright).
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    too_wide = page.evaluate("""() => [...document.querySelectorAll(
            'main img, main .animation, main input.anim-slider, main .anim-buttons')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.id || e.className || e.tagName)""")
    assert not too_wide, f"wider than a phone (390 px): {too_wide}"
    v.check_clean()
    v.screenshot(page_path, "phone")


def _check_animations(page) -> None:
    """Each animation shows a frame, draws its buttons' icons offline, and steps to the next."""
    for anim in page.locator("main .animation").all():
        image = anim.locator("img[id^='_anim_img']")
        assert image.get_attribute("src").startswith("data:image/")
        assert image.evaluate("i => i.complete && i.naturalWidth > 0"), "no frame shown"
        buttons = anim.locator(".anim-buttons button")
        assert buttons.count() == 9
        no_icon = [b.get_attribute("title") for b in buttons.all() if b.locator("svg").count() != 1]
        assert not no_icon, f"buttons without an icon: {no_icon}"
        anim.locator("button[title='Pause']").click()
        anim.locator("button[title='First frame']").click()
        first = image.get_attribute("src")
        anim.locator("button[title='Next frame']").click()
        slider = anim.locator("input.anim-slider")
        assert slider.input_value() == "1" and image.get_attribute("src") != first, \
            "the animation did not step to its next frame"
        assert int(slider.get_attribute("max")) >= 1


def test_every_chapter_has_a_key_term():
    assert {Path(p).stem for p in CHAPTERS} == set(KEY_TERMS)


@pytest.mark.slow
@pytest.mark.parametrize("page_path", CHAPTERS)
def test_search_finds_the_chapter(visit, page_path):
    """The site's own search, over HTTP as published, lists the chapter among its first three
    results for its key term, with a snippet of its text (fetched from the page's source)."""
    term = KEY_TERMS[Path(page_path).stem]
    v = visit(f"search.html?q={term.replace(' ', '+')}")
    v.page.wait_for_function("() => { const s = document.querySelector('#search-results p');"
                             " return s && !s.innerText.includes('Preparing'); }", timeout=30_000)
    results = v.page.locator("#search-results ul.search > li").all()[:3]
    found = [r.locator("a").first.get_attribute("href").split("#")[0] for r in results]
    assert page_path in found, f"{term!r} finds {found} first"
    snippet = results[found.index(page_path)].locator("p.context")   # fetched after the list
    snippet.wait_for(state="attached", timeout=10_000)
    v.page.wait_for_function("p => p.innerText.trim().length > 0", arg=snippet.element_handle(),
                             timeout=10_000)
    v.check_clean()


def _cpu_runs(entry: dict) -> dict[str, dict]:
    return {device: run for device, run in entry.items() if device.startswith("cpu-")}


@pytest.mark.slow
def test_status_page_lists_every_chapter_and_each_header_shows_its_time(visit):
    times = json.loads((ROOT / "book" / "timings.json").read_text())
    v = visit("book/status.html")
    v.check_clean()
    rows = v.page.locator("main table tbody tr")
    linked = [r.locator("a").first.get_attribute("href") for r in rows.all()]
    assert sorted(linked) == sorted(Path(p).name for p in CHAPTERS)
    for row in rows.all():
        name = "book/" + row.locator("a").first.get_attribute("href").replace(".html", ".ipynb")
        for run in _cpu_runs(times[name]).values():
            assert f"{run['seconds']:.0f} s" in row.inner_text()
    for page_path in CHAPTERS:
        headers = re.findall(r'<p class="chapter-time"><strong>Run time: </strong>([^<]*)',
                             (SITE / page_path).read_text())
        runs = _cpu_runs(times[page_path.replace(".html", ".ipynb")])
        assert len(headers) == 1
        for device, run in runs.items():
            kind = {"cpu-avx512": "AVX-512", "cpu-avx2": "AVX2"}[device]
            assert f"{run['seconds']:.0f} s on a CPU with {kind} (" in headers[0]


def test_timings_cover_every_chapter():
    """`python tests/execute_notebooks.py` recorded a CPU time for every chapter, on a named kind
    of CPU, and one kind per chapter is marked as the one its stored outputs come from."""
    times = json.loads((ROOT / "book" / "timings.json").read_text())
    assert set(times) == {p.relative_to(ROOT).as_posix() for p in toc_notebooks()}
    for name, entry in times.items():
        runs = _cpu_runs(entry)
        assert runs and set(entry) <= {"cpu-avx512", "cpu-avx2", "gpu"}, name
        assert sum(run["stored"] for run in runs.values()) == 1, name
        for device, run in runs.items():
            assert run["seconds"] > 0 and run["machine"] and run["torch"], name
            assert device == f"cpu-{run['kernels']}", name
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", run["date"]), name


_REPO = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
COLAB = re.compile(r'href="https://colab\.research\.google\.com/github/'
                   + re.escape(_REPO["url"].removeprefix("https://github.com/"))
                   + "/blob/" + re.escape(_REPO["branch"]) + r'/([^"]+)"')


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_colab_button_opens_a_real_notebook(page_path):
    """The rocket button's Colab link (read from the built HTML) names this chapter's notebook."""
    _require((SITE / page_path).is_file(), "no built site: run `jupyter-book build .` first")
    targets = set(COLAB.findall((SITE / page_path).read_text()))
    assert targets == {page_path.replace(".html", ".ipynb")}
    assert (ROOT / targets.pop()).is_file()


def test_publishing_runs_the_ci_checks_then_deploys_the_built_site():
    """The Pages workflow publishes only what passed `.ci/run`, from the folder the build writes."""
    import yaml

    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    assert flow[True]["push"]["branches"] == ["main"]              # YAML reads `on:` as True
    build = flow["jobs"]["check-and-build"]["steps"]
    runs = [step.get("run", "") for step in build]
    uploads = [step for step in build if step.get("uses", "").startswith(
        "actions/upload-pages-artifact")]
    assert "bash .ci/run" in runs and len(uploads) == 1
    assert runs.index("bash .ci/run") < build.index(uploads[0])
    assert uploads[0]["with"]["path"] == "_build/html"
    assert flow["jobs"]["deploy"]["needs"] == "check-and-build"


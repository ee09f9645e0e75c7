"""The HTML edition builds offline from the stored outputs and renders in a real browser."""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    # The README's command, `jupyter-book build . -W`, into a temporary folder.
    command = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or "jupyter-book"
    result = subprocess.run(
        [command, "build", str(ROOT), "--path-output", str(out), "-W"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / "_build" / "html"


def test_every_chapter_and_figure_is_in_the_html_book(html):
    for notebook in sorted((ROOT / "chapters").glob("*.ipynb")):
        assert (html / "chapters" / f"{notebook.stem}.html").is_file()
    for notebook in sorted((ROOT / "chapters" / "solutions").glob("*.ipynb")):
        assert (html / "chapters" / "solutions" / f"{notebook.stem}.html").is_file()
    assert "Porting to and from Keras 3 and PyTorch" in (html / "docs" / "porting.html").read_text()
    images = {p.name for p in (html / "_images").iterdir()}
    assert {"sliding_window.png", "padding_stride.png", "cnn_pipeline.png"} <= images
    page = (html / "chapters" / "03_convolution.html").read_text()
    assert "mathjax/MathJax.js" in page and "cdn.jsdelivr" not in page


@pytest.fixture(scope="module")
def served(html):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_chapter_3_renders_in_headless_chromium(served, tmp_path):
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "profile"
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.new_page()
            page.goto(f"{served}/chapters/03_convolution.html", wait_until="load")
            page.wait_for_function(
                "() => Array.from(document.images).every(img => img.complete)", timeout=30000
            )
            page.wait_for_function("() => document.querySelectorAll('.MathJax, mjx-container').length > 0", timeout=30000)
            screenshot = tmp_path / "chapter3.png"
            page.screenshot(path=str(screenshot))
            title = page.locator("h1").first.inner_text()
            images = page.evaluate(
                "() => Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth, i.naturalHeight])"
            )
            text = page.locator("main").inner_text()
        finally:
            browser.close()
    assert "Convolution" in title
    figures = [i for i in images if "sliding_window" in i[0] or "padding_stride" in i[0]]
    assert len(figures) >= 2
    assert all(width > 0 and height > 0 for _, width, height in images), images
    assert "[[10. 7. 9.] [ 6. 9. 9.] [10. 8. 8.]]" in " ".join(text.split())
    assert screenshot.stat().st_size > 10_000
    # DLBOOK_SCREENSHOT=figures/screenshots/chapter3.png keeps the picture (the README shows it).
    if os.environ.get("DLBOOK_SCREENSHOT"):
        shutil.copyfile(screenshot, os.environ["DLBOOK_SCREENSHOT"])

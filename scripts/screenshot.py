"""Take full-page screenshots of URLs in Debian's Chromium at phone and desktop widths.

    .venv/bin/python scripts/screenshot.py http://127.0.0.1:8000/sciatica/ docs/screenshots/sciatica
writes sciatica-360.png and sciatica-1280.png.
"""

import shutil
import sys

from playwright.sync_api import sync_playwright

WIDTHS = (360, 1280)


def main(url: str, prefix: str) -> None:
    path = shutil.which("chromium")
    if not path:
        sys.exit("chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(url)
            page.screenshot(path=f"{prefix}-{width}.png", full_page=True)
            page.close()
            print(f"{prefix}-{width}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

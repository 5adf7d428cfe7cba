"""Take full-page screenshots of URLs in Debian's Chromium at phone and desktop widths.

    .venv/bin/python scripts/screenshot.py http://127.0.0.1:8000/sciatica/ docs/screenshots/sciatica
writes sciatica-360.png and sciatica-1280.png. With --small the PNGs are reduced to a
256-colour palette (flat UI colours survive; files shrink about fourfold), as committed in docs/.
With --print it also writes PREFIX-print.png, the page as the print stylesheet lays it out (A4 width).
"""

import argparse
import shutil
import sys

from playwright.sync_api import sync_playwright

WIDTHS = (360, 1280)


def shrink(path: str) -> None:
    from PIL import Image

    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main(url: str, prefix: str, small: bool, printed: bool) -> None:
    path = shutil.which("chromium")
    if not path:
        sys.exit("chromium is not installed: apt-get install -y chromium")
    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(url)
            page.screenshot(path=f"{prefix}-{width}.png", full_page=True)
            shots.append(f"{prefix}-{width}.png")
            page.close()
        if printed:
            page = browser.new_page(viewport={"width": 794, "height": 1123})
            page.goto(url)
            page.emulate_media(media="print")
            page.screenshot(path=f"{prefix}-print.png", full_page=True)
            shots.append(f"{prefix}-print.png")
            page.close()
        browser.close()
    for shot in shots:
        if small:
            shrink(shot)
        print(shot)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("prefix")
    parser.add_argument("--small", action="store_true", help="256-colour PNGs, small enough to commit")
    parser.add_argument("--print", dest="printed", action="store_true", help="also a print-stylesheet screenshot")
    args = parser.parse_args()
    main(args.url, args.prefix, args.small, args.printed)

"""Render the nginx templates in deploy/nginx/, and run nginx as a plain process from them.

    python deploy/render.py nginx --upstream 127.0.0.1:8000 --listen 80 --server-name clinic.example \
        --static-root /srv/clinic/staticfiles --media-root /srv/clinic/media \
        --tls-cert /etc/letsencrypt/live/clinic.example/fullchain.pem \
        --tls-key /etc/letsencrypt/live/clinic.example/privkey.pem > /etc/nginx/sites-available/clinic

Without --tls-cert/--tls-key the site is served over plain HTTP (the first start, so certbot can
answer its challenge; loopback benches); with them over HTTPS, and plain HTTP only redirects.

The test suite and the benchmarks call `start_nginx()` to put this same configuration in front
of a live server on loopback.
"""

import argparse
import os
import re
import shutil
import socket

# nginx runs with fixed arguments and no shell (bandit B404/B603 reviewed).
import subprocess  # nosec B404
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)), None
    )


def _sections(text: str, values: dict[str, str]) -> str:
    """Keep `#if NAME` ... `#endif` lines when values[NAME] is non-empty (`#if !NAME`: when empty)."""
    kept, stack = [], []
    for line in text.splitlines(keepends=True):
        marker = line.strip()
        if marker.startswith("#if "):
            name = marker[4:].strip()
            wanted = not values.get(name.lstrip("!")) if name.startswith("!") else bool(values.get(name))
            stack.append(wanted)
        elif marker == "#endif":
            if not stack:
                raise ValueError("#endif without #if")
            stack.pop()
        elif all(stack):
            kept.append(line)
    if stack:
        raise ValueError("#if without #endif")
    return "".join(kept)


def render(template: str, values: dict[str, str]) -> str:
    text = _sections((HERE / "nginx" / template).read_text(), values)
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", str(value))
    missing = sorted(set(re.findall(r"@@([A-Z_]+)@@", text)))
    if missing:
        raise ValueError(f"unrendered placeholders: {missing}")
    return text


def site_values(
    *,
    upstream: str,
    listen: str,
    static_root: Path,
    media_root: Path,
    access_log: str,
    cache_dir: Path,
    server_name: str = "_",
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    tls_listen: str = "443",
    acme_root: Path = Path("/var/www/letsencrypt"),
) -> dict[str, str]:
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("give both the TLS certificate and its key, or neither")
    tls_port = tls_listen.rsplit(":", 1)[-1]
    return {
        "UPSTREAM": upstream,
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "STATIC_ROOT": str(static_root).rstrip("/"),
        "MEDIA_ROOT": str(media_root).rstrip("/"),
        "CACHE_DIR": str(cache_dir),
        # "off" for benchmarks; otherwise a path, written in the JSON format defined in clinic.conf.
        "ACCESS_LOG": access_log if access_log == "off" else f"{access_log} clinic_json",
        "ACME_ROOT": str(acme_root).rstrip("/"),
        # Empty: plain HTTP only; the TLS server block and the HTTP redirect are left out.
        "TLS_CERT": str(tls_cert or ""),
        "TLS_KEY": str(tls_key or ""),
        "TLS_LISTEN": tls_listen,
        # Where plain HTTP redirects to: https://host/ on 443, https://host:PORT/ otherwise.
        "HTTPS_PORT_SUFFIX": "" if tls_port == "443" else f":{tls_port}",
    }


def write_standalone(*, run_dir: Path, site_conf: str, workers: int = 1) -> Path:
    """A complete nginx.conf in run_dir that includes `site_conf`; returns its path."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / sub).mkdir(exist_ok=True)
    site_path = run_dir / "clinic.conf"
    site_path.write_text(site_conf)
    main = render(
        "standalone.conf.template",
        {
            # Run as root only when we are root, so workers can read the caller's private tmp dirs.
            "USER_LINE": "user root;" if os.geteuid() == 0 else "",
            "WORKERS": str(workers),
            "RUN_DIR": str(run_dir),
            "MIME_TYPES": "/etc/nginx/mime.types",
            "SITE_CONF": str(site_path),
        },
    )
    main_path = run_dir / "nginx.conf"
    main_path.write_text(main)
    return main_path


def wait_for_port(port: int, *, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing answered on {host}:{port} within {timeout}s")


def start_nginx(main_conf: Path, *, port: int) -> subprocess.Popen:
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (Debian: apt-get install -y nginx)")
    check = subprocess.run([binary, "-t", "-c", str(main_conf)], capture_output=True, text=True)  # nosec B603
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
    process = subprocess.Popen([binary, "-c", str(main_conf)])  # nosec B603
    try:
        wait_for_port(port)
    except TimeoutError:
        process.kill()
        raise
    return process


def stop_nginx(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["nginx"])
    parser.add_argument("--upstream", default="127.0.0.1:8000")
    parser.add_argument("--listen", default="80")
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--static-root", default="/srv/clinic/staticfiles")
    parser.add_argument("--media-root", default="/srv/clinic/media")
    parser.add_argument("--access-log", default="/var/log/nginx/clinic.access.log")
    parser.add_argument("--cache-dir", default="/var/cache/nginx/clinic")
    parser.add_argument("--tls-cert", type=Path, help="certificate chain (certbot: .../fullchain.pem)")
    parser.add_argument("--tls-key", type=Path, help="its private key (certbot: .../privkey.pem)")
    parser.add_argument("--tls-listen", default="443")
    parser.add_argument("--acme-root", default="/var/www/letsencrypt", help="certbot --webroot path")
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    values = site_values(
        upstream=args.upstream,
        listen=args.listen,
        static_root=Path(args.static_root),
        media_root=Path(args.media_root),
        server_name=args.server_name,
        access_log=args.access_log,
        cache_dir=Path(args.cache_dir),
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_listen=args.tls_listen,
        acme_root=Path(args.acme_root),
    )
    sys.stdout.write(render("clinic.conf.template", values))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

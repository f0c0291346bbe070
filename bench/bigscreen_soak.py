"""Soak test of the big screen: N minutes of rotation in headless Chromium, memory and errors sampled.

Starts ``streamlit run kiosk.py`` on a free port (the demo district, or
``--data``), opens it in Debian's Chromium through playwright at 1920×1080
with a short rotation interval, and every ``--sample`` seconds records:

* frames rotated (``window.kiosk.frames`` in the kiosk's iframe);
* RSS of every Chromium process (browser, renderers, GPU/utility) and of the
  Streamlit server process, with psutil;
* the kiosk document's JS heap and DOM node count (a leak shows there first);
* errors: console errors, uncaught page errors, failed requests, HTTP
  responses ≥ 400, requests to another host, and exception boxes
  (``[data-testid="stException"]``) on the page.

Memory growth is the last sample minus the first one after ``--warmup``
seconds (start-up allocations are not a leak).  Prints a table and, as the last
line, JSON.  Goal for ``--minutes 60``: no error, browser and server growth
under 50 MB each.

Run: ``python bench/bigscreen_soak.py --minutes 60 [--interval 2] [--sample 30]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from common import Errors, free_port

ROOT = Path(__file__).resolve().parents[1]
KIOSK = ROOT / "kiosk.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
IFRAME = 'iframe[title="知识产权大屏"]'
GOAL_GROWTH_MB = 50.0
MB = 1024 * 1024

# Chromium itself says these about the iframe's sandbox/permission attributes Streamlit sets;
# they are warnings, not errors, but keep them out of the error list if a build logs them as errors.
IGNORED_CONSOLE = ("Unrecognized feature:", "allow-scripts and allow-same-origin")


@dataclass
class Sample:
    """One row of the table."""

    t_s: float
    frames: int
    browser_mb: float
    server_mb: float
    heap_mb: float
    dom_nodes: int
    errors: int


def start_server(port: int, data: str | None, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("IPGRID_DATA", None)
    if data:
        env["IPGRID_DATA"] = str(Path(data).resolve())
    cmd = [sys.executable, "-m", "streamlit", "run", str(KIOSK), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"streamlit exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    proc.terminate()
    sys.exit("streamlit did not start within 90 s")


def rss_mb(procs: list[psutil.Process]) -> float:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total / MB


def browser_processes(server_pid: int) -> list[psutil.Process]:
    """Chromium processes started by this script (descendants, not the server's)."""
    me = psutil.Process()
    out = []
    for child in me.children(recursive=True):
        try:
            if child.pid == server_pid or "chrom" not in child.name().lower():
                continue
            out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


def server_processes(server: subprocess.Popen[bytes]) -> list[psutil.Process]:
    try:
        proc = psutil.Process(server.pid)
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kiosk_frame(page):  # noqa: ANN001, ANN201 - playwright types
    handle = page.query_selector(IFRAME)
    return handle.content_frame() if handle else None


def stats(values: list[float]) -> dict[str, float]:
    return {"start": round(values[0], 1), "end": round(values[-1], 1), "max": round(max(values), 1),
            "growth": round(values[-1] - values[0], 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0, help="length of the soak (default 60)")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds per frame (default 2)")
    ap.add_argument("--poll", type=float, default=15.0, help="seconds between data-folder checks (default 15)")
    ap.add_argument("--sample", type=float, default=30.0, help="seconds between samples (default 30)")
    ap.add_argument("--warmup", type=float, default=60.0,
                    help="seconds before the memory baseline (default 60, at most a fifth of the run)")
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--data", help="data folder (default: the demo district)")
    ap.add_argument("--screenshot", help="save a screenshot here at the end")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    # `kill` of this script must stop the server too (the finally below), not orphan it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    duration = args.minutes * 60.0
    warmup = min(args.warmup, duration / 5)
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="ipgrid-soak-")) / "streamlit.log"
    server = start_server(port, args.data, log)
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/?interval={args.interval:g}&poll={args.poll:g}"
    errors = Errors()
    samples: list[Sample] = []
    print(f"# kiosk {url}  ({args.width}×{args.height}, {args.minutes:g} min, sample every {args.sample:g} s, "
          f"baseline after {warmup:.0f} s)", flush=True)
    header = f"{'t (min)':>8} {'frames':>7} {'browser MB':>11} {'server MB':>10} {'JS heap MB':>11} " \
             f"{'DOM nodes':>10} {'errors':>7}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": args.width, "height": args.height}, locale="zh-CN")
            page = context.new_page()

            def on_console(msg) -> None:  # noqa: ANN001
                if msg.type == "error" and not any(s in msg.text for s in IGNORED_CONSOLE):
                    errors.add("console", msg.text)

            def on_request(req) -> None:  # noqa: ANN001
                if not req.url.startswith((base, "data:", "about:", "blob:")):
                    errors.add("external request", req.url)

            def on_response(resp) -> None:  # noqa: ANN001
                if resp.status >= 400:
                    errors.add("http", f"{resp.status} {resp.url}")

            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.add("pageerror", str(exc)))
            page.on("requestfailed", lambda req: errors.add("requestfailed", f"{req.url} {req.failure}"))
            page.on("request", on_request)
            page.on("response", on_response)

            page.goto(url)
            page.wait_for_selector(IFRAME, timeout=60_000)
            kiosk_frame(page).wait_for_function("window.kiosk && window.kiosk.ready", timeout=60_000)
            start = time.monotonic()
            print(header, flush=True)
            next_sample = 0.0
            while True:
                elapsed = time.monotonic() - start
                if elapsed >= next_sample:
                    frame = kiosk_frame(page)
                    info = frame.evaluate(
                        "({frames: window.kiosk ? window.kiosk.frames : -1,"
                        " jsErrors: window.kiosk ? window.kiosk.errors : 0,"
                        " heap: performance.memory ? performance.memory.usedJSHeapSize : 0,"
                        " nodes: document.getElementsByTagName('*').length})"
                    ) if frame else {"frames": -1, "jsErrors": 0, "heap": 0, "nodes": 0}
                    boxes = page.locator('[data-testid="stException"]').count()
                    if boxes:
                        errors.add("exception box", f"{boxes} on the page at {elapsed:.0f} s")
                    parent_nodes = page.evaluate("document.getElementsByTagName('*').length")
                    sample = Sample(
                        t_s=round(elapsed, 1), frames=int(info["frames"]),
                        browser_mb=round(rss_mb(browser_processes(server.pid)), 1),
                        server_mb=round(rss_mb(server_processes(server)), 1),
                        heap_mb=round(info["heap"] / MB, 1), dom_nodes=int(info["nodes"]) + int(parent_nodes),
                        errors=errors.total,
                    )
                    samples.append(sample)
                    print(f"{sample.t_s / 60:8.1f} {sample.frames:7d} {sample.browser_mb:11.1f} "
                          f"{sample.server_mb:10.1f} {sample.heap_mb:11.1f} {sample.dom_nodes:10d} "
                          f"{sample.errors:7d}", flush=True)
                    next_sample += args.sample
                if elapsed >= duration:
                    break
                page.wait_for_timeout(min(1000.0, max(50.0, (next_sample - elapsed) * 1000)))
            if args.screenshot:
                page.screenshot(path=args.screenshot)
            context.close()
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    measured = [s for s in samples if s.t_s >= warmup] or samples
    browser_mb = stats([s.browser_mb for s in measured])
    server_mb = stats([s.server_mb for s in measured])
    result = {
        "minutes": round(samples[-1].t_s / 60, 2),
        "interval_s": args.interval,
        "viewport": f"{args.width}x{args.height}",
        "frames": samples[-1].frames,
        "expected_frames": int(samples[-1].t_s // args.interval),
        "errors": errors.total,
        "error_kinds": errors.counts,
        "first_errors": errors.first,
        "baseline_at_s": measured[0].t_s,
        "browser_rss_mb": browser_mb,
        "server_rss_mb": server_mb,
        "js_heap_mb": stats([s.heap_mb for s in measured]),
        "dom_nodes": {"start": measured[0].dom_nodes, "end": measured[-1].dom_nodes},
        "browser_growth_mb": browser_mb["growth"],
        "server_growth_mb": server_mb["growth"],
        "ok": errors.total == 0 and browser_mb["growth"] < GOAL_GROWTH_MB and server_mb["growth"] < GOAL_GROWTH_MB,
        "samples": [asdict(s) for s in samples] if len(samples) <= 5 else None,
    }
    result = {k: v for k, v in result.items() if v is not None}
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

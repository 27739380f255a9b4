#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Debian's real Prometheus scrapes exitscope-cli serve on loopback; what it stored must be what the run
store recorded: at every scrape, exitscope_exits_total equals the run's exits_total at the sample
exitscope_last_sample_seq names, and rate(exitscope_exits_total) matches the run's rate over the same
samples.

    prometheus-scrape.py EXITSCOPE_CLI EMITTER
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

cli, emitter = sys.argv[1], sys.argv[2]
PROMETHEUS = "/usr/bin/prometheus"


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, timeout, check):
    """Polls check() until it returns a true value, saying every 5 s how long it has waited."""
    start = time.monotonic()
    last_report = 0
    while True:
        value = check()
        if value:
            return value
        waited = time.monotonic() - start
        if waited > timeout:
            fail(f"{what}: not within {timeout} s")
        if waited - last_report >= 5:
            last_report = waited
            print(f"  waiting for {what}: {waited:.0f} s of {timeout} s", flush=True)
        time.sleep(0.25)


def http_get(url, accept=None):
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def query(prometheus, expression, at=None):
    params = {"query": expression}
    if at is not None:
        params["time"] = f"{at:.3f}"
    body = json.loads(http_get(f"http://127.0.0.1:{prometheus}/api/v1/query?" + urllib.parse.urlencode(params)))
    if body.get("status") != "success":
        fail(f"Prometheus refused {expression}: {body}")
    return body["data"]["result"]


if not os.access(PROMETHEUS, os.X_OK):
    fail(f"{PROMETHEUS} is missing: install Debian's prometheus package (scripts/setup test does)")

work = tempfile.mkdtemp(prefix="exitscope-prometheus-")
children = []


def stop_children():
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


try:
    exporter_port, prometheus_port = free_port(), free_port()
    store = os.path.join(work, "runs.sqlite")
    with open(os.path.join(work, "fleet.conf"), "w") as f:
        # 50 readings a second, 1,003 exits each, stamped with the real clock: a counter that moves
        # between any two scrapes, and a rate in the run store over real time.
        f.write(f"[synthetic]\ncommand = {emitter} --samples 1000000 --interval-ms 20 --wall-clock\nguest = emitter\n")
    serve_log = open(os.path.join(work, "serve.log"), "w")
    serve = subprocess.Popen([cli, "serve", "--config", os.path.join(work, "fleet.conf"), "--store", store,
                              "--listen", f"127.0.0.1:{exporter_port}"], stdout=serve_log, stderr=subprocess.STDOUT)
    children.append(serve)
    metrics_url = f"http://127.0.0.1:{exporter_port}/metrics"

    def exporter_up():
        if serve.poll() is not None:
            fail(f"exitscope-cli serve ended with {serve.returncode}: {open(serve_log.name).read()}")
        try:
            return 'exitscope_up{host="synthetic",guest="emitter"} 1' in http_get(metrics_url)
        except OSError:
            return False

    print(f"== exitscope-cli serve on 127.0.0.1:{exporter_port}", flush=True)
    wait_for("the exporter's sender to say hello", 60, exporter_up)
    text = http_get(metrics_url, "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
    if not text.endswith("# EOF\n") or "# TYPE exitscope_exits counter" not in text:
        fail("an OpenMetrics request did not get the OpenMetrics format")
    if "# TYPE exitscope_exits_total counter" not in http_get(metrics_url, "text/plain"):
        fail("a text/plain request did not get Prometheus' text format")

    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                f"scrape_configs:\n  - job_name: exitscope\n    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n")
    prometheus = subprocess.Popen([PROMETHEUS, "--config.file", os.path.join(work, "prometheus.yml"),
                                   "--storage.tsdb.path", os.path.join(work, "tsdb"),
                                   "--web.listen-address", f"127.0.0.1:{prometheus_port}", "--log.level", "warn"],
                                  stdout=open(os.path.join(work, "prometheus.log"), "w"), stderr=subprocess.STDOUT)
    children.append(prometheus)
    print(f"== prometheus on 127.0.0.1:{prometheus_port}, scraping every second", flush=True)

    def scrapes():
        if prometheus.poll() is not None:
            fail(f"prometheus ended with {prometheus.returncode}: {open(os.path.join(work, 'prometheus.log')).read()[-2000:]}")
        try:
            result = query(prometheus_port, 'count_over_time(exitscope_exits_total{guest="emitter"}[10m])')
        except OSError:
            return 0
        return int(float(result[0]["value"][1])) >= 6 if result else 0

    wait_for("six scrapes stored in Prometheus", 180, scrapes)
    at = time.time()
    raw = {}
    for name in ("exitscope_exits_total", "exitscope_last_sample_seq", "exitscope_run_id"):
        result = query(prometheus_port, f'{name}{{guest="emitter"}}[10m]', at)
        if len(result) != 1:
            fail(f"{name}: {len(result)} series, expected 1")
        raw[name] = {round(float(t), 3): float(v) for t, v in result[0]["values"]}
    scrape_times = sorted(set(raw["exitscope_exits_total"]) & set(raw["exitscope_last_sample_seq"]))
    runs = {raw["exitscope_run_id"][t] for t in scrape_times if t in raw["exitscope_run_id"]}
    if len(runs) != 1:
        fail(f"the scrapes span runs {runs}; expected one run")
    run_id = int(runs.pop())
    a, b = scrape_times[1], scrape_times[-1]
    window = b - a
    rate = query(prometheus_port, f'rate(exitscope_exits_total{{guest="emitter"}}[{int((window + 0.5) * 1000)}ms])', b)
    prometheus_rate = float(rate[0]["value"][1])

    # The exporter stops cleanly, and so the run is complete in the store.
    serve.send_signal(signal.SIGINT)
    if serve.wait(30) != 0:
        fail(f"exitscope-cli serve exited {serve.returncode} on SIGINT")
    csv_path = os.path.join(work, "run.csv")
    subprocess.run([cli, "export", str(run_id), "--store", store, "--csv", csv_path, "--quiet"], check=True,
                   stderr=subprocess.DEVNULL)
    stored = {}
    with open(csv_path) as f:
        header = f.readline().strip().split(",")
        col = {name: i for i, name in enumerate(header)}
        for line in f:
            cells = line.rstrip("\n").split(",")
            if cells[col["row"]] == "sample":
                stored[int(cells[col["seq"]])] = (int(cells[col["exits_total"]]), int(cells[col["sender_t_ns"]]))

    print(f"== {len(scrape_times)} scrapes of run {run_id} against the run store ({len(stored)} samples)", flush=True)
    for t in scrape_times:
        seq = int(raw["exitscope_last_sample_seq"][t])
        exported = int(raw["exitscope_exits_total"][t])
        if seq not in stored:
            fail(f"scrape at {t}: sample {seq} is not in the run store")
        if stored[seq][0] != exported:
            fail(f"scrape at {t}: Prometheus has {exported} exits, the run store {stored[seq][0]} at sample {seq}")
        print(f"  scrape {t:.3f}: sample {seq}, {exported} exits: the same in the run store", flush=True)
    seq_a, seq_b = int(raw["exitscope_last_sample_seq"][a]), int(raw["exitscope_last_sample_seq"][b])
    store_rate = (stored[seq_b][0] - stored[seq_a][0]) / ((stored[seq_b][1] - stored[seq_a][1]) / 1e9)
    ratio = prometheus_rate / store_rate
    print(f"  rate over {window:.1f} s: Prometheus {prometheus_rate:.0f} exits/s, run store {store_rate:.0f} exits/s "
          f"(ratio {ratio:.3f})", flush=True)
    # Prometheus divides by scrape times, the run by the sender's clock, and extrapolates to the window's
    # edges: 10 % covers both on a busy machine.
    if not 0.9 <= ratio <= 1.1:
        fail(f"rate(exitscope_exits_total) is {prometheus_rate:.0f}/s, the run store's {store_rate:.0f}/s")
    print("ok: Prometheus stored what the run store recorded", flush=True)
finally:
    stop_children()
    subprocess.run(["rm", "-rf", work])

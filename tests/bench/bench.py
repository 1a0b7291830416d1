#!/usr/bin/env python3
"""Measurement helpers for tests/bench/run.sh (which starts and stops the processes).

  bench.py measure  --name N --url U --connections C [--meta] ... --out FILE
      one wrk run (warm-up, then measured) with CPU and RSS of the named processes around it
  bench.py idle     --port P --count N --path PATH
      opens N keep-alive connections, one request each, keeps them open; prints "ready N" and
      waits for SIGTERM
  bench.py rss      PID                      VmRSS and VmHWM in KiB, as JSON
  bench.py targets  --url U [--vary N] --out FILE
      the vendor request target the gateway makes for U (its explain=true plan), one a line;
      with --vary, for each of the N created_before variants measure --vary asks
  bench.py report   --scenario K --raw DIR --out FILE [--note TEXT]
      the scenario's table on stdout and its JSON file
  bench.py summary  --raw DIR --out FILE
      the issue's figures, each beside its reference and target, on stdout and in FILE

Figures are from one machine and one run; see the table notes for what bounds each one.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")


# ---- /proc ---------------------------------------------------------------------------------

def stat_fields(path):
    """The fields of a /proc stat file after the command name (which may hold spaces)."""
    with open(path) as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()


def descendants(pid):
    """pid and every process below it (nginx's workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(stat_fields(f"/proc/{entry}/stat")[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_snapshot(pid):
    """CPU seconds (user+system) of pid and its descendants, and of each of their threads."""
    total, threads = 0, {}
    for p in descendants(pid):
        try:
            f = stat_fields(f"/proc/{p}/stat")
            total += int(f[11]) + int(f[12])  # utime, stime (fields 14 and 15 of stat)
            for t in os.listdir(f"/proc/{p}/task"):
                tf = stat_fields(f"/proc/{p}/task/{t}/stat")
                threads[f"{p}/{t}"] = int(tf[11]) + int(tf[12])
        except OSError:
            continue
    return {"s": total / TICK, "threads": {k: v / TICK for k, v in threads.items()}}


def machine_busy():
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return sum(v) - idle, sum(v)


def rss(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])  # kB
    return {"rss_kib": out.get("VmRSS"), "hwm_kib": out.get("VmHWM")}


# ---- measure -------------------------------------------------------------------------------

def run_wrk(url, connections, threads, seconds, meta, header, timeout_s, vary=0, paths=""):
    env = dict(os.environ)
    env["BENCH_VARY"] = str(vary)
    env["BENCH_PATHS"] = paths
    env["BENCH_THREADS"] = str(min(threads, connections))
    env["BENCH_META"] = "1" if meta else "0"
    env["BENCH_HEADER"] = header or ""
    cmd = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{seconds}s",
           "--timeout", f"{timeout_s}s", "--latency", "-s", os.path.join(HERE, "stats.lua"), url]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    sys.exit(f"bench.py: wrk printed no figures (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def sandbox_requests(ports):
    """Vendor requests the sandboxes have received so far (GET /__sandbox/stats), summed."""
    total = 0
    for port in ports:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /__sandbox/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        total += json.loads(data.partition(b"\r\n\r\n")[2])["requests"]
    return total


def gauge(url, name):
    """A Prometheus gauge's value from url, or None when it cannot be read."""
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " ") or line.startswith(name + "{"):
                    return float(line.rsplit(" ", 1)[1])
    except OSError:
        return None
    return None


def drain(metrics_url, limit_s=60):
    """Waits until the gateway has no request in flight: the warm-up's last requests, whose
    clients wrk dropped, are still being served and would land in the measured run."""
    if not metrics_url:
        return 0.0
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        n = gauge(metrics_url, "cgw_http_in_flight_requests")
        if n is None or n <= 1:  # the scrape itself is in flight
            break
        time.sleep(0.1)
    return time.monotonic() - t0


def variant(url, k):
    """The k-th created_before variant of url, as stats.lua's BENCH_VARY asks it."""
    return f"{url}&created_before=2030-01-01T00:00:00.{k:03d}Z"


def origin_of(url):
    """"http://host:port" of an absolute URL."""
    import urllib.parse
    u = urllib.parse.urlsplit(url)
    return f"{u.scheme}://{u.netloc}"


def read_paths(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def prime(urls):
    """Asks for every variant once, 4 at a time, so that the memoizing sandboxes have them all
    before wrk starts (a cold sandbox would be the bottleneck)."""
    import concurrent.futures
    import urllib.request

    def get(u):
        try:
            with urllib.request.urlopen(u, timeout=30) as r:
                r.read()
        except OSError:
            pass

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(get, urls))


def plan_targets(plan):
    """Every "target" string of an explain=true plan, in document order."""
    if isinstance(plan, dict):
        for k, v in plan.items():
            if k == "target" and isinstance(v, str):
                yield v
            else:
                yield from plan_targets(v)
    elif isinstance(plan, list):
        for v in plan:
            yield from plan_targets(v)


def targets(a):
    """The first vendor target of each variant's plan (explain=true calls no vendor)."""
    import urllib.request
    urls = [variant(a.url, k) for k in range(min(a.vary, 1000))] if a.vary else [a.url]
    out = []
    for u in urls:
        with urllib.request.urlopen(u + "&explain=true", timeout=30) as r:
            plan = json.loads(r.read())["plan"]
        t = next(plan_targets(plan), None)
        if t is None:
            sys.exit(f"bench.py: the plan of {u} names no vendor target")
        out.append(t)
    if a.vary and len(set(out)) != len(out):
        sys.exit(f"bench.py: the {len(out)} variants of {a.url} make only {len(set(out))} distinct vendor requests")
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")


def measure(a):
    pids = dict(item.split("=", 1) for item in a.pids.split(",") if item)
    pids = {k: int(v) for k, v in pids.items()}
    ports = [int(p) for p in a.sandbox_ports.split(",") if p]
    variants = 0
    if a.paths:
        paths = read_paths(a.paths)
        variants = len(paths)
        prime([origin_of(a.url) + p for p in paths])
    elif a.vary:
        variants = min(a.vary, 1000)
        prime([variant(a.url, k) for k in range(variants)])
    if a.warmup > 0:
        run_wrk(a.url, a.connections, a.threads, a.warmup, False, a.header, a.timeout, a.vary, a.paths)
    drained_s = drain(a.metrics)
    calls_before = sandbox_requests(ports)
    before = {k: cpu_snapshot(p) for k, p in pids.items()}
    busy0 = machine_busy()
    t0 = time.monotonic()
    figures = run_wrk(a.url, a.connections, a.threads, a.duration, a.meta, a.header, a.timeout, a.vary, a.paths)
    wall = time.monotonic() - t0
    after = {k: cpu_snapshot(p) for k, p in pids.items()}
    busy1 = machine_busy()
    vendor_calls = sandbox_requests(ports) - calls_before
    cpu = {}
    for k in pids:
        used = after[k]["s"] - before[k]["s"]
        busiest = max((v - before[k]["threads"].get(t, 0.0) for t, v in after[k]["threads"].items()), default=0.0)
        cpu[k] = {
            "cpu_s": round(used, 3),
            "cores": round(used / wall, 3),               # 1.0 = one core busy all the time
            "busiest_thread_cores": round(busiest / wall, 3),
            "cpu_ms_per_1k_requests": round(used * 1e6 / figures["requests"], 2) if figures["requests"] else None,
        }
    out = {"name": a.name, "vendors_label": a.label, "url": a.url, "vary_created_before": a.vary,
           "paths_file": os.path.basename(a.paths) if a.paths else None, "variants": variants, "connections": a.connections, "wrk_threads": min(a.threads, a.connections),
           "warmup_s": a.warmup, "drain_after_warmup_s": round(drained_s, 2), "wall_s": round(wall, 3), **figures, "cpu": cpu,
           # Includes calls still in flight when wrk stopped: a little above the true ratio.
           # Every CPU of the machine: wrk, the processes above and anything else running.
           "machine_busy_cores": round((busy1[0] - busy0[0]) / (busy1[1] - busy0[1]) * os.cpu_count(), 2),
           "load_average_after": os.getloadavg()[0],
           "vendor_calls_per_request": round(vendor_calls / figures["requests"], 3) if figures["requests"] else None}
    if "gateway" in pids:
        out["gateway_rss_after"] = rss(pids["gateway"])
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


# ---- idle connections ----------------------------------------------------------------------

def idle(a):
    request = (f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1:{a.port}\r\nConnection: keep-alive\r\n\r\n").encode()
    socks, answered, failed = [], 0, 0
    sel = selectors.DefaultSelector()
    # In batches, so the gateway is not asked for `count` fan-outs at the same instant.
    for start in range(0, a.count, a.batch):
        pending = {}
        for _ in range(start, min(a.count, start + a.batch)):
            s = socket.create_connection(("127.0.0.1", a.port))
            s.sendall(request)
            s.setblocking(False)
            socks.append(s)
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ)
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                chunk = s.recv(65536)
                if not chunk:
                    failed += 1
                    sel.unregister(s)
                    del pending[s]
                    continue
                pending[s] += chunk
                head, sep, body = pending[s].partition(b"\r\n\r\n")
                if not sep:
                    continue
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(body) >= length:
                    answered += 1 if head.startswith(b"HTTP/1.1 200") else 0
                    sel.unregister(s)
                    del pending[s]
        for s in list(pending):
            sel.unregister(s)
            failed += 1
    print(f"ready {len(socks)} answered_200 {answered} failed {failed}", flush=True)
    signal.pause()  # hold the connections until run.sh sends SIGTERM (the kernel closes them)


# ---- report --------------------------------------------------------------------------------

def load(raw, name):
    path = os.path.join(raw, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fmt(x, digits=1):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def errors_of(r):
    return sum(r["errors"].values())


def sandbox_cols(r):
    s = r["cpu"].get("sandboxes")
    out = [fmt(s["cores"], 2), fmt(s["busiest_thread_cores"], 2)] if s else ["-", "-"]
    return out + [fmt(r.get("machine_busy_cores"), 2)]


def report(a):
    raw, k = a.raw, a.scenario
    meta = json.load(open(os.path.join(raw, "meta.json"))) if os.path.exists(os.path.join(raw, "meta.json")) else {}
    result = {"scenario": k, "machine": meta.get("machine"), "note": a.note}
    lines = []
    if k == 1:
        gw, ng, gv = load(raw, "s1_gateway"), load(raw, "s1_nginx"), load(raw, "s1_gateway_distinct")
        nd = load(raw, "s1_nginx_distinct")
        result.update(title="Proxy overhead: one Salesloft page of 50, gateway vs nginx proxy_pass to the same sandbox",
                      gateway_request=gw["url"], nginx_request=ng["url"], runs=[r for r in (gw, ng, gv, nd) if r])
        rows = []
        runs = [("gateway", gw, "gateway"), ("nginx", ng, "nginx")]
        if gv:
            runs.insert(1, ("gateway, distinct*", gv, "gateway"))
        if nd:
            runs.append(("nginx, distinct*", nd, "nginx"))
        for label, r, who in runs:
            rows.append([label, r["connections"], fmt(r["rps"]), fmt(r["latency_ms"]["p50"], 2),
                         fmt(r["latency_ms"]["p99"], 2), fmt(r["latency_ms"]["p99_9"], 2),
                         fmt(r["cpu"][who]["cpu_ms_per_1k_requests"]), fmt(r["cpu"][who]["cores"], 2),
                         *sandbox_cols(r), fmt(r["vendor_calls_per_request"], 2), errors_of(r)])
        ratio = {
            "rps": gw["rps"] / ng["rps"] if ng["rps"] else None,
            "p50": gw["latency_ms"]["p50"] / ng["latency_ms"]["p50"],
            "p99": gw["latency_ms"]["p99"] / ng["latency_ms"]["p99"],
            "p99_9": gw["latency_ms"]["p99_9"] / ng["latency_ms"]["p99_9"],
            "cpu_per_1k": gw["cpu"]["gateway"]["cpu_ms_per_1k_requests"] / ng["cpu"]["nginx"]["cpu_ms_per_1k_requests"],
        }
        result["ratio_gateway_over_nginx"] = {key: round(v, 3) if v is not None else None for key, v in ratio.items()}
        rows.append(["ratio gw/nginx", "", fmt(ratio["rps"], 2), fmt(ratio["p50"], 2), fmt(ratio["p99"], 2),
                     fmt(ratio["p99_9"], 2), fmt(ratio["cpu_per_1k"], 2), "", "", "", "", "", ""])
        if gv:
            nr = nd or ng  # nginx asked the same distinct vendor requests, when that run exists
            rg = {"rps": gv["rps"] / nr["rps"],
                  "p50": gv["latency_ms"]["p50"] / nr["latency_ms"]["p50"],
                  "p99": gv["latency_ms"]["p99"] / nr["latency_ms"]["p99"],
                  "p99_9": gv["latency_ms"]["p99_9"] / nr["latency_ms"]["p99_9"],
                  "cpu_per_1k": gv["cpu"]["gateway"]["cpu_ms_per_1k_requests"] / nr["cpu"]["nginx"]["cpu_ms_per_1k_requests"]}
            result["ratio_distinct_gateway_over_nginx"] = {key: round(v, 3) for key, v in rg.items()}
            rows.append([f"ratio distinct*/nginx{' distinct*' if nd else ''}", "", fmt(rg["rps"], 2), fmt(rg["p50"], 2),
                         fmt(rg["p99"], 2), fmt(rg["p99_9"], 2), fmt(rg["cpu_per_1k"], 2), "", "", "", "", "", ""])
        lines.append(table(["", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "CPU ms/1k req", "proxy cores",
                            "sandbox cores", "busiest sandbox thread", "machine busy cores", "vendor calls/req", "errors"], rows))
        lines.append(f"gateway: {gw['url']}\nnginx:   {ng['url']}")
        if gv:
            lines.append(f"* distinct: {gv['variants']} variants of created_before=2030-01-01T00:00:00.<k>Z "
                         "(same records), each wrk thread rotating through them, so no two requests in flight are "
                         "the same query and none can share a vendor call"
                         + ("; nginx distinct: the vendor request the gateway makes for each variant (explain=true)"
                            if nd else ""))
    elif k == 2:
        runs = [r for r in (load(raw, "s2_c1"), load(raw, "s2_c16"), load(raw, "s2_scan_c1"), load(raw, "s2_vendor_c1")) if r]
        result.update(title="Fan-out: page of 50, each sandbox adds 50 ms", runs=runs,
                      physical_limit_ms=50, serial_sum_ms=50 * meta.get("vendors_called", 4))
        rows = []
        for r in runs:
            g = r.get("gateway_added_ms", {})
            n = r.get("vendors_label", "all")
            serial = 50 * (meta.get("vendors_called", 4) if n == "all" else n.count("+") + 1)
            proxy = r["cpu"].get("gateway") or r["cpu"].get("nginx")
            rows.append([n, r["connections"], fmt(r["rps"]), fmt(r["latency_ms"]["p50"], 2),
                         fmt(r["latency_ms"]["p99"], 2), fmt(r["latency_ms"]["p99_9"], 2), 50, serial,
                         fmt(g.get("p50")), fmt(g.get("p99")), fmt(proxy["cpu_ms_per_1k_requests"]),
                         fmt(r["vendor_calls_per_request"], 2), errors_of(r)])
        lines.append(table(["vendors", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "limit ms", "serial ms",
                            "gw-added p50", "gw-added p99", "CPU ms/1k req", "vendor calls/req", "errors"], rows))
        for r in runs:
            lines.append(f"{r.get('vendors_label', 'all')}: {r['url']}")
    elif k in (3, 4):
        prefix = "s3_" if k == 3 else "s4_"
        runs = [load(raw, f"{prefix}c{c}") for c in (1, 16, 64, 256)] + [load(raw, f"{prefix}scan_c64"),
                                                                        load(raw, f"{prefix}scan_page2_c64")]
        runs = [r for r in runs if r]
        result.update(title=("Throughput" if k == 3 else "Cache hits") + ": all-vendor page of 50, no added latency" +
                      (", cache on, identical queries" if k == 4 else ""), runs=runs)
        rows = []
        for r in runs:
            g = r.get("gateway_added_ms", {})
            rows.append([r.get("vendors_label", "all"), r["connections"], fmt(r["rps"]), fmt(r["latency_ms"]["p50"], 2),
                         fmt(r["latency_ms"]["p99"], 2), fmt(r["latency_ms"]["p99_9"], 2), fmt(g.get("p50")),
                         fmt(g.get("p99")), fmt(g.get("p99_9")), fmt(r["cpu"]["gateway"]["cpu_ms_per_1k_requests"]),
                         fmt(r["cpu"]["gateway"]["cores"], 2), *sandbox_cols(r),
                         fmt(r["gateway_rss_after"]["rss_kib"] / 1024), fmt(r["vendor_calls_per_request"], 2),
                         errors_of(r)])
        lines.append(table(["vendors", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "gw-added p50", "gw-added p99",
                            "gw-added p99.9", "CPU ms/1k req", "gw cores", "sandbox cores", "busiest sandbox thread",
                            "machine busy cores", "gw RSS MiB", "vendor calls/req", "errors"], rows))
        for label in dict.fromkeys(r.get("vendors_label", "all") for r in runs):
            lines.append(f"{label}: " + next(r["url"] for r in runs if r.get("vendors_label", "all") == label))
    elif k == 5:
        mem = json.load(open(os.path.join(raw, "s5_memory.json")))
        result.update(title="Connections and memory: gateway VmRSS", samples=mem)
        rows = [[m["when"], fmt(m["rss_kib"] / 1024), fmt(m["hwm_kib"] / 1024), m.get("detail", "")] for m in mem]
        lines.append(table(["when", "VmRSS MiB", "VmHWM MiB", "detail"], rows))
        soak = []
        while (r := load(raw, f"s5_soak_{len(soak) + 1}")) is not None:
            soak.append(r)
        if soak:
            result["soak_runs"] = soak
            lines.append(table(["soak segment", "conns", "seconds", "req/s", "p50 ms", "p99 ms", "gw RSS MiB after",
                                "errors"],
                               [[i + 1, r["connections"], fmt(r["duration_s"], 0), fmt(r["rps"]),
                                 fmt(r["latency_ms"]["p50"], 2), fmt(r["latency_ms"]["p99"], 2),
                                 fmt(r["gateway_rss_after"]["rss_kib"] / 1024), errors_of(r)]
                                for i, r in enumerate(soak)]))
            lines.append(f"soak request: {soak[0]['url']}")
    print("\n".join(lines))
    if a.note:
        print(a.note)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)


# ---- summary -------------------------------------------------------------------------------

def summary(a):
    """Issue 17's table from this run's raw files: figure | gateway | reference | ratio | target | met?
    A figure whose runs are missing (a build without the cache keys) shows "-" and met null."""
    raw = a.raw
    meta = load(raw, "meta") or {}
    get = lambda name: load(raw, name)

    def cpu(r, who):
        return r["cpu"][who]["cpu_ms_per_1k_requests"] if r else None

    def throughput(r, who):
        if not r:
            return "-"
        return (f"{r['rps']:,.0f} req/s, p50 {r['latency_ms']['p50']:.2f} / p99 {r['latency_ms']['p99']:.2f} ms, "
                f"{fmt(cpu(r, who), 0)} ms CPU/1k, {fmt(r['vendor_calls_per_request'], 2)} vendor calls/req")

    rows = []

    def add(figure, gw, gw_text, ref, ref_text, kind, target, unit=""):
        """kind "ratio": gateway/reference >= target; "diff": gateway - reference <= target;
        "min": gateway >= target (no reference)."""
        value = None
        if kind == "ratio" and gw is not None and ref:
            value = gw / ref
        elif kind == "diff" and gw is not None and ref is not None:
            value = gw - ref
        elif kind == "min" and gw is not None:
            value = gw
        met = None
        if value is not None and target is not None:
            met = value <= target if kind == "diff" else value >= target
        target_text = "-" if target is None else (f">= {target:g}x" if kind == "ratio" else
                                                  f"<= +{target:g} ms" if kind == "diff" else f">= {target:,.0f}{unit}")
        value_text = ("-" if value is None else f"{value:.2f}x" if kind == "ratio" else
                      f"{value:+.2f} ms" if kind == "diff" else "-")
        rows.append({"figure": figure, "gateway": gw_text, "reference": ref_text, "ratio": value_text,
                     "target": target_text, "met": met, "gateway_value": gw, "reference_value": ref,
                     "value": None if value is None else round(value, 3), "kind": kind, "target_value": target})

    gv, nd, gw, ng = get("s1_gateway_distinct"), get("s1_nginx_distinct"), get("s1_gateway"), get("s1_nginx")
    add("single-vendor page of 50, distinct queries (one vendor call each), 64 conns",
        gv and gv["rps"], throughput(gv, "gateway"), nd and nd["rps"], "nginx " + throughput(nd, "nginx"), "ratio", 0.5)
    add("the same page, identical queries, 64 conns", gw and gw["rps"], throughput(gw, "gateway"),
        ng and ng["rps"], "nginx " + throughput(ng, "nginx"), "ratio", 1.0)
    c1, v1 = get("s2_c1"), get("s2_vendor_c1")
    add("all-vendor page p50, each vendor +50 ms, 1 conn", c1 and c1["latency_ms"]["p50"],
        "-" if not c1 else f"p50 {c1['latency_ms']['p50']:.2f} ms ({meta.get('vendors_called', '?')} vendors called)",
        v1 and v1["latency_ms"]["p50"],
        "-" if not v1 else f"the slowest vendor alone via nginx, p50 {v1['latency_ms']['p50']:.2f} ms", "diff", 0.5)
    c64 = get("s4_c64")
    add("all-vendor page, cache on, 64 conns", c64 and c64["rps"], throughput(c64, "gateway"),
        ng and ng["rps"], "-" if not ng else f"nginx's single-vendor {ng['rps']:,.0f} req/s", "ratio", 2.0)
    for name, label in (("s3_scan_c64", "Flex scan page 1 (1,000 records read), cache off, 64 conns"),
                        ("s4_scan_c64", "Flex scan page 1, cache on, 64 conns")):
        r = get(name)
        add(label, r and r["rps"], throughput(r, "gateway"), None, "-", "min", None)
    p2 = get("s4_scan_page2_c64")
    add("Flex scan pages 2..n of one scan (page 2 by its cursor), cache on, 64 conns", p2 and p2["rps"],
        throughput(p2, "gateway"), None, "-", "min", 5000, " req/s")

    cells = [[r["figure"], r["gateway"], r["reference"], r["ratio"], r["target"],
              "-" if r["met"] is None else ("yes" if r["met"] else "NO")] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(("figure", "gateway", "reference", "ratio",
                                                                               "target", "met?"))]
    line = lambda cs: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cs, widths)) + " |"
    print("\n".join([line(("figure", "gateway", "reference", "ratio", "target", "met?")),
                     "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)]))
    print(f"revision {meta.get('revision')}; {meta.get('machine')}; load average at start "
          f"{', '.join(f'{x:.2f}' for x in meta.get('load_average_at_start', []))}; "
          f"{'--quick' if meta.get('quick') else 'full run'}")
    with open(a.out, "w") as f:
        json.dump({"title": "Issue 17's figures, side by side with nginx in the same run", "machine": meta.get("machine"),
                   "revision": meta.get("revision"), "quick": meta.get("quick"), "rows": rows}, f, indent=1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--name", required=True)
    m.add_argument("--url", required=True)
    m.add_argument("--connections", type=int, required=True)
    m.add_argument("--threads", type=int, default=2)
    m.add_argument("--warmup", type=int, default=2)
    m.add_argument("--duration", type=int, default=10)
    m.add_argument("--timeout", type=int, default=10)
    m.add_argument("--meta", action="store_true")
    m.add_argument("--label", default="all", help="which vendors the request asks, for the tables")
    m.add_argument("--vary", type=int, default=0, help="BENCH_VARY for stats.lua")
    m.add_argument("--paths", default="", help="BENCH_PATHS for stats.lua: a file of request paths on --url's origin")
    m.add_argument("--header", default="")
    m.add_argument("--pids", default="")
    m.add_argument("--sandbox-ports", default="")
    m.add_argument("--metrics", default="", help="the gateway's /metrics, to wait for the warm-up to drain")
    m.add_argument("--out", required=True)
    i = sub.add_parser("idle")
    i.add_argument("--port", type=int, required=True)
    i.add_argument("--count", type=int, default=1000)
    i.add_argument("--batch", type=int, default=50)
    i.add_argument("--path", default="/healthz")
    r = sub.add_parser("rss")
    r.add_argument("pid", type=int)
    t = sub.add_parser("targets")
    t.add_argument("--url", required=True, help="a gateway list URL")
    t.add_argument("--vary", type=int, default=0)
    t.add_argument("--out", required=True)
    sm = sub.add_parser("summary")
    sm.add_argument("--raw", required=True)
    sm.add_argument("--out", required=True)
    rp = sub.add_parser("report")
    rp.add_argument("--scenario", type=int, required=True)
    rp.add_argument("--raw", required=True)
    rp.add_argument("--out", required=True)
    rp.add_argument("--note", default="")
    a = p.parse_args()
    if a.cmd == "measure":
        measure(a)
    elif a.cmd == "idle":
        idle(a)
    elif a.cmd == "rss":
        print(json.dumps(rss(a.pid)))
    elif a.cmd == "targets":
        targets(a)
    elif a.cmd == "summary":
        summary(a)
    else:
        report(a)


if __name__ == "__main__":
    main()

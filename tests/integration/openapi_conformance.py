#!/usr/bin/env python3
"""The gateway's real answers against the OpenAPI document it serves (ctest: openapi_conformance).

  openapi_conformance.py BIN_DIR SOURCE_DIR

Starts the sandbox program (every vendor) and the gateway binary on free loopback ports, fetches
/openapi.json from it, and sends requests that reach every endpoint and the statuses it can write:
pages, explain plans, gets, stats, vendors, probes, metrics, CORS preflights, and the errors (400,
401, 404, 405, 429, 501, 502, 504). Each answer's status must be one the document lists for the
operation, and a JSON body must validate against the schema the document gives for that status
(JSON Schema 2020-12, Debian's python3-jsonschema); a text answer must have the documented media
type. Every mismatch is printed; any fails the test.
"""
import hashlib
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

try:
    import jsonschema
except ImportError:  # a fresh machine: Debian's package (install-deps installs it too)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "python3-jsonschema"], check=True)
    import jsonschema

KEY = "conformance-client-key"
LIMITED_KEY = "conformance-limited-key"
ORIGIN = "http://dashboard.test"


def free_base_port(count):
    """A base port with `count` free consecutive loopback ports after it."""
    for _ in range(200):
        base = random.randint(20000, 60000 - count)
        try:
            socks = []
            for p in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            for s in socks:
                s.close()
            return base
        except OSError:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


def wait_for(port, deadline_s=20):
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def call(port, method, target, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, target, body=body, headers=headers or {})
    res = conn.getresponse()
    data = res.read()
    conn.close()
    return res.status, {k.lower(): v for k, v in res.getheaders()}, data


def template_of(path, doc_paths):
    """The document's path template a concrete path matches."""
    if path in doc_paths:
        return path
    for template in doc_paths:
        if "{" not in template:
            continue
        prefix = template[: template.index("{")]
        if path.startswith(prefix) and "/" not in path[len(prefix):]:
            return template
    return None


def main():
    bin_dir, source_dir = sys.argv[1], sys.argv[2]
    base = free_base_port(4)
    gw_port = free_base_port(1)
    with open(os.path.join(source_dir, "config", "sandbox.json")) as f:
        cfg = json.load(f)
    for i, name in enumerate(["salesloft", "twilio_flex", "twilio_insights", "zild"]):
        cfg["vendors"][name]["base_url"] = f"http://127.0.0.1:{base + i}"
    cfg["listen"] = {"address": "127.0.0.1", "port": gw_port}
    cfg["logging"] = {"level": "warn", "format": "json"}
    cfg["cors"] = {"allowed_origins": [ORIGIN]}
    cfg["cache"] = {"ttl_ms": 0}  # every case asks the vendors: the fault cases must reach them
    sha = lambda k: hashlib.sha256(k.encode()).hexdigest()
    cfg["clients"] = [
        {"name": "conformance", "key_sha256": sha(KEY), "tenant": "sandbox"},
        {"name": "limited", "key_sha256": sha(LIMITED_KEY), "tenant": "sandbox",
         "rate_limit": {"requests_per_s": 1, "burst": 1}},
    ]
    work = tempfile.mkdtemp(prefix="cgw-openapi-")
    cfg_path = os.path.join(work, "gateway.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)

    procs = []
    try:
        procs.append(subprocess.Popen([os.path.join(bin_dir, "vendor-sandbox"), "--all", "--base-port", str(base),
                                       "--records", "200"], stdout=subprocess.DEVNULL))
        for i in range(4):
            wait_for(base + i)
        procs.append(subprocess.Popen([os.path.join(bin_dir, "conversation-gateway"), "--config", cfg_path],
                                      stderr=open(os.path.join(work, "gateway.log"), "w")))
        wait_for(gw_port)
        return check_all(gw_port, base)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def check_all(port, sandbox_base):
    status, _, body = call(port, "GET", "/openapi.json")
    if status != 200:
        print(f"openapi_conformance: /openapi.json answered {status}")
        return 1
    doc = json.loads(body)
    auth = {"Authorization": "Bearer " + KEY}
    faults = lambda i, menu: call(sandbox_base + i, "POST", "/__sandbox/faults", {"Content-Type": "application/json"},
                                  json.dumps(menu))

    # (method, target, headers, the status the case is meant to produce)
    cases = [
        ("GET", "/v1/conversations?page_size=5", auth, 200),
        ("GET", "/v1/conversations?page_size=5&sort=-created_at&include=raw", auth, 200),
        ("GET", "/v1/conversations?page_size=5&explain=true", auth, 200),
        ("GET", "/v1/conversations?page_size=0", auth, 400),
        ("GET", "/v1/conversations?colour=blue", auth, 400),
        ("GET", "/v1/conversations?cursor=forged", auth, 400),
        ("GET", "/v1/conversations?vendor=nobody", auth, 400),
        ("GET", "/v1/conversations", {}, 401),
        ("GET", "/v1/conversations", {"Authorization": "Bearer wrong"}, 401),
        ("GET", "/v1/conversations/stats?group_by=vendor", auth, 200),
        ("GET", "/v1/conversations/stats?group_by=channel&measures=count,duration_ms.avg&explain=true", auth, 200),
        ("GET", "/v1/conversations/stats?group_by=colour", auth, 400),
        ("GET", "/v1/conversations/stats?page_size=3", auth, 400),
        ("GET", "/v1/conversations/zild:48000", auth, 200),
        ("GET", "/v1/conversations/zild:notanumber", auth, 400),
        ("GET", "/v1/conversations/nobody:1", auth, 404),
        ("GET", "/v1/conversations/zild:1", auth, 404),
        ("GET", "/v1/conversations/twilio_flex:CA1", auth, 501),
        ("GET", "/v1/conversations/novendor", auth, 400),
        ("GET", "/v1/vendors", auth, 200),
        ("GET", "/healthz", {}, 200),
        ("GET", "/readyz", {}, 200),
        ("GET", "/metrics", {}, 200),
        ("GET", "/openapi.json", {}, 200),
        ("POST", "/v1/conversations", auth, 405),
        ("DELETE", "/v1/vendors", auth, 405),
        ("OPTIONS", "/v1/conversations", {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}, 204),
        ("GET", "/v1/conversations?page_size=5", {"Authorization": "Bearer " + LIMITED_KEY}, 200),
        ("GET", "/v1/conversations?page_size=6", {"Authorization": "Bearer " + LIMITED_KEY}, 429),
    ]
    failures = []
    seen = set()

    def check(method, target, headers, meant):
        status, got_headers, body = call(port, method, target, headers)
        path = target.split("?")[0]
        label = f"{method} {target} -> {status}"
        if status != meant:
            failures.append(f"{label}: the case is meant to answer {meant} ({body[:200]!r})")
        template = template_of(path, doc["paths"])
        if template is None:
            failures.append(f"{label}: the path is not in the document")
            return
        # A method the path has no operation for (POST, DELETE) is judged by the GET operation's 405.
        ops = doc["paths"][template]
        op = ops.get(method.lower()) or (None if method == "OPTIONS" else ops.get("get"))
        if op is None:
            failures.append(f"{label}: the document has no {method} operation for {template}")
            return
        responses = op.get("responses", {})
        documented = responses.get(str(status))
        seen.add((template, method, status))
        if documented is None:
            failures.append(f"{label}: status {status} is not documented for {method} {template} "
                            f"(documented: {sorted(responses)})")
            return
        content = documented.get("content")
        if not content:
            if body:
                failures.append(f"{label}: a body where the document says none")
            return
        media = got_headers.get("content-type", "").split(";")[0].strip()
        if media not in content:
            failures.append(f"{label}: Content-Type {media!r}, documented {sorted(content)}")
            return
        schema = content[media].get("schema")
        if media != "application/json" or schema is None:
            return
        try:
            value = json.loads(body)
        except ValueError:
            failures.append(f"{label}: the body is not JSON")
            return
        root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": doc.get("components", {}),
                "allOf": [schema]}
        errors = sorted(jsonschema.Draft202012Validator(root).iter_errors(value), key=lambda e: list(e.path))
        for e in errors[:5]:
            where = "/".join(str(p) for p in e.absolute_path) or "(the body)"
            failures.append(f"{label}: {where}: {e.message[:300]}")

    for method, target, headers, meant in cases:
        check(method, target, headers, meant)
    # Every vendor failing: 502; every vendor slower than the deadline: 504.
    for i in range(4):
        faults(i, {"error_status": 500})
    # New queries (a filter no earlier case used): nothing of theirs is kept to answer from.
    check("GET", "/v1/conversations?page_size=5&min_duration_ms=7", auth, 502)
    check("GET", "/v1/conversations/zild:48001", auth, 502)
    for i in range(4):
        faults(i, {"latency_ms": 1500})
    check("GET", "/v1/conversations?page_size=5&min_duration_ms=8", dict(auth, **{"X-Request-Timeout-Ms": "300"}), 504)
    check("GET", "/v1/conversations/zild:48002", dict(auth, **{"X-Request-Timeout-Ms": "300"}), 504)
    for i in range(4):
        faults(i, {})

    for f in failures:
        print("openapi_conformance:", f)
    print(f"openapi_conformance: {len(seen)} (path, method, status) answers checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks deploy/ against the code: the Dockerfile, compose.yaml and the Kubernetes manifests.

    check_manifests.py ROOT K8S_OBJECTS_OUT.json

Facts are read from the repository, never written down here: the routes the gateway serves (the
route table of gateway/api/service.cpp), the port and grace period of the config each artifact
mounts (the JSON file or ConfigMap found where `--config` points), the `${file:...}` paths in that
config, the metric names the code emits (for the dashboard and the alert rules). Each failed rule is
one FAIL line; the exit status is 1 if there is any. The Kubernetes objects are written to
K8S_OBJECTS_OUT.json for validate_k8s.js (schema validation).
"""
import glob
import json
import os
import re
import shlex
import sys

import yaml

ROOT = os.path.abspath(sys.argv[1])
OBJECTS_OUT = sys.argv[2]
failures = []
passes = 0


def check(ok, what):
    global passes
    if ok:
        passes += 1
        print(f"ok   {what}")
    else:
        failures.append(what)
        print(f"FAIL {what}")
    return ok


def rel(path):
    return os.path.relpath(path, ROOT)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# --- facts from the code ----------------------------------------------------------------------
def served_routes():
    src = read(os.path.join(ROOT, "gateway/api/service.cpp"))
    table = re.search(r"routes\(\)\s*\{.*?table\s*=\s*\{(.*?)\};", src, re.S)
    if not table:
        check(False, "gateway/api/service.cpp: the route table (routes()) is found")
        return set()
    return set(re.findall(r'\{\s*"(/[^"]*)"', table.group(1)))


def emitted_metrics():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "gateway/**/*.[ch]pp"), recursive=True) + glob.glob(
        os.path.join(ROOT, "adapters/**/*.[ch]pp"), recursive=True
    ):
        names.update(re.findall(r'"(cgw_[a-z0-9_]+)"', read(path)))
    return names


ROUTES = served_routes()
check({"/healthz", "/readyz", "/metrics"} <= ROUTES, f"the gateway serves /healthz, /readyz and /metrics (routes: {sorted(ROUTES)})")

FILE_REF = re.compile(r"\$\{file:([^}]*)\}")


def file_refs(config):
    return sorted(set(FILE_REF.findall(json.dumps(config))))


def grace_s(config):
    return config.get("server", {}).get("shutdown_grace_ms", 10000) / 1000.0  # the loader's default


def config_arg(args, where):
    args = list(args or [])
    if "--config" in args and args.index("--config") + 1 < len(args):
        return args[args.index("--config") + 1]
    check(False, f"{where}: the gateway is started with --config FILE (args: {args})")
    return None


def duration_s(text):
    """Compose durations: 1m30s, 15s, 500ms, or a bare number of seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    total, units = 0.0, {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    for number, unit in re.findall(r"([0-9.]+)(ms|us|h|m|s)", str(text)):
        total += float(number) * units[unit]
    return total


def is_root(user):
    if user is None:
        return True
    name = str(user).split(":")[0].strip()
    return name in ("", "0", "root")


# --- the Dockerfile ---------------------------------------------------------------------------
def dockerfile():
    path = os.path.join(ROOT, "deploy/Dockerfile")
    lines, current = [], ""
    for raw in read(path).splitlines():
        if not current and raw.lstrip().startswith("#"):
            continue
        current += raw.rstrip("\\").strip() + " " if raw.rstrip().endswith("\\") else raw.strip()
        if not raw.rstrip().endswith("\\"):
            if current.strip():
                lines.append(current.strip())
            current = ""
    stages = []
    for line in lines:
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stages.append({"from": rest.split()[0], "run": []})
        elif stages:
            key = word.upper()
            if key == "RUN":
                stages[-1]["run"].append(rest)
            else:
                stages[-1][key] = rest
    if not check(len(stages) >= 2, "Dockerfile: multi-stage (a build stage and a runtime stage)"):
        return {}
    for s in stages:
        check(s["from"].startswith("debian:bookworm-slim"), f"Dockerfile: stage FROM {s['from']} is debian:bookworm-slim")
    build_runs = " ".join(r for s in stages[:-1] for r in s["run"])
    check("deploy/install-deps.sh" in build_runs and "deploy/build.sh" in build_runs,
          "Dockerfile: the build stage runs deploy/install-deps.sh and deploy/build.sh")
    final = stages[-1]
    check("deploy/build.sh" not in " ".join(final["run"]) and "install-deps.sh" not in " ".join(final["run"]),
          "Dockerfile: the runtime stage installs no build dependencies")
    user = final.get("USER")
    check(not is_root(user), f"Dockerfile: the runtime stage's USER ({user}) is not root")

    def exec_form(key):
        text = final.get(key)
        try:
            value = json.loads(text) if text else None
        except ValueError:
            value = None
        return value if isinstance(value, list) else None

    entrypoint = exec_form("ENTRYPOINT")
    check(entrypoint is not None and entrypoint[0].endswith("/conversation-gateway"),
          f"Dockerfile: ENTRYPOINT is the gateway in exec form, so it is PID 1 and gets SIGTERM ({final.get('ENTRYPOINT')})")
    cmd = exec_form("CMD") or []
    expose = [int(p.split("/")[0]) for p in final.get("EXPOSE", "").split() if p.split("/")[0].isdigit()]
    health = final.get("HEALTHCHECK", "")
    m = re.search(r"https?://[^/\s\"']+:(\d+)(/[^\s\"']*)", health)
    check(m is not None and m.group(2) in ROUTES and m.group(2) == "/healthz",
          f"Dockerfile: HEALTHCHECK asks /healthz, a route the gateway serves ({health})")
    tool = re.search(r'CMD\s+\[?\s*"?([a-z]+)', health)
    runs = " ".join(final["run"])
    check(tool is not None and re.search(rf"\b{tool.group(1)}\b", runs) is not None,
          f"Dockerfile: the HEALTHCHECK's tool ({tool.group(1) if tool else '?'}) is installed in the runtime stage")
    return {"user": user, "cmd": cmd, "expose": expose, "health_port": int(m.group(1)) if m else None}


DOCKER = dockerfile()
CONFIGS = {}  # where -> the gateway config it mounts, for the loader check


# --- compose.yaml -----------------------------------------------------------------------------
def compose():
    path = os.path.join(ROOT, "deploy/compose.yaml")
    base = os.path.dirname(path)
    doc = yaml.safe_load(read(path))
    services = doc.get("services", {})
    gateways = {n: s for n, s in services.items()
                if s.get("build", {}).get("dockerfile") == "deploy/Dockerfile" and "entrypoint" not in s}
    if not check(len(gateways) >= 2, f"compose.yaml: several gateway replicas built from deploy/Dockerfile ({sorted(gateways)})"):
        return
    secrets_top = doc.get("secrets", {})
    configs_top = doc.get("configs", {})
    secrets_script = read(os.path.join(ROOT, "deploy/compose-secrets.sh"))
    for name, s in gateways.items():
        where = f"compose.yaml: {name}"
        command = s.get("command", DOCKER.get("cmd"))
        if isinstance(command, str):
            command = shlex.split(command)
        cfg_path = config_arg(command, where)
        if not cfg_path:
            continue
        source = None
        for c in s.get("configs", []):
            if isinstance(c, dict) and c.get("target") == cfg_path:
                source = configs_top.get(c.get("source"), {}).get("file")
        for v in s.get("volumes", []):
            if isinstance(v, str) and v.split(":")[1:2] == [cfg_path]:
                source = v.split(":")[0]
        if not check(source is not None and os.path.isfile(os.path.join(base, source)),
                     f"{where}: the --config path {cfg_path} is a mounted file of the repository ({source})"):
            continue
        config = json.loads(read(os.path.join(base, source)))
        CONFIGS.setdefault(f"compose.yaml ({source})", config)
        port = config["listen"]["port"]
        exposed = [int(str(p).split("/")[0]) for p in s.get("expose", [])]
        exposed += [int(str(p).split(":")[-1].split("/")[0]) for p in s.get("ports", [])]
        check(port in exposed, f"{where}: the container port {exposed} includes the config's listen.port {port}")
        check(port in DOCKER.get("expose", []), f"{where}: the image EXPOSEs listen.port {port} ({DOCKER.get('expose')})")
        check(DOCKER.get("health_port") == port, f"{where}: the image's HEALTHCHECK asks listen.port {port}")
        test = " ".join(s.get("healthcheck", {}).get("test", []))
        m = re.search(r"https?://[^/\s]+:(\d+)(/\S*)", test)
        check(m is not None and int(m.group(1)) == port and m.group(2) == "/healthz",
              f"{where}: the healthcheck asks /healthz on listen.port ({test})")
        check(not is_root(s.get("user", DOCKER.get("user"))), f"{where}: runs as a non-root user ({s.get('user', DOCKER.get('user'))})")
        grace = duration_s(s.get("stop_grace_period", "10s"))
        check(grace > grace_s(config),
              f"{where}: stop_grace_period {grace:g} s is above server.shutdown_grace_ms/1000 = {grace_s(config):g} s")
        mounted = {}
        for sec in s.get("secrets", []):
            src = sec if isinstance(sec, str) else sec.get("source")
            target = sec if isinstance(sec, str) else sec.get("target", src)
            mounted[target if target.startswith("/") else "/run/secrets/" + target] = src
        refs = file_refs(config)
        check(len(refs) > 0, f"{where}: its config reads credentials through ${{file:...}} ({len(refs)} paths)")
        for ref in refs:
            src = mounted.get(ref)
            check(src is not None and src in secrets_top,
                  f"{where}: ${{file:{ref}}} is a mounted secret ({src})")
            if src in secrets_top:
                f = secrets_top[src].get("file", "")
                check(re.search(rf"^write {re.escape(os.path.basename(f))} ", secrets_script, re.M) is not None,
                      f"{where}: deploy/compose-secrets.sh writes the file of secret {src} ({f})")
        shared = config.get("shared_state")
        if check(shared is not None, f"{where}: its config has shared_state"):
            check(shared.get("expected_replicas", 1) >= len(gateways),
                  f"{where}: shared_state.expected_replicas {shared.get('expected_replicas')} >= the {len(gateways)} replicas")
            url = re.match(r"rediss?://([^:/]+):?(\d+)?", shared["redis"]["url"])
            host, rport = url.group(1), int(url.group(2) or 6379)
            redis = services.get(host, {})
            check(host in services and rport in [int(p) for p in redis.get("expose", [])],
                  f"{where}: shared_state.redis.url names the compose service {host}, which exposes {rport}")
            ep = redis.get("entrypoint", "")
            ep = " ".join(ep) if isinstance(ep, list) else str(ep)
            check(re.search(r"--save\s+(''|\"\")", ep) is not None and "--appendonly no" in ep,
                  f"compose.yaml: {host} runs with persistence off")
            pw = FILE_REF.findall(shared["redis"].get("password", ""))
            check(len(pw) == 1 and mounted.get(pw[0]) in [x if isinstance(x, str) else x.get("source") for x in redis.get("secrets", [])],
                  f"compose.yaml: {host} reads the same password secret as the gateway's shared_state.redis.password")
        for vname, v in config.get("vendors", {}).items():
            u = re.match(r"https?://([^:/]+):(\d+)", v["base_url"])
            if u and u.group(1) in services:
                check(int(u.group(2)) in [int(p) for p in services[u.group(1)].get("expose", [])],
                      f"{where}: vendors.{vname}.base_url port {u.group(2)} is exposed by service {u.group(1)}")
    # Only loopback on the host
    for name, s in services.items():
        for p in s.get("ports", []):
            check(str(p).startswith("127.0.0.1:"), f"compose.yaml: {name} publishes {p} on the host's loopback only")
    # haproxy's backends are the gateway services on their listen.port
    lb = [s for s in services.values() if "haproxy" in str(s.get("image", ""))]
    if check(len(lb) == 1, "compose.yaml: one haproxy in front"):
        cfg = None
        for v in lb[0].get("volumes", []):
            if isinstance(v, str) and v.split(":")[1].endswith("haproxy.cfg"):
                cfg = os.path.join(base, v.split(":")[0])
        if check(cfg is not None and os.path.isfile(cfg), f"compose.yaml: haproxy mounts its config ({cfg and rel(cfg)})"):
            text = read(cfg)
            servers = dict(re.findall(r"^\s*server\s+\S+\s+([^:\s]+):(\d+)", text, re.M))
            check(sorted(servers) == sorted(gateways), f"{rel(cfg)}: the servers {sorted(servers)} are the gateway replicas")
            check(all(int(p) == port for p in servers.values()), f"{rel(cfg)}: every server is on listen.port {port}")
            check(re.search(r"option\s+httpchk\s+GET\s+/readyz", text) is not None and "/readyz" in ROUTES,
                  f"{rel(cfg)}: health checks on /readyz")
            check(re.search(r"balance\s+roundrobin", text) is not None, f"{rel(cfg)}: round robin")


compose()


# --- Kubernetes -------------------------------------------------------------------------------
def k8s():
    objects, entries = [], []
    files = sorted(glob.glob(os.path.join(ROOT, "deploy/k8s/*.yaml")))
    kustomization = None
    for path in files:
        for doc in yaml.safe_load_all(read(path)):
            if not doc:
                continue
            if doc.get("kind") == "Kustomization":
                kustomization = (path, doc)
                continue
            objects.append((path, doc))
            entries.append({"file": rel(path), "object": doc})
    with open(OBJECTS_OUT, "w") as f:
        json.dump(entries, f)
    if kustomization:
        listed = sorted(kustomization[1].get("resources", []))
        present = sorted(os.path.basename(p) for p, _ in objects)
        check(listed == sorted(set(present)), f"k8s/kustomization.yaml lists every manifest ({listed})")

    def find(kind, pred=lambda o: True):
        return [o for _, o in objects if o.get("kind") == kind and pred(o)]

    for kind in ("Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"):
        check(len(find(kind)) > 0, f"k8s: has a {kind}")

    def selects(selector, labels):
        return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

    # The gateway's Deployment: the one whose container runs the gateway's --config
    gw = None
    for d in find("Deployment"):
        for c in d["spec"]["template"]["spec"]["containers"]:
            if "--config" in (c.get("args") or []) + (c.get("command") or []):
                gw, container = d, c
    if not check(gw is not None, "k8s: a Deployment runs the gateway with --config"):
        return
    name = gw["metadata"]["name"]
    where = f"k8s Deployment/{name}"
    pod = gw["spec"]["template"]["spec"]
    labels = gw["spec"]["template"]["metadata"].get("labels", {})
    check(gw["spec"].get("replicas", 1) == 3, f"{where}: 3 replicas ({gw['spec'].get('replicas')})")
    check(selects(gw["spec"]["selector"].get("matchLabels"), labels), f"{where}: the selector matches the pod labels")

    cfg_path = config_arg((container.get("command") or [])[1:] + (container.get("args") or []), where)
    volumes = {v["name"]: v for v in pod.get("volumes", [])}

    def mounted_file(path):
        """(volume, key) providing the file at `path` through a volumeMount, or (None, None)."""
        for m in container.get("volumeMounts", []):
            mp = m["mountPath"].rstrip("/")
            if m.get("subPath") and path == mp:
                return volumes.get(m["name"]), m["subPath"]
            if os.path.dirname(path) == mp:
                v = volumes.get(m["name"], {})
                src = v.get("configMap") or v.get("secret") or {}
                base = os.path.basename(path)
                items = src.get("items")
                if items is None:
                    return v, base
                for it in items:
                    if it["path"] == base:
                        return v, it["key"]
        return None, None

    vol, key = mounted_file(cfg_path) if cfg_path else (None, None)
    cm = vol and vol.get("configMap") and find("ConfigMap", lambda o: o["metadata"]["name"] == vol["configMap"]["name"])
    if not check(bool(cm) and key in cm[0].get("data", {}),
                 f"{where}: --config {cfg_path} is a key of a ConfigMap mounted there ({key})"):
        return
    config = json.loads(cm[0]["data"][key])
    CONFIGS[f"k8s ConfigMap/{cm[0]['metadata']['name']}"] = config
    port = config["listen"]["port"]
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    check(port in ports.values(), f"{where}: containerPort {sorted(ports.values())} is the config's listen.port {port}")
    check(port in DOCKER.get("expose", []), f"{where}: the image EXPOSEs listen.port {port}")

    def probe(kind, path):
        p = container.get(kind) or {}
        get = p.get("httpGet") or {}
        pp = ports.get(get.get("port"), get.get("port"))
        check(get.get("path") == path and path in ROUTES and pp == port,
              f"{where}: {kind} is GET {get.get('path')} on port {pp} (want {path}, served, on {port})")

    probe("readinessProbe", "/readyz")
    probe("livenessProbe", "/healthz")

    pre = (((container.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command") or []
    pre_s = float(pre[-1]) if len(pre) >= 2 and pre[0].endswith("sleep") and re.fullmatch(r"[0-9.]+", pre[-1]) else 0.0
    tgps = pod.get("terminationGracePeriodSeconds", 30)
    check(tgps > grace_s(config) + pre_s,
          f"{where}: terminationGracePeriodSeconds {tgps} > preStop {pre_s:g} s + server.shutdown_grace_ms/1000 {grace_s(config):g} s")

    psc, csc = pod.get("securityContext") or {}, container.get("securityContext") or {}
    non_root = csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    check(non_root and uid not in (None, 0), f"{where}: runAsNonRoot with a non-zero runAsUser ({uid})")
    check(str(uid) == str(DOCKER.get("user", "")).split(":")[0], f"{where}: runAsUser {uid} is the image's USER {DOCKER.get('user')}")
    check(csc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem")
    check(csc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation false")
    req = (container.get("resources") or {}).get("requests") or {}
    check("cpu" in req and "memory" in req, f"{where}: resource requests for cpu and memory ({req})")
    check("memory" in ((container.get("resources") or {}).get("limits") or {}), f"{where}: a memory limit")

    # Secrets: every ${file:...} is a key of a mounted Secret
    refs = file_refs(config)
    check(len(refs) > 0, f"{where}: its config reads credentials through ${{file:...}} ({len(refs)} paths)")
    secret_keys = {}
    for ref in refs:
        vol, key = mounted_file(ref)
        sec = vol and vol.get("secret") and find("Secret", lambda o: o["metadata"]["name"] == vol["secret"]["secretName"])
        keys = set((sec[0].get("data") or {}).keys()) | set((sec[0].get("stringData") or {}).keys()) if sec else set()
        check(bool(sec) and key in keys, f"{where}: ${{file:{ref}}} is key {key} of a mounted Secret")
        secret_keys[ref] = (sec[0]["metadata"]["name"] if sec else None, key)
    check(not any("secretKeyRef" in json.dumps(e) for e in container.get("env", [])),
          f"{where}: no credential in the environment (they are files)")

    # Service, PDB, HPA
    svcs = find("Service", lambda o: selects(o["spec"].get("selector"), labels))
    if check(len(svcs) == 1, f"k8s: one Service selects the gateway's pods"):
        for sp in svcs[0]["spec"]["ports"]:
            target = ports.get(sp.get("targetPort"), sp.get("targetPort", sp["port"]))
            check(target == port, f"k8s Service/{svcs[0]['metadata']['name']}: targetPort {sp.get('targetPort')} is listen.port {port}")
    pdbs = find("PodDisruptionBudget", lambda o: selects(o["spec"]["selector"].get("matchLabels"), labels))
    if check(len(pdbs) == 1, "k8s: a PodDisruptionBudget selects the gateway's pods"):
        spec = pdbs[0]["spec"]
        check(spec.get("maxUnavailable", 0) not in (0, "0%") or spec.get("minAvailable", 0) < gw["spec"].get("replicas", 1),
              "k8s PodDisruptionBudget: lets a drain proceed (not every replica required)")
    hpas = find("HorizontalPodAutoscaler", lambda o: o["spec"]["scaleTargetRef"]["name"] == name)
    shared = config.get("shared_state") or {}
    check(bool(shared), f"{where}: its config has shared_state")
    if check(len(hpas) == 1, f"k8s: a HorizontalPodAutoscaler scales Deployment/{name}"):
        h = hpas[0]["spec"]
        check(h.get("minReplicas", 1) <= gw["spec"].get("replicas", 1) <= h["maxReplicas"],
              f"k8s HPA: minReplicas {h.get('minReplicas')} <= replicas <= maxReplicas {h['maxReplicas']}")
        # A rolling update at maxReplicas runs maxSurge more pods at once.
        ru = (gw["spec"].get("strategy") or {}).get("rollingUpdate") or {}
        surge = ru.get("maxSurge", "25%") if (gw["spec"].get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate" else 0
        if isinstance(surge, str) and surge.endswith("%"):
            surge = -(-h["maxReplicas"] * int(surge[:-1]) // 100)
        most = h["maxReplicas"] + int(surge)
        check(shared.get("expected_replicas", 1) >= most,
              f"k8s: shared_state.expected_replicas {shared.get('expected_replicas')} >= HPA maxReplicas {h['maxReplicas']} + maxSurge {surge} "
              "(the Redis-down shares never add up to more than a vendor's quota)")

    # Redis: the URL's host is a Service in front of a Redis with persistence off, same password
    if shared:
        url = re.match(r"rediss?://([^:/]+):?(\d+)?", shared["redis"]["url"])
        host, rport = url.group(1), int(url.group(2) or 6379)
        rsvc = find("Service", lambda o: o["metadata"]["name"] == host)
        if check(len(rsvc) == 1 and rport in [p["port"] for p in rsvc[0]["spec"]["ports"]],
                 f"k8s: shared_state.redis.url's host {host}:{rport} is a Service of these manifests"):
            rdep = find("Deployment", lambda o: selects(rsvc[0]["spec"]["selector"], o["spec"]["template"]["metadata"].get("labels", {})))
            if check(len(rdep) == 1, f"k8s: Service/{host} selects a Redis Deployment"):
                rpod = rdep[0]["spec"]["template"]["spec"]
                rc = rpod["containers"][0]
                cmd = " ".join(rc.get("command", []) + rc.get("args", []))
                check(re.search(r"--save\s+(''|\"\")", cmd) is not None and "--appendonly no" in cmd,
                      f"k8s Deployment/{rdep[0]['metadata']['name']}: persistence off")
                rsc, rpsc = rc.get("securityContext") or {}, rpod.get("securityContext") or {}
                check(rsc.get("runAsNonRoot", rpsc.get("runAsNonRoot")) is True and rsc.get("runAsUser", rpsc.get("runAsUser")) not in (None, 0),
                      f"k8s Deployment/{rdep[0]['metadata']['name']}: non-root")
                pw = FILE_REF.findall(shared["redis"].get("password", ""))
                want = secret_keys.get(pw[0]) if pw else None
                got = []
                for v in rpod.get("volumes", []):
                    if "secret" in v:
                        items = v["secret"].get("items")
                        got += [(v["secret"]["secretName"], it["key"]) for it in items] if items else [(v["secret"]["secretName"], None)]
                check(want is not None and (want in got or (want[0], None) in got),
                      f"k8s: Redis reads the Secret key the gateway's shared_state.redis.password names ({want})")
                rlabels = rdep[0]["spec"]["template"]["metadata"].get("labels", {})
                # NetworkPolicy: Redis takes connections from the gateway's pods
                rnp = find("NetworkPolicy", lambda o: selects(o["spec"]["podSelector"].get("matchLabels"), rlabels))
                check(any(selects(fr.get("podSelector", {}).get("matchLabels"), labels)
                          for np in rnp for ing in np["spec"].get("ingress", []) for fr in ing.get("from", [])),
                      "k8s NetworkPolicy: Redis admits the gateway's pods")
    gnp = find("NetworkPolicy", lambda o: selects(o["spec"]["podSelector"].get("matchLabels"), labels))
    if check(len(gnp) == 1, "k8s: a NetworkPolicy selects the gateway's pods"):
        ing_ports = [p.get("port") for ing in gnp[0]["spec"].get("ingress", []) for p in ing.get("ports", [])]
        check(port in ing_ports or "http" in ing_ports, f"k8s NetworkPolicy: ingress admits listen.port {port} ({ing_ports})")
        check("Egress" in gnp[0]["spec"].get("policyTypes", []), "k8s NetworkPolicy: egress is restricted too")


k8s()


# --- the dashboard and the alert rules use metrics the code emits ------------------------------
def metric_names_in(text):
    return set(re.findall(r"\b(cgw_[a-z0-9_]+)", text))


def metrics():
    emitted = emitted_metrics()
    for name in ("deploy/grafana/conversation-gateway.json", "deploy/prometheus/alerts.yaml"):
        path = os.path.join(ROOT, name)
        text = read(path)
        if name.endswith(".json"):
            dash = json.loads(text)
            panels = [p for p in dash.get("panels", []) if p.get("type") != "row"]
            exprs = [t.get("expr", "") for p in panels for t in p.get("targets", [])]
            ids = [p.get("id") for p in dash.get("panels", [])]
            check(len(panels) > 0 and all(p.get("targets") for p in panels) and all(exprs),
                  f"{name}: {len(panels)} panels, each with queries ({len(exprs)} expressions)")
            check(len(ids) == len(set(ids)) and all(p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in dash["panels"]),
                  f"{name}: panel ids unique, every panel within the 24-column grid")
            used_vars = set(re.findall(r"\$\{?(\w+)", text)) - {"__rate_interval", "__interval", "__range"}
            defined = {v["name"] for v in dash.get("templating", {}).get("list", [])}
            check(used_vars <= defined, f"{name}: every $variable it uses is defined ({sorted(used_vars)})")
        else:
            doc = yaml.safe_load(text)
            rules = [r for g in doc.get("groups", []) for r in g.get("rules", [])]
            check(len(rules) > 0 and all("alert" in r and "expr" in r for r in rules), f"{name}: {len(rules)} alert rules, each with alert and expr")
        used = metric_names_in(text)
        base = {re.sub(r"_(bucket|sum|count)$", "", u) if u not in emitted else u for u in used}
        unknown = sorted(b for b in base if b not in emitted)
        check(len(base) > 0 and not unknown,
              f"{name}: every metric it uses is emitted by the code ({len(base)} names; unknown: {unknown})")


metrics()


# --- the gateway's own loader accepts every mounted config ------------------------------------
def loader():
    binary = os.environ.get("CGW_GATEWAY_BIN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("note no conversation-gateway binary found: the mounted configs were not run through --check-config")
        return
    import subprocess
    import tempfile
    for where, original in CONFIGS.items():
        config = json.loads(json.dumps(original))
        with tempfile.TemporaryDirectory() as d:
            # Each ${file:...} becomes a file of dummy bytes here (32+, as cursor_secret needs).
            text = json.dumps(config)
            for i, ref in enumerate(file_refs(config)):
                f = os.path.join(d, f"secret-{i}")
                with open(f, "w") as out:
                    out.write("dummy-value-for-check-config-0123456789")
                text = text.replace("${file:" + ref + "}", "${file:" + f + "}")
            config = json.loads(text)
            path = os.path.join(d, "config.json")
            with open(path, "w") as out:
                json.dump(config, out)
            r = subprocess.run([binary, "--check-config", path], capture_output=True, text=True)
            message = (r.stderr or r.stdout).strip().removeprefix("conversation-gateway: ")
            check(r.returncode == 0, f"{where}: conversation-gateway --check-config accepts it ({message})")


loader()

print(f"check_manifests.py: {passes} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)

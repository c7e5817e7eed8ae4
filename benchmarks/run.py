"""Bake the template and measure it next to a bare ASGI app and a tutorial-grade peer.

    python -m benchmarks.run                 # full run: every layer, about 15 minutes
    python -m benchmarks.run --short         # about a minute, for the test suite
    python -m benchmarks.run --baseline-ref main --layer redis --scenario chat_16

from the repository root (the servers are tests/servers.py's).

For each channel layer (in-memory, redis, redis-pubsub) it starts, side by side:
- production: the bake under `manage.py serve` (uvicorn, 1 process, its real stack);
- daphne: the same bake under daphne (the development server);
- bare uvicorn: bare_app.py (no Django, no Channels) on uvicorn: the limit;
- bare daphne: bare_app.py on daphne;
- peer: benchmarks/peer/, the Channels tutorial's shape, on daphne;
- peer uvicorn: the same peer on uvicorn, the production row's server;
and one more row for each --baseline-ref (its bake under `serve`, or daphne if it
has none). The load clients run in their own process (clients.py).

The anonymous scenarios run first, on processes that never opened a database
connection. Then every Django row logs a user in through its login page (a real
POST: a database-backed session, and from then on the process has opened the
database, as any deployment has after its first login) and the `_user`
scenarios run with that session's cookie on every socket.
Writes results.json and ratios.png to --output and prints a table; ratios are
row / bare uvicorn, measured in the same run.
"""

import argparse
import concurrent.futures
import contextlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from tests.servers import (
    Daphne,
    RedisServer,
    Uvicorn,
    WebServer,
    free_port,
    migrate,
)
from tests.web import WebClient

BENCHMARKS_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = BENCHMARKS_DIR.parent
PYTHON = sys.executable
LAYERS = ("in-memory", "redis", "redis-pubsub")
REDIS_LAYERS = ("redis", "redis-pubsub")
BARE_APP = "bare_app:application"  # served from BENCHMARKS_DIR
PEER_DIR = BENCHMARKS_DIR / "peer"
PEER_APP = "mysite.asgi:application"  # served from PEER_DIR
PRODUCTION = "production"
DAPHNE = "daphne"
LIMIT = "bare uvicorn"
BARE_DAPHNE = "bare daphne"
PEER = "peer"
PEER_UVICORN = "peer uvicorn"
# production / this row is the "x peer" factor: the peer on the same server.
PEER_REFERENCE = PEER_UVICORN
# Rows measured in --short mode (the daphne rows are left out).
SHORT_ROWS = (PRODUCTION, LIMIT, PEER_UVICORN)
BARE_ROWS = (LIMIT, BARE_DAPHNE)  # no Django: no users, cookies ignored
PEER_ROWS = (PEER, PEER_UVICORN)

# name: (client scenario, connections, figure reported, higher is better)
# idle_500 first: the servers' heaps are fresh then (later it reuses freed memory).
SCENARIOS = {
    "idle_500": ("idle_memory", 500, "per_connection_kib", False),
    "echo_1": ("echo", 1, "per_second", True),
    "echo_16": ("echo", 16, "per_second", True),
    "chat_16": ("chat_round_trip", 16, "per_second", True),
    "broadcast_100": ("broadcast", 100, "per_second", True),
    "connect_8": ("connect_rate", 8, "per_second", True),
    # The same with every socket carrying a logged-in user's session cookie;
    # measured after the anonymous ones (see logged_in()).
    "echo_16_user": ("echo", 16, "per_second", True),
    "chat_16_user": ("chat_round_trip", 16, "per_second", True),
    "broadcast_100_user": ("broadcast", 100, "per_second", True),
}
SHORT_IDLE_CONNECTIONS = 100
# --short: every anonymous scenario and the logged-in chat.
SHORT_SCENARIOS = (
    "idle_500",
    "echo_1",
    "echo_16",
    "chat_16",
    "broadcast_100",
    "connect_8",
    "chat_16_user",
)
# Logins: one user per Django row, logged in once through the row's own login
# page; all the sockets of that row's `_user` scenarios share its session.
LOGIN_PAGE = "/accounts/login/"  # the bake's (and a baseline's)
PEER_LOGIN_PAGE = "/admin/login/"  # the peer has the admin's only: users are staff
PASSWORD = "benchmark passphrase, not a secret 42"

# Minimum ratio production / bare uvicorn, per layer, in one run; a ratio under
# its target is a regression. Logged-in users cost production a thread hop per
# message (Channels' aclose_old_connections, once the process has a database
# connection), hence their lower targets. Echo is a sync consumer (a thread hop
# per message, by design), connect_8 and idle_500 are bound by the sync thread
# and by Django itself (README): reported, not targeted.
TARGETS = {
    "in-memory": {
        "chat_16": 0.5,
        "broadcast_100": 0.3,
        "chat_16_user": 0.4,
        "broadcast_100_user": 0.2,
    },
    "redis": {"chat_16": 0.3, "chat_16_user": 0.12},
    "redis-pubsub": {"chat_16": 0.5, "chat_16_user": 0.5},
}
# And in these scenarios production must do this much better than the peer on
# the same server (PEER_REFERENCE), on every layer.
PEER_FACTOR = 2.0
PEER_TARGETED = ("chat_16", "broadcast_100", "chat_16_user", "broadcast_100_user")
# The load floods by design: keep the rate limiter in the path (its cost is
# measured) with a limit the clients never reach, and turn the per-client caps
# off (all the load comes from one address).
BAKE_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_DEBUG": "false",
    "WEBSOCKET_RATE_LIMIT": "1000000",
    "WEBSOCKET_RATE_BURST": "1000000",
    "WEBSOCKET_CLIENT_MAX_SOCKETS": "0",
    "WEBSOCKET_CLIENT_HANDSHAKE_RATE": "0",
    "WEBSOCKET_CLIENT_RATE_LIMIT": "0",
    # The clients' origin, on this run's port (DEBUG is off).
    "WEBSOCKET_ALLOWED_ORIGINS": "http://127.0.0.1:*",
}


class PlainUvicorn(WebServer):
    """uvicorn serving `app` from `directory`, with the public options `serve` uses.

    `serve` runs uvicorn's sans-I/O websocket protocol (a subclass of it, private
    to the bake: close codes and timeouts, no cost per message) without lifespan.
    """

    name = "uvicorn"

    def __init__(self, directory, app, log_path, env=None):
        self.port = free_port()
        command = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--ws", "websockets-sansio"]
        command += ["--lifespan", "off"]
        super().__init__(command, directory, log_path, env)


def offered_layers(template_dir):
    options = json.loads((template_dir / "cookiecutter.json").read_text())
    return options["channel_layer"]


def template_at_ref(ref, work_dir):
    """The template as committed at git `ref`, exported into work_dir."""
    target = work_dir / f"template-{ref.replace('/', '_')}"
    if target.exists():
        return target
    archive = work_dir / "template.tar"
    with open(archive, "wb") as out:
        subprocess.run(
            ["git", "-C", str(TEMPLATE_DIR), "archive", ref],
            stdout=out,
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


@contextlib.contextmanager
def stdout_to_stderr():
    """Also for child processes (the post-gen hook prints): the table owns stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def bake(template_dir, out_dir, layer):
    """Bake the template with `layer`; returns the project directory."""
    from cookiecutter.main import cookiecutter

    out_dir.mkdir(parents=True, exist_ok=True)
    with stdout_to_stderr():
        project = cookiecutter(
            str(template_dir),
            no_input=True,
            output_dir=str(out_dir),
            extra_context={"channel_layer": layer},
        )
    return Path(project)


def logged_in(scenario):
    """Whether every socket of `scenario` carries a logged-in user's session."""
    return scenario.endswith("_user")


def run_client(server, name, seconds, short, login=None):
    """One scenario against one server; `login`: (user, cookie) for `_user` ones."""
    scenario, connections, _, _ = SCENARIOS[name]
    if name == "idle_500" and short:
        connections = SHORT_IDLE_CONNECTIONS
    command = [PYTHON, str(BENCHMARKS_DIR / "clients.py"), scenario]
    command += ["--base", server.ws_url, "--origin", server.origin]
    command += ["--connections", str(connections), "--seconds", str(seconds)]
    command += ["--server-pid", str(server.pid)]
    if logged_in(name) and login:
        user, cookie = login
        command += ["--cookie", cookie, "--user", user]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if finished.returncode != 0:
        return {"error": finished.stderr.strip().splitlines()[-1:]}
    return json.loads(finished.stdout)


def has_serve_command(project):
    """Whether a bake has `manage.py serve`, in whichever of its apps."""
    return any(project.glob("*/management/commands/serve.py"))


def row_user(name):
    """The user a row logs in as: one per row (rows of a bake share its database)."""
    return "bench-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def create_users(names, server):
    """The users of rows `names` (rows of one directory, served by `server`'s
    database), made as an operator would: `manage.py shell`, create_user().

    The peer's users are staff: the admin's is the only login page it has.
    """
    code = "from django.contrib.auth import get_user_model\nUser = get_user_model()\n"
    for name in names:
        user = row_user(name)
        code += (
            f"if not User.objects.filter(username={user!r}).exists():\n"
            f"    User.objects.create_user({user!r}, password={PASSWORD!r},"
            f" is_staff={name in PEER_ROWS})\n"
        )
    subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=server.cwd,
        env=server.environment,
        capture_output=True,
        check=True,
        timeout=120,
    )


def log_in(name, server):
    """(user, Cookie header) of a real login: GET the page, POST the form with its
    CSRF token. The server process opens its database for it (the session, the
    user), as it does for any login."""
    user = row_user(name)
    client = WebClient(server)
    fields = {"username": user, "password": PASSWORD}
    if name in PEER_ROWS:  # the admin's form names where to go next
        page = PEER_LOGIN_PAGE
        fields["next"] = "/admin/"
    else:
        page = LOGIN_PAGE
    client.post_form(page, fields)
    if not any(cookie.name == "sessionid" for cookie in client.cookies):
        raise RuntimeError(f"{name}: no session cookie after logging in at {page}")
    return user, client.cookie_header()


def log_in_all(servers):
    """row -> (user, cookie), or the error, for every Django row, logged in at once."""
    rows = [(name, server) for name, server in servers if name not in BARE_ROWS]
    logins = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, len(rows))) as pool:
        futures = {name: pool.submit(log_in, name, server) for name, server in rows}
        for name, future in futures.items():
            try:
                logins[name] = future.result()
            except Exception as error:  # that row's `_user` figures are errors
                logins[name] = f"login failed: {type(error).__name__}: {error}"
                print(f"  {name}: {logins[name]}", file=sys.stderr)
    return logins


def servers_for_layer(layer, args, work_dir, redis_url):
    """(row name, server) for every row of `layer`."""
    env = dict(BAKE_ENV)
    bare_env = {}
    peer_env = {
        "DJANGO_SETTINGS_MODULE": "mysite.settings",
        "PEER_LAYER": layer,
        "PEER_DATABASE": str(work_dir / f"peer-{layer}.sqlite3"),
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
        bare_env = {"BARE_LAYER": "redis", "REDIS_URL": redis_url}
        peer_env["REDIS_URL"] = redis_url
    logs = work_dir / "logs"
    logs.mkdir(exist_ok=True)
    tag = layer.replace("-", "_")
    project = bake(TEMPLATE_DIR, work_dir / f"bake-{tag}", layer)
    servers = [
        (PRODUCTION, Uvicorn(project, logs / f"production-{tag}.log", env=env)),
        (DAPHNE, Daphne(project, logs / f"daphne-{tag}.log", env=env)),
        (
            LIMIT,
            PlainUvicorn(
                BENCHMARKS_DIR, BARE_APP, logs / f"bare-uvicorn-{tag}.log", bare_env
            ),
        ),
        (
            BARE_DAPHNE,
            Daphne(
                BENCHMARKS_DIR,
                logs / f"bare-daphne-{tag}.log",
                env=bare_env,
                app=BARE_APP,
            ),
        ),
        (PEER, Daphne(PEER_DIR, logs / f"peer-{tag}.log", env=peer_env, app=PEER_APP)),
        (
            PEER_UVICORN,
            PlainUvicorn(
                PEER_DIR, PEER_APP, logs / f"peer-uvicorn-{tag}.log", peer_env
            ),
        ),
    ]
    if args.short:
        servers = [row for row in servers if row[0] in SHORT_ROWS]
    for ref in args.baseline_refs:
        template = template_at_ref(ref, work_dir)
        if layer not in offered_layers(template):
            print(f"  no {layer} layer at {ref}: no baseline", file=sys.stderr)
            continue
        name = ref.replace("/", "_")
        old = bake(template, work_dir / f"at-{name}-{tag}", layer)
        log = logs / f"at-{name}-{tag}.log"
        if has_serve_command(old):
            servers.append((ref, Uvicorn(old, log, env=env)))
        else:  # before the production server existed
            servers.append((f"{ref} (daphne)", Daphne(old, log, env=env)))
    return servers


def collect_static(server):
    """A bake's pages need their static files with DEBUG off, as in a deployment:
    `collectstatic`, started now, finished by the returned function."""
    process = subprocess.Popen(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=server.cwd,
        env=server.environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def finish():
        _, stderr = process.communicate(timeout=120)
        if process.returncode:
            raise subprocess.CalledProcessError(
                process.returncode, process.args, stderr=stderr
            )

    return finish


def preparing_for_users(what, rows, step):
    """Run `step()`; on a failure (say, an old baseline without that page or
    command) warn: those rows' logins then fail and their `_user` figures are
    errors."""
    try:
        step()
    except subprocess.CalledProcessError as error:
        output = (error.stderr or b"").decode(errors="replace").strip()
        print(f"  {', '.join(rows)}: {what} failed: {output[-500:]}", file=sys.stderr)


def start(name, server):
    if name in PEER_ROWS:  # its sessions and users live in SQLite, as the tutorial's
        migrate(server)
    server.start()  # a bake's server migrates first


def start_all(servers, users=False):
    """Start every row (and, if `users`, make its user), those in different
    directories at once (migrations take seconds); rows of one directory share
    its database, so one after another."""
    by_directory = {}
    for name, server in servers:
        by_directory.setdefault(str(server.cwd), []).append((name, server))

    def start_in_turn(rows):
        names = [name for name, _ in rows if name not in BARE_ROWS]
        static = None
        if users and names and names[0] not in PEER_ROWS:  # a bake: its login page
            static = collect_static(rows[0][1])  # meanwhile, the servers start
        try:
            for name, server in rows:
                start(name, server)
            if users and names:
                server = rows[0][1]
                preparing_for_users("users", names, lambda: create_users(names, server))
        finally:
            if static:  # waited for even when a server failed to start
                preparing_for_users("collectstatic", names, static)

    with concurrent.futures.ThreadPoolExecutor(len(by_directory)) as pool:
        for started in [pool.submit(start_in_turn, r) for r in by_directory.values()]:
            started.result()


def better(name, new, old):
    if old is None or "error" in old:
        return True
    if "error" in new:
        return False
    _, _, figure, higher = SCENARIOS[name]
    return new[figure] > old[figure] if higher else new[figure] < old[figure]


def measure_layer(layer, args, work_dir):
    redis = RedisServer(work_dir).start() if layer in REDIS_LAYERS else None
    servers = servers_for_layer(layer, args, work_dir, redis and redis.url)
    results = {name: {} for name, _ in servers}
    lost = {name: {} for name, _ in servers}
    anonymous = [s for s in args.scenarios if not logged_in(s)]
    users = [s for s in args.scenarios if logged_in(s)]
    logins = {}

    def measure(scenarios):
        for round_number in range(args.rounds):
            for scenario in scenarios:
                if scenario == "idle_500" and round_number:
                    continue  # measured on fresh heaps only
                # Interleaved: every row meets the same machine noise.
                for name, server in servers:
                    login = logins.get(name)
                    if isinstance(login, str):  # its login failed
                        result = {"error": [login]}
                    else:
                        result = run_client(
                            server, scenario, args.seconds, args.short, login
                        )
                    if "lost" in result:
                        lost[name][scenario] = (
                            lost[name].get(scenario, 0) + result["lost"]
                        )
                    if better(scenario, result, results[name].get(scenario)):
                        results[name][scenario] = result
                    print(
                        f"  {layer} {name} {scenario} {summary(scenario, result)}",
                        file=sys.stderr,
                    )

    try:
        start_all(servers, users=bool(users))
        for _, server in servers:  # imports and first-use caches, before measuring
            run_client(server, "connect_8", 0.3, args.short)
            if not args.short:
                run_client(server, "chat_16", 0.3, args.short)
        # Anonymous sockets first: no process has opened its database yet.
        measure(anonymous)
        if users:
            logins.update(log_in_all(servers))
            if not args.short:
                for name, server in servers:
                    if not isinstance(logins.get(name), str):
                        run_client(server, "chat_16_user", 0.3, False, logins.get(name))
            measure(users)
    finally:
        for _, server in servers:
            server.stop()
        if redis:
            redis.stop()
    for name, by_scenario in lost.items():
        for scenario, count in by_scenario.items():
            if scenario in results[name]:
                results[name][scenario]["lost_all_rounds"] = count
    return results


def summary(scenario, result):
    if "error" in result:
        return f"ERROR {result['error']}"
    _, _, figure, _ = SCENARIOS[scenario]
    return f"{result[figure]:10.1f} {figure}"


def ratio(scenario, mine, base):
    """mine / base for a rate; base / mine for memory (higher is better), or None."""
    _, _, figure, higher = SCENARIOS[scenario]
    value, reference = mine.get(figure), base.get(figure)
    if value is None or reference is None or value <= 0 or reference <= 0:
        return None
    return value / reference if higher else reference / value


def ratios(layer_results, reference=LIMIT):
    """row -> scenario -> row / reference (for memory: reference KiB / row KiB)."""
    base = layer_results.get(reference, {})
    return {
        name: {s: ratio(s, results.get(s, {}), base.get(s, {})) for s in SCENARIOS}
        for name, results in layer_results.items()
        if name != reference
    }


def versus(layer_results, other):
    """scenario -> production / `other` row (for memory: its KiB / production's)."""
    mine, theirs = layer_results.get(PRODUCTION, {}), layer_results.get(other, {})
    return {s: ratio(s, mine.get(s, {}), theirs.get(s, {})) for s in SCENARIOS}


def versus_peer(layer_results):
    """scenario -> production / the peer on the same server (PEER_REFERENCE)."""
    return versus(layer_results, PEER_REFERENCE)


def shortfalls(report):
    """Human-readable lines for every target missed and every message lost."""
    lines = []
    for layer, data in report["layers"].items():
        measured = data["results"].get(PRODUCTION, {})
        ratio_to_limit = data["ratios"].get(PRODUCTION, {})
        for scenario, target in TARGETS.get(layer, {}).items():
            value = ratio_to_limit.get(scenario)
            if scenario in measured and (value is None or value < target):
                lines.append(
                    f"{layer} {scenario}: production / {LIMIT} {fmt(value)}"
                    f" under target {target}"
                )
        for scenario in PEER_TARGETED:
            value = data["versus_peer"].get(scenario)
            if scenario in measured and (value is None or value < PEER_FACTOR):
                lines.append(
                    f"{layer} {scenario}: production / {PEER_REFERENCE} {fmt(value)}"
                    f" under target {PEER_FACTOR}"
                )
        for name, results in data["results"].items():
            for scenario, result in results.items():
                lost = result.get("lost_all_rounds", 0)
                if lost:
                    lines.append(
                        f"{layer} {name} {scenario}: {lost} broadcast deliveries lost"
                    )
    return lines


def fmt(value):
    return "none" if value is None else f"{value:.2f}"


def format_table(report):
    lines = []
    baseline = report["baseline_refs"][0] if report["baseline_refs"] else None
    header = (
        f"{'layer':12} {'scenario':18} {'row':18} {'figure':>9}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'ratio':>5} {'target':>6}"
        f" {'x peer':>6}" + (f" {'x base':>6}" if baseline else "")
    )
    lines += [header, "-" * len(header)]
    for layer, data in report["layers"].items():
        for scenario, (_, _, figure, _) in SCENARIOS.items():
            if not any(scenario in results for results in data["results"].values()):
                continue  # not measured in this run
            for name, results in data["results"].items():
                result = results.get(scenario, {})
                value = result.get(figure)
                row_ratio = data["ratios"].get(name, {}).get(scenario)
                target = TARGETS.get(layer, {}).get(scenario)
                production = name == PRODUCTION
                peer_factor = data["versus_peer"].get(scenario)
                base_factor = data.get("versus_baseline", {}).get(scenario)
                cells = [
                    f"{layer:12}",
                    f"{scenario:18}",
                    f"{name:18}",
                    f"{value:9.1f}" if value is not None else f"{'error':>9}",
                    f"{result['p50_ms']:7.2f}" if "p50_ms" in result else " " * 7,
                    f"{result['p99_ms']:7.2f}" if "p99_ms" in result else " " * 7,
                    f"{row_ratio:5.2f}" if row_ratio is not None else " " * 5,
                    f"{target:6.2f}" if production and target else " " * 6,
                    f"{peer_factor:6.2f}"
                    if production and peer_factor is not None
                    else " " * 6,
                ]
                if baseline:
                    cells.append(
                        f"{base_factor:6.2f}"
                        if production and base_factor is not None
                        else " " * 6
                    )
                if "lost_all_rounds" in result:
                    cells.append(f"lost {result['lost_all_rounds']}")
                lines.append(" ".join(cells).rstrip())
    lines.append(
        "figure: messages (deliveries, connections) per second; idle_500: KiB each"
    )
    lines.append(
        f"ratio: row / {LIMIT} (idle_500: its KiB / row's KiB); target: production's;"
        f" x peer: production / {PEER_REFERENCE},"
        f" target {PEER_FACTOR} on chat and broadcast"
    )
    lines.append("_user: every socket carries a logged-in user's session cookie")
    if baseline:
        lines.append(f"x base: production / {baseline} (A/B)")
    return "\n".join(lines)


def draw_chart(report, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = list(report["layers"])
    figure, axes = plt.subplots(
        len(layers), 1, figsize=(11, 4 * len(layers)), squeeze=False
    )
    scenarios = list(SCENARIOS)
    for axis, layer in zip(axes[:, 0], layers, strict=True):
        variants = report["layers"][layer]["ratios"]
        width = 0.8 / max(1, len(variants))
        for index, (name, row) in enumerate(variants.items()):
            xs = [i + index * width for i in range(len(scenarios))]
            axis.bar(xs, [row.get(s) or 0 for s in scenarios], width, label=name)
        for i, scenario in enumerate(scenarios):
            target = TARGETS.get(layer, {}).get(scenario)
            if target:
                axis.hlines(target, i - 0.1, i + 0.8, colors="red", linestyles="dashed")
        axis.axhline(1.0, color="grey", linewidth=0.5)
        axis.set_xticks([i + 0.4 - width / 2 for i in range(len(scenarios))], scenarios)
        axis.set_title(
            f"{layer}: ratio to bare_app.py on uvicorn (red: production's target)"
        )
        axis.legend(fontsize="small", ncol=len(variants))
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def run_benchmark(
    short=False,
    output=None,
    layers=LAYERS,
    baseline_refs=(),
    rounds=None,
    seconds=None,
    scenarios=None,
):
    """Measure every layer; write results.json and ratios.png to `output`."""
    default_scenarios = SHORT_SCENARIOS if short else SCENARIOS
    args = argparse.Namespace(
        short=short,
        scenarios=list(scenarios or default_scenarios),
        baseline_refs=list(baseline_refs),
        rounds=rounds or (1 if short else 2),
        seconds=seconds or (0.5 if short else 3.0),
    )
    output = Path(output or BENCHMARKS_DIR / "results")
    output.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    report = {
        "short": short,
        "rounds": args.rounds,
        "seconds_per_scenario": args.seconds,
        "baseline_refs": list(baseline_refs),
        "cpus": os.cpu_count(),
        "limit": LIMIT,
        "scenarios": args.scenarios,
        "targets": TARGETS,
        "peer_reference": PEER_REFERENCE,
        "peer_factor": PEER_FACTOR,
        "peer_targeted": PEER_TARGETED,
        "layers": {},
    }
    with tempfile.TemporaryDirectory(prefix="channels-bench-") as work:
        for layer in layers:
            results = measure_layer(layer, args, Path(work))
            report["layers"][layer] = {
                "results": results,
                "ratios": ratios(results),
                "versus_peer": versus_peer(results),
            }
            if baseline_refs:  # the first reference's row, under serve or daphne
                row = next(
                    (n for n in results if n.partition(" ")[0] == baseline_refs[0]),
                    None,
                )
                if row:
                    report["layers"][layer]["versus_baseline"] = versus(results, row)
    report["elapsed_seconds"] = time.monotonic() - started
    report["shortfalls"] = shortfalls(report)
    (output / "results.json").write_text(json.dumps(report, indent=2))
    try:
        draw_chart(report, output / "ratios.png")
    except ImportError:
        print("matplotlib is not installed: no chart", file=sys.stderr)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--short",
        action="store_true",
        help="0.5 s per scenario, 1 round, fewer rows and scenarios",
    )
    parser.add_argument(
        "--output", type=Path, help="folder for results.json and ratios.png"
    )
    parser.add_argument("--layer", action="append", choices=LAYERS, help="default: all")
    parser.add_argument(
        "--baseline-ref",
        action="append",
        default=[],
        help="also bake the template at this git ref (repeat for several)",
    )
    parser.add_argument("--rounds", type=int, help="best of N (default 2, short 1)")
    parser.add_argument(
        "--seconds", type=float, help="per scenario (default 3, short 0.5)"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="measure only these (default: all)",
    )
    args = parser.parse_args(argv)
    report = run_benchmark(
        short=args.short,
        output=args.output,
        layers=args.layer or LAYERS,
        baseline_refs=args.baseline_ref,
        rounds=args.rounds,
        seconds=args.seconds,
        scenarios=args.scenario,
    )
    print(format_table(report))
    for line in report["shortfalls"]:
        print(f"WARNING: {line}")
    print(
        f"{report['elapsed_seconds']:.0f} s;"
        f" results in {args.output or BENCHMARKS_DIR / 'results'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

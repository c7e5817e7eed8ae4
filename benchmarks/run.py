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
and one more row for each --baseline-ref (its bake under `serve`, or daphne if it
has none). The load clients run in their own process (clients.py).
Writes results.json and ratios.png to --output and prints a table; ratios are
row / bare uvicorn, measured in the same run.
"""

import argparse
import concurrent.futures
import contextlib
import json
import os
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

BENCHMARKS_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = BENCHMARKS_DIR.parent
PYTHON = sys.executable
LAYERS = ("in-memory", "redis", "redis-pubsub")
REDIS_LAYERS = ("redis", "redis-pubsub")
BARE_APP = "bare_app:application"  # served from BENCHMARKS_DIR
PEER_DIR = BENCHMARKS_DIR / "peer"
PEER_APP = "mysite.asgi:application"  # served from PEER_DIR
PRODUCTION = "production"
LIMIT = "bare uvicorn"
PEER = "peer"
# Rows measured in --short mode (the development server's rows are left out).
SHORT_ROWS = (PRODUCTION, LIMIT, PEER)

# name: (client scenario, connections, figure reported, higher is better)
# idle_500 first: the servers' heaps are fresh then (later it reuses freed memory).
SCENARIOS = {
    "idle_500": ("idle_memory", 500, "per_connection_kib", False),
    "echo_1": ("echo", 1, "per_second", True),
    "echo_16": ("echo", 16, "per_second", True),
    "chat_16": ("chat_round_trip", 16, "per_second", True),
    "broadcast_100": ("broadcast", 100, "per_second", True),
    "connect_8": ("connect_rate", 8, "per_second", True),
}
SHORT_IDLE_CONNECTIONS = 100

# Minimum ratio production / bare uvicorn, per layer; a ratio under its target
# is a regression. Echo is a sync consumer (a thread hop per message, by
# design): reported, not targeted.
TARGETS = {
    "in-memory": {"chat_16": 0.5, "broadcast_100": 0.3},
    "redis": {"chat_16": 0.3},
}
# And in every targeted scenario production must do this much better than the
# peer (for idle_500: use this many times less memory per socket).
PEER_FACTOR = 2.0
NOT_TARGETED = ("echo_1", "echo_16")
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


class BareUvicorn(WebServer):
    """uvicorn serving bare_app.py, on the websocket protocol that `serve` uses."""

    name = "uvicorn"

    def __init__(self, log_path, env=None):
        self.port = free_port()
        command = [PYTHON, "-m", "uvicorn", BARE_APP, "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--ws", "websockets-sansio"]
        command += ["--lifespan", "off"]
        super().__init__(command, BENCHMARKS_DIR, log_path, env)


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


def run_client(server, name, seconds, short):
    scenario, connections, _, _ = SCENARIOS[name]
    if name == "idle_500" and short:
        connections = SHORT_IDLE_CONNECTIONS
    command = [PYTHON, str(BENCHMARKS_DIR / "clients.py"), scenario]
    command += ["--base", server.ws_url, "--origin", server.origin]
    command += ["--connections", str(connections), "--seconds", str(seconds)]
    command += ["--server-pid", str(server.pid)]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if finished.returncode != 0:
        return {"error": finished.stderr.strip().splitlines()[-1:]}
    return json.loads(finished.stdout)


def has_serve_command(project):
    return (project / "realtime/management/commands/serve.py").is_file()


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
        ("daphne", Daphne(project, logs / f"daphne-{tag}.log", env=env)),
        (LIMIT, BareUvicorn(logs / f"bare-uvicorn-{tag}.log", env=bare_env)),
        (
            "bare daphne",
            Daphne(
                BENCHMARKS_DIR,
                logs / f"bare-daphne-{tag}.log",
                env=bare_env,
                app=BARE_APP,
            ),
        ),
        (PEER, Daphne(PEER_DIR, logs / f"peer-{tag}.log", env=peer_env, app=PEER_APP)),
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


def start(name, server):
    if name == PEER:  # its sessions and users live in SQLite, as the tutorial's
        migrate(server)
    server.start()


def start_all(servers):
    """Start every row, those in different directories at once (migrations take
    seconds); rows of one directory share its database, so one after another."""
    by_directory = {}
    for name, server in servers:
        by_directory.setdefault(str(server.cwd), []).append((name, server))

    def start_in_turn(rows):
        for name, server in rows:
            start(name, server)

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
    lost = {name: 0 for name, _ in servers}
    try:
        start_all(servers)
        for _, server in servers:  # imports and first-use caches, before measuring
            run_client(server, "connect_8", 0.3, args.short)
            if not args.short:
                run_client(server, "chat_16", 0.3, args.short)
        for round_number in range(args.rounds):
            for scenario in args.scenarios:
                if scenario == "idle_500" and round_number:
                    continue  # measured on fresh heaps only
                # Interleaved: every row meets the same machine noise.
                for name, server in servers:
                    result = run_client(server, scenario, args.seconds, args.short)
                    lost[name] += result.get("lost", 0)
                    if better(scenario, result, results[name].get(scenario)):
                        results[name][scenario] = result
                    print(
                        f"  {layer} {name} {scenario} {summary(scenario, result)}",
                        file=sys.stderr,
                    )
    finally:
        for _, server in servers:
            server.stop()
        if redis:
            redis.stop()
    for name in results:
        if "broadcast_100" in results[name]:
            results[name]["broadcast_100"]["lost_all_rounds"] = lost[name]
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


def versus_peer(layer_results):
    """scenario -> production / peer (for memory: peer KiB / production KiB)."""
    mine, peer = layer_results.get(PRODUCTION, {}), layer_results.get(PEER, {})
    return {s: ratio(s, mine.get(s, {}), peer.get(s, {})) for s in SCENARIOS}


def targeted(scenario, measured):
    return scenario in measured and scenario not in NOT_TARGETED


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
        for scenario, value in data["versus_peer"].items():
            if targeted(scenario, measured) and (value is None or value < PEER_FACTOR):
                lines.append(
                    f"{layer} {scenario}: production / peer {fmt(value)}"
                    f" under target {PEER_FACTOR}"
                )
        for name, results in data["results"].items():
            lost = results.get("broadcast_100", {}).get("lost_all_rounds", 0)
            if lost:
                lines.append(f"{layer} {name}: {lost} broadcast deliveries lost")
    return lines


def fmt(value):
    return "none" if value is None else f"{value:.2f}"


def format_table(report):
    lines = []
    header = (
        f"{'layer':12} {'scenario':13} {'row':18} {'figure':>9}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'ratio':>5} {'target':>6}"
        f" {'x peer':>6}"
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
                cells = [
                    f"{layer:12}",
                    f"{scenario:13}",
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
                if "lost_all_rounds" in result:
                    cells.append(f"lost {result['lost_all_rounds']}")
                lines.append(" ".join(cells).rstrip())
    lines.append(
        "figure: messages (deliveries, connections) per second; idle_500: KiB each"
    )
    lines.append(
        f"ratio: row / {LIMIT} (idle_500: its KiB / row's KiB); target: production's;"
        f" x peer: production / peer, target {PEER_FACTOR} (echo: none)"
    )
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
    args = argparse.Namespace(
        short=short,
        scenarios=scenarios or list(SCENARIOS),
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
        "targets": TARGETS,
        "peer_factor": PEER_FACTOR,
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
        "--short", action="store_true", help="0.5 s per scenario, 1 round, fewer rows"
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

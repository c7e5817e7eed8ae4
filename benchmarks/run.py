"""Bake the template and measure it side by side with a bare ASGI floor, on one daphne.

    python -m benchmarks.run                 # full run: every layer, about 6 minutes
    python -m benchmarks.run --short         # under 2 minutes, for the test suite
    python -m benchmarks.run --baseline-ref main --layer redis --scenario chat_16

from the repository root (the servers are tests/servers.py's).

For each channel layer (in-memory, redis, redis-pubsub) it starts daphne twice:
the baked project (config.asgi, its real websocket stack, an Origin from
ALLOWED_HOSTS) and bare_app.py (no Django, no Channels; for the Redis layers it
relays rooms through Redis pub/sub itself), and once more for each --baseline-ref.
The load clients run in their own process (clients.py).
Writes results.json and ratios.png to --output and prints a table; ratios are
baked / floor, measured in the same run.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from tests.servers import Daphne, RedisServer

BENCHMARKS_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = BENCHMARKS_DIR.parent
PYTHON = sys.executable
LAYERS = ("in-memory", "redis", "redis-pubsub")
REDIS_LAYERS = ("redis", "redis-pubsub")
BARE_APP = "bare_app:application"  # served from BENCHMARKS_DIR

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
SHORT_IDLE_CONNECTIONS = 200

# Minimum ratio baked / floor for the async consumers, per layer; a ratio under
# its target is a regression. Echo is a sync consumer (a thread hop per message,
# by design): reported, not targeted.
TARGETS = {"chat_16": 0.6, "broadcast_100": 0.3}


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


def bake(template_dir, out_dir, layer):
    """Bake the template with `layer`; returns the project directory."""
    from cookiecutter.main import cookiecutter

    out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(sys.stderr):
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


def servers_for_layer(layer, args, work_dir, redis_url):
    """(name, daphne) for the floor and every baked variant of `layer`."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        # The load is a flood by design: keep the rate limiter in the path (its
        # cost is measured) with a limit the clients never reach.
        "WEBSOCKET_RATE_LIMIT": "1000000",
        "WEBSOCKET_RATE_BURST": "1000000",
        # The clients' origin, on this run's port (DEBUG is off).
        "WEBSOCKET_ALLOWED_ORIGINS": "http://127.0.0.1:*",
    }
    bare_env = {}
    if redis_url:
        env["REDIS_URL"] = redis_url
        bare_env = {"BARE_LAYER": "redis", "REDIS_URL": redis_url}
    logs = work_dir / "logs"
    logs.mkdir(exist_ok=True)
    tag = layer.replace("-", "_")
    floor = Daphne(
        BENCHMARKS_DIR, logs / f"floor-{tag}.log", env=bare_env, app=BARE_APP
    )
    project = bake(TEMPLATE_DIR, work_dir / f"bake-{tag}", layer)
    servers = [
        ("floor", floor),
        ("baked", Daphne(project, logs / f"baked-{tag}.log", env=env)),
    ]
    for ref in args.baseline_refs:
        template = template_at_ref(ref, work_dir)
        if layer not in offered_layers(template):
            print(f"  no {layer} layer at {ref}: no baseline", file=sys.stderr)
            continue
        name = ref.replace("/", "_")
        old = bake(template, work_dir / f"at-{name}-{tag}", layer)
        servers.append((ref, Daphne(old, logs / f"at-{name}-{tag}.log", env=env)))
    return servers


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
        for _, server in servers:
            server.start()
        for _, server in servers:  # imports and first-use caches, before measuring
            run_client(server, "connect_8", 0.3, args.short)
        for round_number in range(args.rounds):
            for scenario in args.scenarios:
                if scenario == "idle_500" and round_number:
                    continue  # measured on fresh heaps only
                # Interleaved: the floor and each bake meet the same machine noise.
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


def ratios(layer_results):
    """baked variant -> scenario -> baked / floor (for memory: floor / baked)."""
    floor = layer_results["floor"]
    out = {}
    for name, results in layer_results.items():
        if name == "floor":
            continue
        out[name] = {}
        for scenario, (_, _, figure, higher) in SCENARIOS.items():
            mine, base = results.get(scenario, {}), floor.get(scenario, {})
            if (
                figure not in mine
                or figure not in base
                or not mine[figure]
                or not base[figure]
            ):
                out[name][scenario] = None
            elif higher:
                out[name][scenario] = mine[figure] / base[figure]
            else:
                out[name][scenario] = base[figure] / mine[figure]
    return out


def shortfalls(report):
    """Human-readable lines for every baked ratio under target or message lost."""
    lines = []
    for layer, data in report["layers"].items():
        ratio = data["ratios"].get("baked", {})
        for scenario, target in TARGETS.items():
            value = ratio.get(scenario)
            if value is None or value < target:
                lines.append(f"{layer} {scenario}: ratio {value} under target {target}")
        for name, results in data["results"].items():
            lost = results.get("broadcast_100", {}).get("lost_all_rounds", 0)
            if lost:
                lines.append(f"{layer} {name}: {lost} broadcast deliveries lost")
    return lines


def format_table(report):
    lines = []
    header = (
        f"{'layer':9} {'scenario':14} {'server':12} {'figure':>12}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'target':>6}"
    )
    lines += [header, "-" * len(header)]
    for layer, data in report["layers"].items():
        for scenario, (_, _, figure, _) in SCENARIOS.items():
            if not any(scenario in results for results in data["results"].values()):
                continue  # not measured in this run
            for name, results in data["results"].items():
                result = results.get(scenario, {})
                value = result.get(figure)
                ratio = data["ratios"].get(name, {}).get(scenario)
                cells = [
                    f"{layer:9}",
                    f"{scenario:14}",
                    f"{name:12}",
                    f"{value:12.1f}" if value is not None else f"{'error':>12}",
                    f"{result['p50_ms']:7.2f}" if "p50_ms" in result else " " * 7,
                    f"{result['p99_ms']:7.2f}" if "p99_ms" in result else " " * 7,
                    f"{ratio:6.2f}" if ratio is not None else " " * 6,
                    f"{TARGETS[scenario]:6.2f}"
                    if scenario in TARGETS and name != "floor"
                    else "",
                ]
                if "lost_all_rounds" in result:
                    cells.append(f"lost {result['lost_all_rounds']}")
                lines.append(" ".join(cells).rstrip())
    lines.append(
        "figure: messages (deliveries, connections) per second; idle_500: KiB each"
    )
    lines.append("ratio: baked / floor; idle_500: floor KiB / baked KiB (1.0: as lean)")
    return "\n".join(lines)


def draw_chart(report, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = list(report["layers"])
    figure, axes = plt.subplots(
        1, len(layers), figsize=(6 * len(layers), 4), squeeze=False
    )
    scenarios = list(SCENARIOS)
    for axis, layer in zip(axes[0], layers, strict=True):
        variants = report["layers"][layer]["ratios"]
        width = 0.8 / max(1, len(variants))
        for index, (name, ratio) in enumerate(variants.items()):
            xs = [i + index * width for i in range(len(scenarios))]
            axis.bar(xs, [ratio.get(s) or 0 for s in scenarios], width, label=name)
        for i, scenario in enumerate(scenarios):
            if scenario in TARGETS:
                axis.hlines(
                    TARGETS[scenario],
                    i - 0.1,
                    i + 0.8,
                    colors="red",
                    linestyles="dashed",
                )
        axis.axhline(1.0, color="grey", linewidth=0.5)
        axis.set_xticks(
            [i + 0.4 - width / 2 for i in range(len(scenarios))], scenarios, rotation=30
        )
        axis.set_title(f"{layer}: ratio to the bare ASGI floor (red: target)")
        axis.legend()
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
        seconds=seconds or (1.0 if short else 3.0),
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
        "targets": TARGETS,
        "layers": {},
    }
    with tempfile.TemporaryDirectory(prefix="channels-bench-") as work:
        for layer in layers:
            results = measure_layer(layer, args, Path(work))
            report["layers"][layer] = {"results": results, "ratios": ratios(results)}
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
        "--short", action="store_true", help="1 s per scenario, 1 round"
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
        "--seconds", type=float, help="per scenario (default 3, short 1)"
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

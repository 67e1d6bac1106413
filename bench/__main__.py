"""`make bench`: run every benchmark and keep its output in bench/results/<name>.txt."""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# Each benchmark is a module with a main(); they run one after another, never in parallel,
# so they do not compete for the machine's two cores.
BENCHMARKS = [
    "bench.bench_pipeline",
    "bench.bench_ratings",
    "bench.bench_apikeys",
    # Starts real processes in both modes (PostgreSQL and Redis at 127.0.0.1); also writes
    # bench/results/bench_capacity.json.
    "bench.bench_capacity",
]


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    failed = 0
    for module in BENCHMARKS:
        if not (HERE / f"{module.split('.')[-1]}.py").exists():
            continue
        print(f"== {module}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", module], capture_output=True, text=True, check=False
        )
        output = result.stdout + result.stderr
        print(output, end="")
        print(f"   ({time.perf_counter() - started:.1f} s, exit {result.returncode})")
        (RESULTS / f"{module.split('.')[-1]}.txt").write_text(output)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

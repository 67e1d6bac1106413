"""`make bench`: run every benchmark and keep its output in bench/results/<name>.txt."""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# The PostgreSQL server the services benchmarks use (each makes a scratch database there).
POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
# Each benchmark is a module with a main(); they run one after another, never in parallel,
# so they do not compete for the machine's two cores.
BENCHMARKS = [
    # Debate efficiency against the fake server's known latency, with a plain-asyncio
    # baseline; also bench/results/bench_pipeline.json (SQLite, then PostgreSQL).
    ("bench.bench_pipeline", []),
    ("bench.bench_pipeline", ["--database-url", POSTGRES, "--latency-ms", "200,1000"]),
    # 1, 10, 50 and 100 debates at once on 2 worker processes, both modes.
    ("bench.bench_workers", []),
    ("bench.bench_fanout", []),
    ("bench.bench_api", []),
    ("bench.bench_ratings", ["--outcomes", "10000,100000,1000000"]),
    ("bench.bench_apikeys", []),
    # Starts real processes in both modes (PostgreSQL and Redis at 127.0.0.1); also writes
    # bench/results/bench_capacity.json.
    ("bench.bench_capacity", []),
]


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    failed = 0
    outputs: dict[str, str] = {}
    for module, args in BENCHMARKS:
        name = module.split(".")[-1]
        if not (HERE / f"{name}.py").exists():
            continue
        print(f"== {module} {' '.join(args)}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", module, *args], capture_output=True, text=True, check=False
        )
        output = result.stdout + result.stderr
        print(output, end="")
        print(f"   ({time.perf_counter() - started:.1f} s, exit {result.returncode})", flush=True)
        outputs[name] = outputs.get(name, "") + output
        (RESULTS / f"{name}.txt").write_text(outputs[name])
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

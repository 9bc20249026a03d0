"""Run every `bench/bench_*.py` module's `main()` with its defaults: `make bench`."""

import importlib
import pkgutil
import time
from pathlib import Path


def benchmark_modules() -> list[str]:
    folder = Path(__file__).parent
    return sorted(
        f"bench.{m.name}"
        for m in pkgutil.iter_modules([str(folder)])
        if m.name.startswith("bench_")
    )


def main() -> None:
    for name in benchmark_modules():
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(name).main()
        print(f"=== {name} done in {time.perf_counter() - started:.0f} s ===", flush=True)


if __name__ == "__main__":
    main()

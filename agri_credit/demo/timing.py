"""Wall and CPU time per step of `seed-demo`, printed at its end and by bench/bench_seed.py.

On a shared machine the wall time says more about the neighbours than about the code: the CPU
time of this process (`time.process_time`, LightGBM's threads included) is the figure to judge
by, with the 1-minute load average beside it.
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class StepTimer:
    steps: list[tuple[str, float, float]] = field(default_factory=list)  # name, wall, CPU

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.steps.append((name, time.perf_counter() - wall, time.process_time() - cpu))

    @property
    def wall(self) -> float:
        return sum(wall for _, wall, _ in self.steps)

    @property
    def cpu(self) -> float:
        return sum(cpu for _, _, cpu in self.steps)

    def report(self) -> str:
        width = max((len(name) for name, _, _ in self.steps), default=5)
        lines = [f"  {'step':<{width}}  {'wall s':>7}  {'CPU s':>7}"]
        lines += [f"  {name:<{width}}  {wall:7.1f}  {cpu:7.1f}" for name, wall, cpu in self.steps]
        lines.append(f"  {'total':<{width}}  {self.wall:7.1f}  {self.cpu:7.1f}")
        lines.append(f"  load average (1 min) {os.getloadavg()[0]:.1f}")
        return "\n".join(lines)

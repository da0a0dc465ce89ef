"""Where a CTGAN training step's time goes, on the tutorial's fraud rows (issue 16 point 2).

    .venv/bin/python bench/bench_step_split.py [--batches 20 100 500 4000] [--threads 1 2] [--compile]

Prints three tables:

1. ms per training step at each batch size and torch thread count, measured by ``bench_ctgan.py``'s
   own ``train_seconds_per_step`` (min time of fit(E2) - min time of fit(E1), three repeats): the smallest
   batch shows the step's fixed cost (Python, operator dispatch, autograd), the larger ones what
   the arithmetic adds;
2. a wall-clock split of the step by function at batch 500 and 4,000 (2 threads), from timers
   around the training loop's functions (``CTGAN._fake_batch``, ``_critic_step``,
   ``_generator_step`` and the calls inside them), so nested rows overlap their callers;
3. with ``--compile``: the generator half of the step (generator forward, activation, the critic
   on the fakes, backward) eager against ``torch.compile``, and the compile time.

The torch profiler is not used: on the 2-core boxes it charged operators with time they did not
take (11 ms a step to a BatchNorm backward whose operator alone takes 1.2 ms).
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import DISCRETE_COLUMNS, fraud_training_rows  # noqa: E402
from bench_ctgan import _ours, train_seconds_per_step  # noqa: E402

from genesis_spark.synth import ctgan  # noqa: E402

TIMED = ("_fake_batch", "_critic_step", "_gradient_penalty", "_generator_step", "_condition_loss")


FIT = _ours("cpu")[0]  # bench_ctgan's fit of ours: fit(rows, epochs, batch, discrete)


def ms_per_step(rows, batch: int) -> float:
    """ms per training step, measured as bench_ctgan.py measures it, over at least 200 extra steps."""
    extra = 200 if len(rows) // batch <= 1 else 10
    seconds, _ = train_seconds_per_step(FIT, rows, DISCRETE_COLUMNS, batch, 1, 1 + extra, repeats=3)
    return seconds * 1000


def split_by_function(rows, batch: int, epochs: int) -> dict[str, float]:
    """ms per step spent in each timed function (wall clock, nested calls counted in their callers too)."""
    totals: dict[str, float] = collections.defaultdict(float)
    originals = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - start
        return wrapper

    for name in TIMED:
        originals[name] = getattr(ctgan.CTGAN, name)
        setattr(ctgan.CTGAN, name, timed(name, originals[name]))
    generator_forward = ctgan.Generator.forward
    ctgan.Generator.forward = timed("Generator.forward", generator_forward)
    try:
        FIT(rows, 2, batch)
        totals.clear()
        FIT(rows, epochs, batch)
    finally:
        for name, function in originals.items():
            setattr(ctgan.CTGAN, name, function)
        ctgan.Generator.forward = generator_forward
    steps = epochs * max(len(rows) // batch, 1)
    return {name: seconds / steps * 1000 for name, seconds in totals.items()}


def generator_half(rows, batch: int, compiled: bool) -> tuple[float, float]:
    """(ms per call, compile seconds) of the generator half of a training step."""
    model = FIT(rows, 1, batch)._model
    model.generator.train()
    model.discriminator.train()
    rng = torch.Generator().manual_seed(0)
    z = torch.randn(batch, model.embedding_dim, generator=rng)
    category = torch.randint(0, max(model.cond_dim, 1), (batch,), generator=rng)

    def half(z, category):
        raw = model.generator(z, category)
        fake = ctgan.activate(raw, model.spans, None)  # the global RNG: a torch.Generator breaks the compiled graph
        critic = model.discriminator
        loss = -critic.from_first(critic.hidden[0].forward_rows(fake, category), None).mean()
        loss.backward()
        return loss

    step = half
    compile_s = 0.0
    if compiled:
        start = time.perf_counter()
        step = torch.compile(half)
        step(z, category)
        compile_s = time.perf_counter() - start
    for _ in range(10):
        step(z, category)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(100):
            step(z, category)
        best = min(best, (time.perf_counter() - start) / 100)
    return best * 1000, compile_s


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[20, 100, 500, 4000])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--compile", action="store_true", help="also time the compiled generator half")
    args = parser.parse_args(argv)
    rows = fraud_training_rows()
    print(f"torch={torch.__version__} training rows: fraud {len(rows)} x {rows.shape[1]}")

    print("\n| batch | " + " | ".join(f"ms/step, {t} thread{'s' * (t > 1)}" for t in args.threads) + " |")
    print("|---:|" + "---:|" * len(args.threads))
    for batch in args.batches:
        cells = []
        for threads in args.threads:
            torch.set_num_threads(threads)
            cells.append(f"{ms_per_step(rows, batch):.2f}")
        print(f"| {batch} | " + " | ".join(cells) + " |")

    torch.set_num_threads(2)
    splits = {batch: split_by_function(rows, batch, 301 if batch <= 500 else 41) for batch in (500, 4000)}
    print("\n| function (2 threads) | ms/step, batch 500 | ms/step, batch 4000 |")
    print("|---|---:|---:|")
    for name in splits[500]:
        print(f"| {name} | {splits[500][name]:.3f} | {splits[4000].get(name, float('nan')):.3f} |")

    if args.compile:
        eager, _ = generator_half(rows, 500, compiled=False)
        compiled, seconds = generator_half(rows, 500, compiled=True)
        print("\n| generator half of the step, batch 500, 2 threads | ms/call |")
        print("|---|---:|")
        print(f"| eager | {eager:.2f} |")
        print(f"| torch.compile (compiled in {seconds:.1f} s) | {compiled:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

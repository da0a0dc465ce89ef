"""The training step's float32 products: torch's own kernel (MKL on x86) against ``synth.gemm`` (oneDNN).

    .venv/bin/python bench/bench_gemm.py [--threads 1] [--repeats 50]

For each product of a CTGAN training step at batch 500 and 4,000 on the tutorial's fraud rows
(the generator's noise share, a 256-wide hidden layer, the output layer; forward, and forward plus
the weight gradient by autograd, whose operands are transposed views), the best of ``--repeats``
alternating runs of ``torch.nn.functional.linear`` and of ``gemm.linear`` on the same operands,
the GFLOP/s of each and the ratio, and the largest difference between the two results (the output,
or the weight gradient) relative to its largest entry. Prints the CPU, so that the table says which
kernels it compares.
"""
from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import best_of  # noqa: E402

from genesis_spark.synth import gemm  # noqa: E402

#: (name, inputs, outputs): the generator's products at the fraud rows' widths (588 = 256 + 256 + 76).
SHAPES = [("noise share", 128, 588), ("hidden 256 -> 256", 256, 256), ("output 512 -> 76", 512, 76)]


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"cpu={cpu_name()!r} torch={torch.__version__} threads={args.threads} onednn={gemm.ONEDNN}")
    print("| product | batch | torch ms | gemm ms | torch GFLOP/s | gemm GFLOP/s | speed-up | max rel. difference |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    g = torch.Generator().manual_seed(0)
    for batch in (500, 4000):
        for name, inputs, outputs in SHAPES:
            x = torch.randn(batch, inputs, generator=g)
            weight = torch.randn(outputs, inputs, generator=g)
            grad = torch.randn(batch, outputs, generator=g)
            trained = weight.clone().requires_grad_(True)
            cases = [(f"{name}, forward", lambda: torch.nn.functional.linear(x, weight),
                      lambda: gemm.linear(x, weight)),
                     (f"{name}, forward + weight gradient (autograd)",
                      lambda: torch.autograd.grad(torch.nn.functional.linear(x, trained), trained, grad)[0],
                      lambda: torch.autograd.grad(gemm.linear(x, trained), trained, grad)[0])]
            for (label, theirs, ours), products in zip(cases, (1, 2)):
                flops = 2 * batch * inputs * outputs * products
                t_theirs, t_ours = best_of(args.repeats, [theirs, ours])  # alternating, best of each
                reference = theirs()
                difference = ((ours() - reference).abs().max() / reference.abs().max()).item()
                print(f"| {label} | {batch} | {t_theirs * 1e3:.3f} | {t_ours * 1e3:.3f} | {flops / t_theirs / 1e9:.0f} "
                      f"| {flops / t_ours / 1e9:.0f} | {t_theirs / t_ours:.2f}x | {difference:.1e} |")


if __name__ == "__main__":
    main()

"""torch_matmul.py times PyTorch's matmul on the product bench/sgemm/main.go
times (same matrices, same JSON line), in float32 or bfloat16, for
bench/sgemm/run.sh.

Usage: python3 torch_matmul.py M N K MIN_SECONDS THREADS fp32|bf16

In bf16 the operands are bfloat16 tensors and the product is PyTorch's
bfloat16 matmul (oneDNN on x86), which accumulates in float32 and returns
bfloat16; the checksum is of that result converted to float32 (exact for
these matrices, whose products and sums are small multiples of 1/256).
"""
import json
import resource
import sys
import time

import torch


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    m, n, k = (int(v) for v in sys.argv[1:4])
    min_sec, threads, prec = float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    torch.set_num_threads(threads)
    i = torch.arange(m).view(m, 1)
    p = torch.arange(k)
    a = (((i * 3 + p * 5) % 17) - 8).float() / 16
    p = torch.arange(k).view(k, 1)
    j = torch.arange(n)
    b = (((p * 7 + j * 11) % 19) - 9).float() / 16
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[prec]
    a, b = a.to(dtype).contiguous(), b.to(dtype).contiguous()
    c = torch.matmul(a, b)  # warm-up
    reps = 0
    cpu0, start = cpu_seconds(), time.perf_counter()
    while True:
        c = torch.matmul(a, b)
        reps += 1
        sec = time.perf_counter() - start
        if sec >= min_sec and reps >= 3:
            break
    cpu = cpu_seconds() - cpu0
    gflop = 2 * m * n * k * reps / 1e9
    print(json.dumps({
        "engine": "pytorch" if prec == "fp32" else "pytorch-bf16", "m": m, "n": n, "k": k, "reps": reps,
        "seconds": round(sec, 4), "cpu_seconds": round(cpu, 4),
        "gflops": round(gflop / sec, 1), "gflops_per_cpu_sec": round(gflop / cpu, 1),
        "threads": threads, "torch": torch.__version__, "checksum": round(c.float().double().sum().item(), 1),
    }))


if __name__ == "__main__":
    main()

"""torch_infer.py times torchvision's inference for bench/imagenet/run.sh.

Usage: python3 torch_infer.py ARCH MODE BATCH BATCHES THREADS [SAVE.pth]

ARCH is a torchvision model (random weights, seed 1), MODE fp32,
channels-last or bf16 (autocast). Times BATCHES batches of BATCH images of
224x224 after one untimed batch, and prints one JSON line. With SAVE.pth it
only writes the state dict there (for lookalike import) and exits.
"""
import json
import resource
import sys
import time

import torch
import torchvision

arch, mode, batch, batches, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(1)
model = getattr(torchvision.models, arch)().eval()
if len(sys.argv) > 6:
    torch.save(model.state_dict(), sys.argv[6])
    sys.exit(0)
x = torch.randn(batch, 3, 224, 224)
if mode == "channels-last":
    model = model.to(memory_format=torch.channels_last)
    x = x.to(memory_format=torch.channels_last)


def run():
    with torch.no_grad():
        if mode == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return model(x)
        return model(x)


run()
ru0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
for _ in range(batches):
    run()
sec = time.perf_counter() - t0
ru1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
n = batch * batches
print(json.dumps({"engine": "torch", "mode": mode, "arch": arch, "images": n, "seconds": round(sec, 3),
                  "images_per_sec": round(n / sec, 2), "images_per_cpu_sec": round(n / cpu, 2),
                  "threads": threads, "torch": torch.__version__}))

#!/usr/bin/python3
"""Cross-check one lookalike training step against PyTorch.

trainbench -dump writes keras-small's initial weights, one batch, its
embeddings, its pair softmax loss and the gradient of every parameter as raw
little-endian float32 files with a manifest.json. This script loads the
weights and the batch into the PyTorch twin of the model
(bench/torch_train.py), runs one forward and backward pass in float32, and
compares the loss, the embeddings and every gradient with ours. It runs the
same step in float64 too, to show the float32 rounding floor: our engine and
torch-float32 should each be about as far from torch-float64 as from each
other.

    /usr/bin/python3 bench/torch_crosscheck.py            # builds and dumps itself
    /usr/bin/python3 bench/torch_crosscheck.py -dir DIR   # an existing dump

Layouts: our conv kernel is [kh, kw, in, out] (Keras HWIO) and torch's
[out, in, kh, kw]; our dense kernel is [in, out] and torch's [out, in]; our
input is NHWC and torch's NCHW.

"rel" is normwise: max|ours - torch| / max|torch|, over the tensor.

ReLU kinks: where a pre-activation is within float32 rounding of zero (it
happens, rarely, with random weights and images, more often with repeated
images in a batch), the two engines may land on different sides of the kink
and pass or drop that element's whole gradient: a real but harmless
difference of ReLU's subgradient, not an arithmetic error. So the step is
run twice in torch: once with torch's own ReLUs ("plain"), and once with
every ReLU replaced by multiplication with lookalike's ReLU mask, taken from
the dump ("our masks"), which compares the arithmetic alone. The script
prints how many mask elements differ and exits 1 if any "our masks" rel
exceeds -tol.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_train import KerasSmall, pair_softmax_loss  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Our parameter names, in model order, and the torch module holding each.
TORCH_PARAM = {
    "layers.1.kernel": ("conv1", "weight"),
    "layers.1.bias": ("conv1", "bias"),
    "layers.3.kernel": ("conv2", "weight"),
    "layers.3.bias": ("conv2", "bias"),
    "layers.5.kernel": ("conv3", "weight"),
    "layers.5.bias": ("conv3", "bias"),
    "layers.8.kernel": ("dense", "weight"),
    "layers.8.bias": ("dense", "bias"),
}


def load(dir_, entry):
    a = np.fromfile(os.path.join(dir_, entry["file"]), dtype="<f4")
    return a.reshape(entry["shape"])


def to_torch_layout(ours):
    """Our parameter layout to torch's."""
    if ours.ndim == 4:  # [kh, kw, in, out] -> [out, in, kh, kw]
        return ours.transpose(3, 2, 0, 1)
    if ours.ndim == 2:  # [in, out] -> [out, in]
        return ours.T
    return ours


def to_our_layout(t):
    """torch's parameter layout to ours."""
    if t.ndim == 4:  # [out, in, kh, kw] -> [kh, kw, in, out]
        return t.transpose(2, 3, 1, 0)
    if t.ndim == 2:
        return t.T
    return t


def torch_step(man, dir_, dtype, use_our_masks):
    """Runs the dumped step in torch at dtype and returns the loss, the
    embeddings, the gradients in our layouts, as float64 numpy arrays, and
    the number of elements where torch's ReLU masks differ from ours. With
    use_our_masks, the ReLUs use lookalike's masks."""
    model = KerasSmall(man["dim"]).to(dtype)
    modules = dict(model.named_children())
    with torch.no_grad():
        for e in man["params"]:
            mod, attr = TORCH_PARAM[e["name"]]
            p = getattr(modules[mod], attr)
            w = torch.from_numpy(np.ascontiguousarray(to_torch_layout(load(dir_, e))))
            if tuple(w.shape) != tuple(p.shape):
                sys.exit(f"crosscheck: {e['name']} has shape {list(w.shape)} in torch layout, torch wants {list(p.shape)}")
            p.copy_(w.to(dtype))
    x = torch.from_numpy(load(dir_, man["input"])).to(dtype).permute(0, 3, 1, 2).contiguous()
    n = man["pairs"]
    ours = [torch.from_numpy(load(dir_, e) > 0).to(dtype).permute(0, 3, 1, 2) for e in man["relu_outputs"]]
    mismatches = []
    with torch.no_grad():
        h = x * (1.0 / 255)
        for conv, mask in zip((model.conv1, model.conv2, model.conv3), ours):
            h = F.relu(conv(h))
            mismatches.append(int(((h > 0).to(dtype) != mask).sum()))
    emb = model(x, ours if use_our_masks else None)
    loss = pair_softmax_loss(emb[:n], emb[n:], man["temperature"])
    loss.backward()
    grads = {}
    for e in man["params"]:
        mod, attr = TORCH_PARAM[e["name"]]
        g = getattr(modules[mod], attr).grad.detach().double().numpy()
        grads[e["name"]] = to_our_layout(g)
    return float(loss), emb.detach().double().numpy(), grads, mismatches


def diff(a, b):
    """Max abs difference and normwise relative difference of a from b."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    d = float(np.max(np.abs(a - b)))
    scale = float(np.max(np.abs(b)))
    return d, d / scale if scale > 0 else (0.0 if d == 0 else float("inf"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-dir", default="", help="an existing trainbench -dump directory (default: build and dump)")
    p.add_argument("-pairs", type=int, default=10, help="pairs in the dumped batch, when dumping")
    p.add_argument("-seed", type=int, default=1, help="trainbench seed, when dumping")
    p.add_argument("-tol", type=float, default=1e-4, help="largest acceptable normwise relative difference")
    p.add_argument("-threads", type=int, default=2, help="torch.set_num_threads")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    dir_ = args.dir
    if not dir_:
        dir_ = tempfile.mkdtemp(prefix="lookalike-crosscheck-")
        cmd = ["go", "run", "./bench/trainbench", "-dump", dir_, "-pairs", str(args.pairs), "-seed", str(args.seed)]
        print("$", " ".join(cmd))
        subprocess.run(cmd, cwd=REPO, check=True)
    with open(os.path.join(dir_, "manifest.json")) as f:
        man = json.load(f)

    ours_emb = load(dir_, man["embeddings"])
    ours_grads = {e["name"]: load(dir_, e) for e in man["grads"]}
    count = sum(int(np.prod(e["shape"])) for e in man["params"])
    print(f"dump {dir_}: {man['pairs']} pairs, {len(man['params'])} parameters, {count} values "
          f"(lookalike NumParams {man['num_params']}), lookalike kernels {man['kernels']}, torch {torch.__version__}")

    worst = {}
    for use_our_masks in (False, True):
        l32, e32, g32, mm32 = torch_step(man, dir_, torch.float32, use_our_masks)
        l64, e64, g64, mm64 = torch_step(man, dir_, torch.float64, use_our_masks)
        title = "our masks" if use_our_masks else "plain"
        print()
        print(f"== {title}: torch ReLUs {'replaced by lookalike masks' if use_our_masks else 'as they are'}")
        if not use_our_masks:
            print(f"ReLU mask elements that differ from lookalike's: torch-f32 {mm32}, torch-f64 {mm64} "
                  f"(of {[int(np.prod(e['shape'])) for e in man['relu_outputs']]})")
        print(f"loss: lookalike {man['loss']:.8f}  torch-f32 {l32:.8f}  torch-f64 {l64:.8f}")
        rows = [("loss", man["loss"], l32, l64), ("embeddings", ours_emb, e32, e64)]
        rows += [(f"grad {name}", ours_grads[name], g32[name], g64[name]) for name in ours_grads]
        print(f"{'tensor':<24} {'shape':<12} {'|ours-t32|':>10} {'rel':>9} {'|ours-t64|':>10} {'rel':>9} {'|t32-t64|':>10} {'rel':>9}")
        worst[title] = 0.0
        for name, ours, t32, t64 in rows:
            shape = "x".join(str(s) for s in np.shape(ours)) or "scalar"
            a32, r32 = diff(ours, t32)
            a64, r64 = diff(ours, t64)
            f32, fr = diff(t32, t64)
            worst[title] = max(worst[title], r32)
            print(f"{name:<24} {shape:<12} {a32:10.3e} {r32:9.2e} {a64:10.3e} {r64:9.2e} {f32:10.3e} {fr:9.2e}")
    print()
    ok = worst["our masks"] <= args.tol
    print(f"worst normwise relative difference from torch-f32: plain {worst['plain']:.2e}, "
          f"our masks {worst['our masks']:.2e} ({'ok' if ok else 'FAIL'}, tolerance {args.tol:g})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

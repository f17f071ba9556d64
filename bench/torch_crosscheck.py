#!/usr/bin/python3
"""Cross-check one lookalike training step against PyTorch.

trainbench -dump writes a model's initial weights, one batch, its
embeddings, its pair softmax loss and the gradient of every parameter (and,
for resnet-small, BatchNorm's running statistics before and after the step)
as raw little-endian float32 files with a manifest.json. This script loads
the weights, the state and the batch into the PyTorch twin of the model
(bench/torch_train.py), runs one forward and backward pass in float32 (in
training mode: BatchNorm uses the batch statistics and updates its running
ones), and compares the loss, the embeddings, every gradient and the
updated running statistics with ours. It runs the same step in float64 too,
to show the float32 rounding floor: our engine and torch-float32 should
each be about as far from torch-float64 as from each other.

    /usr/bin/python3 bench/torch_crosscheck.py                      # keras-small, builds and dumps itself
    /usr/bin/python3 bench/torch_crosscheck.py -model resnet-small -pairs 128
    /usr/bin/python3 bench/torch_crosscheck.py -dir DIR             # an existing dump

Layouts: our conv kernel is [kh, kw, in, out] (Keras HWIO) and torch's
[out, in, kh, kw]; our dense kernel is [in, out] and torch's [out, in];
BatchNorm's gamma and beta are torch's weight and bias; our input is NHWC
and torch's NCHW. Parameter names map through the LOOKALIKE table of each
torch model.

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

Exact zeros: the bias gradient of a convolution that BatchNorm (in training
mode) follows is zero in exact arithmetic, since BatchNorm removes any
per-channel shift; in float32 it is rounding noise (torch-f32's too), and a
relative difference means nothing. Tensors whose torch-f64 values are below
1e-6 of torch-f32's are listed apart, with the largest magnitude of each;
the script exits 1 if ours is more than 10 times torch-f32's.
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
from torch_train import MODELS, pair_softmax_loss, torch_name  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    embeddings, the gradients and the running statistics after the step in
    our layouts, as float64 numpy arrays, and the number of elements where
    torch's ReLU masks differ from ours (None with use_our_masks). With
    use_our_masks, the ReLUs use lookalike's masks."""
    model = MODELS[man.get("model", "keras-small")](man["dim"]).to(dtype)
    model.train()
    tensors = dict(model.named_parameters())
    tensors.update(model.named_buffers())
    with torch.no_grad():
        for e in man["params"] + man.get("state_before", []):
            p = tensors[torch_name(model, e["name"])]
            w = torch.from_numpy(np.ascontiguousarray(to_torch_layout(load(dir_, e))))
            if tuple(w.shape) != tuple(p.shape):
                sys.exit(f"crosscheck: {e['name']} has shape {list(w.shape)} in torch layout, torch wants {list(p.shape)}")
            p.copy_(w.to(dtype))
    x = torch.from_numpy(load(dir_, man["input"])).to(dtype).permute(0, 3, 1, 2).contiguous()
    n = man["pairs"]
    ours = [torch.from_numpy(load(dir_, e) > 0).to(dtype).permute(0, 3, 1, 2) for e in man["relu_outputs"] or []]
    record = []
    emb = model(x, masks=ours if use_our_masks else None, record=None if use_our_masks else record)
    mismatches = None
    if not use_our_masks:
        if len(record) != len(ours):
            sys.exit(f"crosscheck: torch ran {len(record)} ReLUs, the dump has {len(ours)}")
        mismatches = [int(((h > 0).to(dtype) != mask).sum()) for h, mask in zip(record, ours)]
    loss = pair_softmax_loss(emb[:n], emb[n:], man["temperature"])
    loss.backward()
    grads = {}
    for e in man["params"]:
        g = tensors[torch_name(model, e["name"])].grad.detach().double().numpy()
        grads[e["name"]] = to_our_layout(g)
    state = {e["name"]: to_our_layout(tensors[torch_name(model, e["name"])].detach().double().numpy())
             for e in man.get("state_after", [])}
    return float(loss), emb.detach().double().numpy(), grads, state, mismatches


def diff(a, b):
    """Max abs difference and normwise relative difference of a from b."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    d = float(np.max(np.abs(a - b)))
    scale = float(np.max(np.abs(b)))
    return d, d / scale if scale > 0 else (0.0 if d == 0 else float("inf"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-dir", default="", help="an existing trainbench -dump directory (default: build and dump)")
    p.add_argument("-model", default="keras-small", choices=sorted(MODELS), help="model to dump")
    p.add_argument("-pairs", type=int, default=10, help="pairs in the dumped batch, when dumping")
    p.add_argument("-seed", type=int, default=1, help="trainbench seed, when dumping")
    p.add_argument("-tol", type=float, default=1e-4, help="largest acceptable normwise relative difference")
    p.add_argument("-threads", type=int, default=2, help="torch.set_num_threads")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    dir_ = args.dir
    if not dir_:
        dir_ = tempfile.mkdtemp(prefix="lookalike-crosscheck-")
        cmd = ["go", "run", "./bench/trainbench", "-model", args.model, "-dump", dir_,
               "-pairs", str(args.pairs), "-seed", str(args.seed)]
        print("$", " ".join(cmd))
        subprocess.run(cmd, cwd=REPO, check=True)
    with open(os.path.join(dir_, "manifest.json")) as f:
        man = json.load(f)

    ours_emb = load(dir_, man["embeddings"])
    ours_grads = {e["name"]: load(dir_, e) for e in man["grads"]}
    ours_state = {e["name"]: load(dir_, e) for e in man.get("state_after", [])}
    count = sum(int(np.prod(e["shape"])) for e in man["params"])
    model = man.get("model", "keras-small")
    tcount = sum(p.numel() for p in MODELS[model](man["dim"]).parameters() if p.requires_grad)
    print(f"dump {dir_}: {model}, {man['pairs']} pairs, {len(man['params'])} parameters, {count} values "
          f"(lookalike NumParams {man['num_params']}, torch twin {tcount}), {len(ours_state)} state tensors, "
          f"lookalike kernels {man['kernels']}, torch {torch.__version__}")
    if tcount != man["num_params"]:
        sys.exit("crosscheck: the torch twin has a different number of parameters")

    worst, worst_zero = {}, {}
    for use_our_masks in (False, True):
        l32, e32, g32, s32, mm32 = torch_step(man, dir_, torch.float32, use_our_masks)
        l64, e64, g64, s64, mm64 = torch_step(man, dir_, torch.float64, use_our_masks)
        title = "our masks" if use_our_masks else "plain"
        print()
        print(f"== {title}: torch ReLUs {'replaced by lookalike masks' if use_our_masks else 'as they are'}")
        if not use_our_masks:
            print(f"ReLU mask elements that differ from lookalike's: torch-f32 {mm32}, torch-f64 {mm64} "
                  f"(of {[int(np.prod(e['shape'])) for e in man['relu_outputs'] or []]})")
        print(f"loss: lookalike {man['loss']:.8f}  torch-f32 {l32:.8f}  torch-f64 {l64:.8f}")
        rows = [("loss", man["loss"], l32, l64), ("embeddings", ours_emb, e32, e64)]
        rows += [(f"grad {name}", ours_grads[name], g32[name], g64[name]) for name in ours_grads]
        rows += [(f"state {name}", ours_state[name], s32[name], s64[name]) for name in ours_state]
        print(f"{'tensor':<36} {'shape':<12} {'|ours-t32|':>10} {'rel':>9} {'|ours-t64|':>10} {'rel':>9} {'|t32-t64|':>10} {'rel':>9}")
        worst[title] = 0.0
        zeros = []
        for name, ours, t32, t64 in rows:
            shape = "x".join(str(s) for s in np.shape(ours)) or "scalar"
            m32, m64 = float(np.max(np.abs(t32))), float(np.max(np.abs(t64)))
            if m64 <= 1e-6 * m32:
                # Zero in exact arithmetic, rounding noise in float32: the
                # bias gradient of a convolution that BatchNorm follows
                # (BatchNorm removes any per-channel shift). A relative
                # difference means nothing there; compare the noise.
                zeros.append((name, shape, float(np.max(np.abs(ours))), m32, m64))
                continue
            a32, r32 = diff(ours, t32)
            a64, r64 = diff(ours, t64)
            f32, fr = diff(t32, t64)
            worst[title] = max(worst[title], r32)
            print(f"{name:<36} {shape:<12} {a32:10.3e} {r32:9.2e} {a64:10.3e} {r64:9.2e} {f32:10.3e} {fr:9.2e}")
        if zeros:
            print(f"zero in exact arithmetic (torch-f64 below 1e-6 of torch-f32): max|value| of each; "
                  f"ours should be float32 noise like torch-f32's")
            print(f"{'tensor':<36} {'shape':<12} {'|ours|':>10} {'|t32|':>10} {'|t64|':>10} {'ours/t32':>9}")
            for name, shape, mo, m32, m64 in zeros:
                ratio = mo / m32 if m32 > 0 else (0.0 if mo == 0 else float("inf"))
                worst_zero[title] = max(worst_zero.get(title, 0.0), ratio)
                print(f"{name:<36} {shape:<12} {mo:10.3e} {m32:10.3e} {m64:10.3e} {ratio:9.2f}")
    print()
    ok = worst["our masks"] <= args.tol
    zero_ok = worst_zero.get("our masks", 0.0) <= 10
    print(f"worst normwise relative difference from torch-f32: plain {worst['plain']:.2e}, "
          f"our masks {worst['our masks']:.2e} ({'ok' if ok else 'FAIL'}, tolerance {args.tol:g})")
    if worst_zero:
        print(f"exact zeros: worst max|ours| / max|torch-f32|: plain {worst_zero.get('plain', 0):.2f}, "
              f"our masks {worst_zero.get('our masks', 0):.2f} ({'ok' if zero_ok else 'FAIL'}, at most 10)")
    sys.exit(0 if ok and zero_ok else 1)


if __name__ == "__main__":
    main()

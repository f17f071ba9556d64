#!/usr/bin/python3
"""The PyTorch equivalent of `lookalike train` with the Keras example's
settings (the recipe keras-example) on an image folder, for
bench/keras_process/run.sh.

    /usr/bin/python3 bench/keras_process/torch_keras_train.py --data DIR --out model.pt

It does what the whole `lookalike train` process does: read every image of
DIR/<class>/ with Pillow (RGB, 32x32), then train keras-small (8
dimensions) for EPOCHS epochs of STEPS batches, each batch one random
anchor/positive pair of every class (the Keras example's sampler), with
the pair softmax loss at temperature 0.2 and Adam (lr 1e-3, eps 1e-7, the
Keras defaults), and save the weights. torch runs at its own defaults (its
thread count and OpenMP settings untouched) unless --threads sets the
thread count. Prints one JSON line.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_train import KerasSmall, pair_softmax_loss  # noqa: E402


def load_folder(root):
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    xs, ys = [], []
    for c, name in enumerate(classes):
        d = os.path.join(root, name)
        for f in sorted(os.listdir(d)):
            with Image.open(os.path.join(d, f)) as im:
                im = im.convert("RGB")
                if im.size != (32, 32):
                    im = im.resize((32, 32), Image.BICUBIC)
                xs.append(np.asarray(im, dtype=np.uint8))
            ys.append(c)
    return np.stack(xs), np.array(ys), classes


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    x, y, classes = load_folder(a.data)
    t_load = time.perf_counter() - t0
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    by_class = [np.flatnonzero(y == c) for c in range(len(classes))]
    images = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().float()  # N x 3 x 32 x 32, 0..255
    model = KerasSmall(dim=8)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    losses = []
    for epoch in range(a.epochs):
        total = 0.0
        for _ in range(a.steps):
            pick = np.array([rng.choice(ix, 2, replace=False) for ix in by_class])
            batch = images[np.concatenate([pick[:, 0], pick[:, 1]])]
            emb = model(batch)
            n = len(classes)
            loss = pair_softmax_loss(emb[:n], emb[n:])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
        losses.append(total / a.steps)
    torch.save(model.state_dict(), a.out)
    wall = time.perf_counter() - t0
    print(json.dumps({"engine": "pytorch", "images": len(y), "classes": len(classes), "epochs": a.epochs,
                      "steps": a.steps, "load_seconds": round(t_load, 2), "seconds": round(wall, 2),
                      "final_epoch_loss": round(losses[-1], 4), "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()

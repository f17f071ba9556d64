#!/usr/bin/python3
"""Training and inference benchmark of keras-small or resnet-small in PyTorch.

The PyTorch twin of bench/trainbench: the same models, loss, optimiser,
flags and JSON output, with "engine": "pytorch". Run it with Debian's
python3-torch (/usr/bin/python3), for example

    /usr/bin/python3 bench/torch_train.py -pairs 10 -steps 1000
    /usr/bin/python3 bench/torch_train.py -model resnet-small -pairs 128 -steps 5 -warmup 1
    /usr/bin/python3 bench/torch_train.py -embed-batch 256

A training step draws 2*pairs random images (anchors, then positives) from
a pool of random uint8 images, scales them by 1/255, runs the model forward
once, splits the embeddings, computes the pair softmax loss (logits =
A @ P.T / 0.2, cross-entropy with labels arange(pairs)), runs backward and
takes an Adam step (lr 1e-3, eps 1e-7, the Keras defaults our engine uses).
"""

import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

SIZE, CHANNELS, DIM, TEMPERATURE, LR = 32, 3, 8, 0.2, 1e-3

# Our parameter and state names end in these; torch's equivalents.
LOOKALIKE_SUFFIX = {
    "kernel": "weight", "bias": "bias",  # Conv2D, Dense
    "gamma": "weight", "beta": "bias",  # BatchNorm
    "running_mean": "running_mean", "running_var": "running_var",
}


def relu_fn(masks=None, record=None):
    """The ReLU a model's forward pass applies, in order: F.relu, or with
    masks (a list of 0/1 tensors shaped like the ReLU outputs, in forward
    order) multiplication by the next mask, which is the same function
    except where a pre-activation is within rounding of zero, where it lets
    the caller choose the side of the kink (see torch_crosscheck.py). With
    record, each output of F.relu is also appended to record."""
    if masks is not None:
        it = iter(masks)
        return lambda h: h * next(it)
    if record is not None:
        def relu(h):
            y = F.relu(h)
            record.append(y)
            return y
        return relu
    return F.relu


class KerasSmall(nn.Module):
    """keras-small: Rescaling(1/255), three 3x3 stride-2 valid convolutions
    (32, 64, 128 filters) with ReLU, global average pooling, Dense(dim) and
    L2 normalisation, on NCHW input of 0..255 pixels."""

    # lookalike's layer names (nn.KerasSmall) and the torch modules.
    LOOKALIKE = {"layers.1": "conv1", "layers.3": "conv2", "layers.5": "conv3", "layers.8": "dense"}

    def __init__(self, dim=DIM):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2)
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2)
        self.conv3 = nn.Conv2d(64, 128, 3, stride=2)
        self.dense = nn.Linear(128, dim)
        for layer in (self.conv1, self.conv2, self.conv3, self.dense):
            # Keras's glorot_uniform: fans are in*k*k and out*k*k, which is
            # what torch's xavier_uniform_ computes for conv weights too.
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x, masks=None, record=None):
        """Embeds x. masks and record: see relu_fn; there are three ReLUs."""
        relu = relu_fn(masks, record)
        x = x * (1.0 / 255)
        for conv in (self.conv1, self.conv2, self.conv3):
            x = relu(conv(x))
        x = x.mean(dim=(2, 3))
        x = self.dense(x)
        # tf.math.l2_normalize and our engine divide by sqrt(max(ss, 1e-12)),
        # F.normalize by max(norm, 1e-6): the same thing.
        return F.normalize(x, dim=1, eps=1e-6)


class SameConv2d(nn.Conv2d):
    """A convolution with lookalike's (and TensorFlow's) "same" padding:
    the output is ceil(input/stride), and when the padding is odd the extra
    row and column go to the bottom and right. For a 3x3 stride-2
    convolution of an even-sized input that is F.pad(x, (0, 1, 0, 1)) with
    padding=0; for stride 1 it is padding=1 on both sides, which is passed
    to the convolution itself (no copy)."""

    def __init__(self, cin, cout, k, stride=1):
        super().__init__(cin, cout, k, stride=stride, padding=0)

    def forward(self, x):
        k, s = self.kernel_size[0], self.stride[0]
        h, w = x.shape[-2:]
        ph = max((-(-h // s) - 1) * s + k - h, 0)
        pw = max((-(-w // s) - 1) * s + k - w, 0)
        t, l = ph // 2, pw // 2
        if ph - t == t and pw - l == l:
            return F.conv2d(x, self.weight, self.bias, self.stride, (t, l))
        return F.conv2d(F.pad(x, (l, pw - l, t, ph - t)), self.weight, self.bias, self.stride)


class BasicBlock(nn.Module):
    """lookalike's nn.NewResidualBlock: relu(bn2(conv2(relu(bn1(conv1(x)))))
    + shortcut(x)), 3x3 "same" convolutions (the first with the stride), and
    a shortcut that is the identity when the shape is kept and otherwise a
    1x1 convolution with the stride (valid padding) and BatchNorm. Every
    convolution has a bias; BatchNorm has PyTorch's defaults (momentum 0.1,
    eps 1e-5), as ours."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = SameConv2d(cin, cout, 3, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = SameConv2d(cout, cout, 3, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if cin != cout or stride != 1:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), nn.BatchNorm2d(cout))

    def forward(self, x, relu):
        a = relu(self.bn1(self.conv1(x)))
        a = self.bn2(self.conv2(a))
        s = x if self.shortcut is None else self.shortcut(x)
        return relu(a + s)

    def lookalike_names(self, prefix, name):
        """Adds the names of this block's layers in lookalike (prefix, say
        "layers.4") to the map from lookalike to torch module names."""
        m = {"inner.0": "conv1", "inner.1": "bn1", "inner.3": "conv2", "inner.4": "bn2"}
        if self.shortcut is not None:
            m.update({"shortcut.0": "shortcut.0", "shortcut.1": "shortcut.1"})
        return {f"{prefix}.{k}": f"{name}.{v}" for k, v in m.items()}


class ResNetSmall(nn.Module):
    """resnet-small (lookalike's nn.ResNetSmall): Rescaling(1/255), a 3x3
    "same" convolution to 64 channels with BatchNorm and ReLU, residual
    blocks 64→64, 64→128 (stride 2) and 128→256 (stride 2), global average
    pooling, Dense(dim) and L2 normalisation, on NCHW input of 0..255
    pixels. Convolution and dense kernels are Glorot-uniform, biases zero,
    as in our engine."""

    def __init__(self, dim=DIM):
        super().__init__()
        self.conv1 = SameConv2d(3, 64, 3, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.block1 = BasicBlock(64, 64, 1)
        self.block2 = BasicBlock(64, 128, 2)
        self.block3 = BasicBlock(128, 256, 2)
        self.dense = nn.Linear(256, dim)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        # lookalike's layer names and the torch modules.
        self.LOOKALIKE = {"layers.1": "conv1", "layers.2": "bn1", "layers.8": "dense"}
        for i, name in ((4, "block1"), (5, "block2"), (6, "block3")):
            self.LOOKALIKE.update(getattr(self, name).lookalike_names(f"layers.{i}", name))

    def forward(self, x, masks=None, record=None):
        """Embeds x. masks and record: see relu_fn; the ReLUs are the stem's,
        then each block's inner one and its output."""
        relu = relu_fn(masks, record)
        x = x * (1.0 / 255)
        x = relu(self.bn1(self.conv1(x)))
        for block in (self.block1, self.block2, self.block3):
            x = block(x, relu)
        x = x.mean(dim=(2, 3))
        x = self.dense(x)
        return F.normalize(x, dim=1, eps=1e-6)


class FastBatchNorm(nn.BatchNorm2d):
    """airbench's BatchNorm, as lookalike's fast network has it: momentum
    0.6, epsilon 1e-12, the scale frozen at 1 (only the shift trains)."""

    def __init__(self, c):
        super().__init__(c, momentum=0.6, eps=1e-12)
        self.weight.requires_grad = False


class FastNet(nn.Module):
    """lookalike's fast network (nn.FastNet, airbench94's): Rescaling(1/255),
    a frozen 2x2 whitening convolution to 24 channels and GELU, three conv
    groups of widths 64, 256, 256 (3x3 "same" convolution, 2x2 max pool,
    BatchNorm, GELU, 3x3 convolution, BatchNorm, GELU), a 3x3 max pool,
    Dense(dim) when dim is not 256, and L2 normalisation."""

    def __init__(self, dim=DIM):
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, 2)
        self.whiten.weight.requires_grad = False
        blocks, cin = [], 24
        for cout in (64, 256, 256):
            blocks.append(nn.ModuleDict({
                "conv1": nn.Conv2d(cin, cout, 3, padding=1), "bn1": FastBatchNorm(cout),
                "conv2": nn.Conv2d(cout, cout, 3, padding=1), "bn2": FastBatchNorm(cout),
            }))
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.dense = nn.Linear(256, dim) if dim != 256 else None
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        # lookalike's layer names: 0 rescaling, 1 whitening, 2 GELU, then
        # seven layers per group (conv, pool, bn, gelu, conv, bn, gelu), the
        # 3x3 pool and the global pool, then the dense layer.
        self.LOOKALIKE = {"layers.1": "whiten", "layers.26": "dense"}
        for g in range(3):
            base = 3 + 7 * g
            for off, name in ((0, "conv1"), (2, "bn1"), (4, "conv2"), (5, "bn2")):
                self.LOOKALIKE[f"layers.{base + off}"] = f"blocks.{g}.{name}"

    def forward(self, x, masks=None, record=None):
        x = x * (1.0 / 255)
        x = F.gelu(self.whiten(x))
        for b in self.blocks:
            x = F.gelu(b["bn1"](F.max_pool2d(b["conv1"](x), 2)))
            x = F.gelu(b["bn2"](b["conv2"](x)))
        x = F.max_pool2d(x, 3).flatten(1)
        if self.dense is not None:
            x = self.dense(x)
        return F.normalize(x, dim=1, eps=1e-6)


MODELS = {"keras-small": KerasSmall, "resnet-small": ResNetSmall, "fast": FastNet}

# Torch's settings a benchmark can run in: plain float32, float32 with
# channels-last memory format, and bf16 autocast (AMX or AVX-512 BF16 where
# the CPU has them).
MODES = ("fp32", "channels-last", "bf16")


def torch_name(model, ours):
    """The torch parameter or buffer name of lookalike's parameter or state
    name ours, such as "layers.5.shortcut.1.gamma" → "block2.shortcut.1.weight"."""
    prefix, _, suffix = ours.rpartition(".")
    return f"{model.LOOKALIKE[prefix]}.{LOOKALIKE_SUFFIX[suffix]}"


def pair_softmax_loss(anchors, positives, temperature=TEMPERATURE):
    """The Keras example's loss: softmax cross-entropy of anchor-positive
    similarities with each anchor's own positive as the label."""
    logits = anchors @ positives.T / temperature
    labels = torch.arange(anchors.shape[0], device=anchors.device)
    return F.cross_entropy(logits, labels)


def num_params(model):
    """The number of trained scalars (frozen ones, such as the fast
    network's whitening kernel, are not counted, as in lookalike)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def parse_args(argv=None):
    # Single-dash long flags, as Go's flag package takes them.
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-model", default="keras-small", choices=sorted(MODELS), help="model to run")
    p.add_argument("-pairs", type=int, default=10, help="pairs per batch; a step runs 2*pairs images")
    p.add_argument("-steps", type=int, default=1000, help="timed training steps")
    p.add_argument("-warmup", type=int, default=20, help="untimed training steps before the timed ones")
    p.add_argument("-pool", type=int, default=2048, help="random images to draw batches from")
    p.add_argument("-seed", type=int, default=1, help="random seed for weights, images and batches")
    p.add_argument("-threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("-embed-batch", dest="embed_batch", type=int, default=0,
                   help="time inference at this batch size instead of training")
    p.add_argument("-embed-images", dest="embed_images", type=int, default=10240,
                   help="images to embed with -embed-batch")
    p.add_argument("-mode", default="fp32", choices=MODES,
                   help="torch setting: fp32, channels-last (fp32), or bf16 (autocast)")
    p.add_argument("-info", action="store_true", help="print the configuration as JSON and exit")
    p.add_argument("-expect-params", dest="expect_params", type=int, default=0,
                   help="fail unless the model has this many parameters (our engine's NumParams)")
    return p.parse_args(argv)


def engine_name(mode):
    """The engine name of a result: "pytorch", or "pytorch-<mode>"."""
    return "pytorch" if mode == "fp32" else f"pytorch-{mode}"


def prepare(x, mode):
    """x in the memory format of the mode."""
    return x.contiguous(memory_format=torch.channels_last) if mode == "channels-last" else x


def autocast(mode):
    """bf16 autocast for the bf16 mode, else a no-op context."""
    import contextlib
    if mode == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def emit(obj):
    """Prints obj as one JSON line. Besides wall-clock rates, results carry
    the process's CPU time (all threads, time.process_time), which varies
    much less than wall-clock time when other processes share the machine."""
    print(json.dumps(obj, sort_keys=True), flush=True)


def bench_train(model, gen, args):
    pool = torch.randint(0, 256, (args.pool, CHANNELS, SIZE, SIZE), dtype=torch.uint8, generator=gen)
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=1e-7)
    n = args.pairs

    def step():
        idx = torch.randint(0, args.pool, (2 * n,), generator=gen)
        x = prepare(pool[idx].float(), args.mode)
        with autocast(args.mode):
            emb = model(x)
            loss = pair_softmax_loss(emb[:n].float(), emb[n:].float())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        step()
    cpu0, start = time.process_time(), time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    sec, cpu = time.perf_counter() - start, time.process_time() - cpu0
    emit({
        "engine": engine_name(args.mode),
        "model": args.model,
        "pairs": n,
        "steps": args.steps,
        "cpu_seconds": round(cpu, 4),
        "pairs_per_cpu_sec": round(n * args.steps / cpu, 1),
        "seconds": round(sec, 4),
        "pairs_per_sec": round(n * args.steps / sec, 1),
        "images_per_sec": round(2 * n * args.steps / sec, 1),
        "final_loss": round(loss.item(), 4),
        "threads": torch.get_num_threads(),
    })


def bench_embed(model, gen, args):
    n, batch = args.embed_images, args.embed_batch
    px = torch.randint(0, 256, (n, CHANNELS, SIZE, SIZE), dtype=torch.uint8, generator=gen)
    model.eval()
    with torch.inference_mode(), autocast(args.mode):
        model(prepare(px[:batch].float(), args.mode))  # warm-up
        cpu0, start = time.process_time(), time.perf_counter()
        out = torch.empty(n, DIM)
        for s in range(0, n, batch):
            out[s:s + batch] = model(prepare(px[s:s + batch].float(), args.mode)).float()
        sec, cpu = time.perf_counter() - start, time.process_time() - cpu0
    emit({
        "engine": engine_name(args.mode),
        "model": args.model,
        "mode": "embed",
        "batch": batch,
        "images": n,
        "cpu_seconds": round(cpu, 4),
        "images_per_cpu_sec": round(n / cpu, 1),
        "seconds": round(sec, 4),
        "images_per_sec": round(n / sec, 1),
        "threads": torch.get_num_threads(),
    })


def main(argv=None):
    args = parse_args(argv)
    if args.pairs <= 0 or args.steps <= 0 or args.warmup < 0 or args.pool <= 0:
        sys.exit("torch_train: -pairs, -steps and -pool must be positive and -warmup not negative")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = MODELS[args.model](DIM)
    if args.mode == "channels-last":
        model = model.to(memory_format=torch.channels_last)
    count = num_params(model)
    if args.expect_params and count != args.expect_params:
        sys.exit(f"torch_train: the torch model has {count} parameters, lookalike's {args.expect_params}")
    if args.info:
        emit({
            "engine": "pytorch",
            "model": args.model,
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "num_params": count,
            "expect_params": args.expect_params,
            "mkldnn": torch.backends.mkldnn.is_available(),
            "blas": blas_info(),
        })
        return
    if args.embed_batch > 0:
        bench_embed(model, gen, args)
    else:
        bench_train(model, gen, args)


def blas_info():
    """The BLAS line of torch's build configuration, if it has one."""
    for line in torch.__config__.show().splitlines():
        line = line.strip()
        if line.startswith("- BLAS") or "BLAS_INFO" in line:
            return line.lstrip("- ")
    return ""


if __name__ == "__main__":
    main()

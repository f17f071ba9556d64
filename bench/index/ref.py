#!/usr/bin/python3
"""Reference side of the similarity-index benchmark (bench/index/run.sh).

Jobs:

  ref.py gen-clustered --n N --out DIR [--dim 128] [--metric cosine]
          [--clusters 1000] [--sigma S] [--seed 1]
      writes DIR/base.npy (N x dim float32 vectors drawn around random unit
      cluster centres; unit vectors for cosine), DIR/queries.npy (1000
      held-out vectors drawn the same way), DIR/gt.npy (int32 1000 x 100: the
      rows of base nearest each query, best first, by exact search) and
      DIR/meta.json ({"metric": "cosine" or "l2"}).

  ref.py gen-uniform --n N --dim D --out DIR [--metric l2] [--seed 1]
      the same files for vectors uniform in the unit cube.

  ref.py gen-split --emb FILE.npy... --out DIR [--queries 1000] [--metric cosine]
      splits vectors (e.g. `lookalike embed` of CIFAR-10, or raw pixels) into
      rows spread evenly over the file as queries and the rest as base (unit
      vectors for cosine) and writes the same files.

  ref.py gen-pixels --data DIR --out FILE.npy [--side 28]
      the raw pixels of every PNG under DIR (sorted), greyscale, resized to
      side x side with Pillow's bilinear filter, as float32 rows of 0..255
      (like MNIST's 784 dimensions).

  ref.py serve
      answers JSON commands, one a line on stdin, with one JSON line on
      stdout; bench/index/indexbench drives it so that FAISS and hnswlib
      runs interleave with ours. Commands: load, exact_build, exact_single,
      exact_batch, hnsw_build, hnsw_sweep, quit (see handle below).

Use Debian's /usr/bin/python3 (python3-faiss 1.7.3, python3-hnswlib 0.6.2).
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy as np

DIM = 128
NQ = 1000
GT_K = 100


def unit(x):
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1
    return (x / n).astype(np.float32)


def flat_index(dim, metric):
    import faiss
    return faiss.IndexFlatL2(dim) if metric == "l2" else faiss.IndexFlatIP(dim)


def exact_gt(base, queries, metric, k=GT_K):
    """Top-k rows of base nearest each query (largest inner product, or
    smallest L2 distance), best first."""
    import faiss
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    k = min(k, base.shape[0])
    out = np.empty((queries.shape[0], k), dtype=np.int32)
    # FAISS's flat search with few queries at a time does not use BLAS
    # (Debian's is the slow reference one) but its own SIMD loops.
    ix = flat_index(base.shape[1], metric)
    ix.add(base)
    for i in range(0, queries.shape[0], 16):
        _, idx = ix.search(queries[i:i + 16], k)
        out[i:i + 16] = idx
    return out


def gen_clustered(args):
    rng = np.random.default_rng(args.seed)
    dim = args.dim
    centres = unit(rng.standard_normal((args.clusters, dim)))

    def draw(n, rng):
        out = np.empty((n, dim), dtype=np.float32)
        for i in range(0, n, 100_000):
            m = min(100_000, n - i)
            c = rng.integers(0, args.clusters, m)
            x = centres[c] + args.sigma * rng.standard_normal((m, dim)).astype(np.float32)
            out[i:i + m] = unit(x) if args.metric == "cosine" else x
        return out

    base = draw(args.n, rng)
    queries = draw(NQ, np.random.default_rng(args.seed + 1_000_003))
    write_set(args.out, base, queries, args.metric)


def gen_uniform(args):
    def draw(n, rng):
        x = rng.random((n, args.dim), dtype=np.float32)
        return unit(x) if args.metric == "cosine" else x

    base = draw(args.n, np.random.default_rng(args.seed))
    queries = draw(NQ, np.random.default_rng(args.seed + 1_000_003))
    write_set(args.out, base, queries, args.metric)


def gen_split(args):
    emb = np.concatenate([np.load(e).astype(np.float32) for e in args.emb])
    q = min(args.queries, emb.shape[0] // 2)
    # Queries spread over the file: a class-sorted folder gives every class.
    is_q = np.zeros(emb.shape[0], dtype=bool)
    is_q[np.linspace(0, emb.shape[0] - 1, q).astype(np.int64)] = True
    base, queries = emb[~is_q], emb[is_q]
    if args.metric == "cosine":
        base, queries = unit(base), unit(queries)
    write_set(args.out, np.ascontiguousarray(base), np.ascontiguousarray(queries), args.metric)


def gen_pixels(args):
    from PIL import Image
    paths = []
    for d, _, files in os.walk(args.data):
        paths += [os.path.join(d, f) for f in files if f.lower().endswith(".png")]
    paths.sort()
    out = np.empty((len(paths), args.side * args.side), dtype=np.float32)
    for i, p in enumerate(paths):
        with Image.open(p) as im:
            g = im.convert("L").resize((args.side, args.side), Image.BILINEAR)
            out[i] = np.asarray(g, dtype=np.float32).reshape(-1)
    np.save(args.out, out)
    print(f"wrote {out.shape[0]} x {out.shape[1]} pixel vectors to {args.out}", file=sys.stderr)


def write_set(out, base, queries, metric):
    os.makedirs(out, exist_ok=True)
    t = time.time()
    gt = exact_gt(base, queries, metric)
    np.save(os.path.join(out, "base.npy"), base)
    np.save(os.path.join(out, "queries.npy"), queries)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"metric": metric}, f)
    np.save(os.path.join(out, "gt.npy"), gt)
    print(f"wrote {base.shape[0]} x {base.shape[1]} base, {queries.shape[0]} queries and ground truth to {out} "
          f"(ground truth in {time.time() - t:.1f} s)", file=sys.stderr)


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def recall(labels, gt, k):
    hits = 0
    for row, want in zip(labels, gt):
        hits += len(set(int(x) for x in row[:k]) & set(int(x) for x in want[:k]))
    return hits / (len(gt) * k)


def read_metric(data_dir):
    try:
        with open(os.path.join(data_dir, "meta.json")) as f:
            return json.load(f)["metric"]
    except FileNotFoundError:
        return "cosine"


class Server:
    def __init__(self):
        self.base = self.queries = self.gt = None
        self.flat = self.hnsw = None
        self.metric = "cosine"

    def handle(self, c):
        import faiss
        import hnswlib
        cmd = c["cmd"]
        threads = int(c.get("threads", 2))
        k = int(c.get("k", 10))
        min_seconds = float(c.get("min_seconds", 0))
        if cmd == "load":
            self.base = np.load(c["base"])
            self.queries = np.ascontiguousarray(np.load(c["queries"]))
            self.gt = np.load(c["gt"])
            self.metric = read_metric(os.path.dirname(c["base"]))
            self.flat = self.hnsw = None
            return {"n": int(self.base.shape[0]), "dim": int(self.base.shape[1]), "nq": int(self.queries.shape[0]),
                    "faiss": faiss.__version__, "hnswlib": getattr(hnswlib, "__version__", "0.6.2")}
        if cmd == "exact_build":
            faiss.omp_set_num_threads(threads)
            t = time.perf_counter()
            self.flat = flat_index(self.base.shape[1], self.metric)
            self.flat.add(self.base)
            return {"seconds": time.perf_counter() - t}
        if cmd in ("exact_single", "exact_batch"):
            faiss.omp_set_num_threads(threads)
            # Batches of 1 (single) or b queries, all n repeated until
            # min_seconds have passed; the first pass is scored.
            b = 1 if cmd == "exact_single" else int(c["batch"])
            n = min(int(c["n"]), self.queries.shape[0]) if b == 1 else self.queries.shape[0] // b * b
            labels = np.empty((n, k), dtype=np.int64)
            done = 0
            c0, t = cpu_seconds(), time.perf_counter()
            while True:
                for i in range(0, n, b):
                    _, idx = self.flat.search(self.queries[i:i + b], k)
                    if done == 0:
                        labels[i:i + b] = idx
                done += n
                if time.perf_counter() - t >= min_seconds:
                    break
            wall, cpu = time.perf_counter() - t, cpu_seconds() - c0
            return {"queries": done, "seconds": wall, "cpu_seconds": cpu, "qps": done / wall,
                    "recall": recall(labels, self.gt[:n], k)}
        if cmd == "exact_free":
            self.flat = None
            return {}
        if cmd == "hnsw_build":
            self.hnsw = None
            rss0 = rss_bytes()
            c0, t = cpu_seconds(), time.perf_counter()
            h = hnswlib.Index(space="l2" if self.metric == "l2" else "ip", dim=self.base.shape[1])
            h.init_index(max_elements=self.base.shape[0], ef_construction=int(c["ef_construction"]),
                         M=int(c["m"]), random_seed=int(c.get("seed", 100)))
            h.add_items(self.base, np.arange(self.base.shape[0]), num_threads=threads)
            wall, cpu = time.perf_counter() - t, cpu_seconds() - c0
            self.hnsw = h
            return {"seconds": wall, "cpu_seconds": cpu, "inserts_per_s": self.base.shape[0] / wall,
                    "rss_delta_bytes": rss_bytes() - rss0}
        if cmd == "hnsw_sweep":
            out = []
            for ef in c["efs"]:
                self.hnsw.set_ef(max(int(ef), k))
                labels = None
                done = 0
                c0, t = cpu_seconds(), time.perf_counter()
                while True:
                    lab, _ = self.hnsw.knn_query(self.queries, k=k, num_threads=threads)
                    if labels is None:
                        labels = lab
                    done += self.queries.shape[0]
                    if time.perf_counter() - t >= min_seconds:
                        break
                wall, cpu = time.perf_counter() - t, cpu_seconds() - c0
                out.append({"ef": int(ef), "seconds": wall, "cpu_seconds": cpu, "qps": done / wall,
                            "recall": recall(labels, self.gt, k)})
            return {"points": out}
        if cmd == "quit":
            return None
        raise ValueError(f"unknown command {cmd!r}")

    def serve(self):
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            c = json.loads(line)
            try:
                r = self.handle(c)
            except Exception as e:  # report, keep serving
                r = {"error": f"{type(e).__name__}: {e}"}
            if r is None:
                break
            print(json.dumps(r), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="job", required=True)
    g = sub.add_parser("gen-clustered")
    g.add_argument("--n", type=int, default=1_000_000)
    g.add_argument("--dim", type=int, default=DIM)
    g.add_argument("--metric", choices=["cosine", "l2"], default="cosine")
    g.add_argument("--out", required=True)
    g.add_argument("--clusters", type=int, default=1000)
    g.add_argument("--sigma", type=float, default=0.05)
    g.add_argument("--seed", type=int, default=1)
    u = sub.add_parser("gen-uniform")
    u.add_argument("--n", type=int, required=True)
    u.add_argument("--dim", type=int, required=True)
    u.add_argument("--metric", choices=["cosine", "l2"], default="l2")
    u.add_argument("--out", required=True)
    u.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("gen-split")
    s.add_argument("--emb", required=True, nargs="+", help="files, concatenated")
    s.add_argument("--out", required=True)
    s.add_argument("--queries", type=int, default=NQ)
    s.add_argument("--metric", choices=["cosine", "l2"], default="cosine")
    x = sub.add_parser("gen-pixels")
    x.add_argument("--data", required=True)
    x.add_argument("--out", required=True)
    x.add_argument("--side", type=int, default=28)
    sub.add_parser("serve")
    args = p.parse_args()
    if args.job == "gen-clustered":
        gen_clustered(args)
    elif args.job == "gen-uniform":
        gen_uniform(args)
    elif args.job == "gen-split":
        gen_split(args)
    elif args.job == "gen-pixels":
        gen_pixels(args)
    else:
        Server().serve()


if __name__ == "__main__":
    main()

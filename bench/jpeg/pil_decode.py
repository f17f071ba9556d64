"""pil_decode.py decodes a folder of JPEGs to SIZE x SIZE the fast way
Pillow offers, for bench/jpeg/run.sh: Image.draft (libjpeg's DCT-domain
scaling by 1/2, 1/4 or 1/8, to the smallest size still at least SIZE on the
shorter side), EXIF orientation (ImageOps.exif_transpose), then the
shorter side resized to SIZE with a reducing filter and a centre crop
(lookalike's policy), in PROCS processes. Prints one JSON line.

Usage: python3 pil_decode.py DIR SIZE PROCS
"""
import json
import multiprocessing
import os
import resource
import sys
import time

from PIL import Image, ImageOps


def load(args):
    path, size = args
    with Image.open(path) as im:
        w, h = im.size
        s = size / min(w, h)
        im.draft("RGB", (max(size, int(w * s + 0.5)), max(size, int(h * s + 0.5))))
        im = ImageOps.exif_transpose(im.convert("RGB"))
        w, h = im.size
        side = min(w, h)
        box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
        im = im.resize((size, size), Image.BICUBIC, box=box, reducing_gap=3.0)
        return len(im.tobytes())


def main():
    root, size, procs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    files = sorted(os.path.join(root, f) for f in os.listdir(root) if f.endswith(".jpg"))
    start = time.perf_counter()
    with multiprocessing.Pool(procs) as pool:
        total = sum(pool.map(load, [(f, size) for f in files], chunksize=8))
    sec = time.perf_counter() - start
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"engine": "pillow-draft", "images": len(files), "size": size, "procs": procs,
                      "seconds": round(sec, 3), "images_per_sec": round(len(files) / sec, 1),
                      "cpu_seconds": round(ru.ru_utime + ru.ru_stime, 3), "bytes": total,
                      "pillow": Image.__version__}))


if __name__ == "__main__":
    main()

"""gen.py writes a folder of camera-sized JPEGs for bench/jpeg/run.sh.

Usage: python3 gen.py OUT N [SEED]

Each image is a CIFAR-10-like scene scaled up to 3, 6 or 12 megapixels
(2048x1536, 3000x2000, 4000x3000, landscape or portrait) with sensor-like
noise, saved at quality 90 with 4:2:0 chroma subsampling, as cameras do;
every fifth image is stored sideways with EXIF orientation 6, every
seventh with 8. Without the shared CIFAR-10 (CIFAR env: its train folder),
the scenes are synthetic gradients and shapes.
"""
import multiprocessing
import os
import random
import sys

from PIL import Image, ImageDraw

SIZES = [(2048, 1536), (3000, 2000), (4000, 3000)]


def scene(rng, cifar):
    if cifar:
        return Image.open(rng.choice(cifar)).convert("RGB")
    im = Image.new("RGB", (32, 32), tuple(rng.randrange(256) for _ in range(3)))
    d = ImageDraw.Draw(im)
    for _ in range(4):
        x, y = rng.randrange(32), rng.randrange(32)
        d.ellipse((x, y, x + rng.randrange(4, 16), y + rng.randrange(4, 16)),
                  fill=tuple(rng.randrange(256) for _ in range(3)))
    return im


def make(args):
    i, out, seed, cifar = args
    rng = random.Random(seed * 1000003 + i)
    w, h = rng.choice(SIZES)
    if rng.random() < 0.3:
        w, h = h, w
    im = scene(rng, cifar).resize((w, h), Image.BICUBIC)
    # Sensor-like noise at full resolution, so that files are as large as
    # cameras write them (2-5 MB).
    noise = Image.effect_noise((w, h), 24).convert("L")
    im = Image.blend(im, Image.merge("RGB", (noise, noise, noise)), 0.1)
    orientation = 6 if i % 5 == 4 else 8 if i % 7 == 6 else 1
    exif = Image.Exif()
    if orientation != 1:
        # Store the pixels as the camera would: rotated against the tag.
        im = im.transpose(Image.ROTATE_90 if orientation == 6 else Image.ROTATE_270)
        exif[0x0112] = orientation
    im.save(os.path.join(out, f"img{i:05d}.jpg"), quality=90, subsampling=2, exif=exif.tobytes())


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.makedirs(out, exist_ok=True)
    cifar = []
    root = os.environ.get("CIFAR", "")
    if root and os.path.isdir(root):
        for c in sorted(os.listdir(root)):
            files = sorted(os.listdir(os.path.join(root, c)))[:50]
            cifar += [os.path.join(root, c, f) for f in files]
    with multiprocessing.Pool() as pool:
        for k, _ in enumerate(pool.imap_unordered(make, [(i, out, seed, cifar) for i in range(n)], chunksize=4)):
            if (k + 1) % 100 == 0:
                print(f"gen: {k + 1}/{n}", file=sys.stderr)


if __name__ == "__main__":
    main()

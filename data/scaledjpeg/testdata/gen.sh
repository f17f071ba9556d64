#!/usr/bin/env bash
# gen.sh writes the test JPEGs of package scaledjpeg with libjpeg-turbo's
# cjpeg (Debian libjpeg-turbo-progs) from a smooth synthetic picture, odd in
# both sides so that the last MCUs are partial. Run it in this folder.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/pic.ppm" "$work/pic.pgm" <<'PY'
import math, sys
w, h = 77, 53
rgb, grey = bytearray(), bytearray()
for y in range(h):
    for x in range(w):
        r = 128 + 80 * math.sin(x / 9.0) * math.cos(y / 13.0)
        g = 120 + 60 * math.cos((x + y) / 11.0)
        b = 40 + 1.9 * x + 0.8 * y
        px = [int(r), int(g), int(b)]
        rgb += bytes(px)
        grey.append(int(0.3 * px[0] + 0.6 * px[1] + 0.1 * px[2]))
open(sys.argv[1], "wb").write(b"P6 %d %d 255\n" % (w, h) + rgb)
open(sys.argv[2], "wb").write(b"P5 %d %d 255\n" % (w, h) + grey)
PY
printf '0 1 2: 0 63 0 0;\n' > "$work/one.scans"
printf '0: 0 63 0 0;\n1: 0 63 0 0;\n2: 0 63 0 0;\n' > "$work/three.scans"
c() { out=$1; shift; cjpeg -outfile "$out" "$@"; }
c 420.jpg -quality 90 -sample 2x2 "$work/pic.ppm"
c 422.jpg -quality 90 -sample 2x1 "$work/pic.ppm"
c 440.jpg -quality 90 -sample 1x2 "$work/pic.ppm"
c 444.jpg -quality 95 -sample 1x1 "$work/pic.ppm"
c 411.jpg -quality 90 -sample 4x1 "$work/pic.ppm"
c grey.jpg -quality 90 "$work/pic.pgm"
c restart.jpg -quality 90 -sample 2x2 -restart 3B "$work/pic.ppm"
c optimised.jpg -quality 100 -optimize -sample 2x2 -restart 1 "$work/pic.ppm"
c scans.jpg -quality 90 -sample 2x2 -scans "$work/three.scans" "$work/pic.ppm"
c progressive.jpg -quality 90 -progressive "$work/pic.ppm"
c arithmetic.jpg -quality 90 -arithmetic "$work/pic.ppm"
c rgb.jpg -quality 90 -rgb "$work/pic.ppm"
c q16.jpg -quality 3 -sample 2x2 "$work/pic.ppm"
# libjpeg's own reduced decodes, the reference of TestDecodeAgainstLibjpeg:
# in colour without subsampling, and the luma of the 4:2:0 file (libjpeg
# reduces subsampled chroma its own way).
for s in 2 4 8; do
	djpeg -scale 1/$s -pnm -outfile grey_$s.pgm grey.jpg
	djpeg -scale 1/$s -pnm -outfile 444_$s.ppm 444.jpg
	djpeg -scale 1/$s -grayscale -pnm -outfile optimised_$s.pgm optimised.jpg
done

package data

import (
	"math"
	"slices"
	"testing"
)

func TestAugmentApply(t *testing.T) {
	const size = 4
	src := make([]uint8, size*size*3)
	for i := range src {
		src[i] = uint8(i)
	}
	at := func(img []float32, x, y int) float32 { return img[(y*size+x)*3] }
	dst := make([]float32, len(src))
	// Identity.
	Draw{}.Apply(dst, src, size, 0)
	for i, v := range src {
		if dst[i] != float32(v) {
			t.Fatalf("identity changed pixel %d", i)
		}
	}
	// Shift right by one: output x takes input x+1; the last column
	// reflects to x=2 (no repeated edge).
	Draw{DX: 1}.Apply(dst, src, size, 0)
	if at(dst, 0, 0) != at2(src, size, 1, 0) || at(dst, 3, 0) != at2(src, size, 2, 0) {
		t.Fatalf("translation: row %v", dst[:size*3])
	}
	// Flip: output x takes input size-1-x.
	Draw{Flip: true}.Apply(dst, src, size, 0)
	if at(dst, 0, 1) != at2(src, size, 3, 1) || at(dst, 3, 1) != at2(src, size, 0, 1) {
		t.Fatal("flip")
	}
	// Cutout of 2 at (1,1): exactly four zero pixels.
	Draw{CX: 1, CY: 1}.Apply(dst, src, size, 2)
	zeros := 0
	for y := range size {
		for x := range size {
			if dst[(y*size+x)*3+1] == 0 {
				zeros++
				if x < 1 || x > 2 || y < 1 || y > 2 {
					t.Fatalf("zero outside the cutout at %d,%d", x, y)
				}
			}
		}
	}
	if zeros != 4 {
		t.Fatalf("%d zero pixels, want 4", zeros)
	}
}

func at2(src []uint8, size, x, y int) float32 { return float32(src[(y*size+x)*3]) }

func TestAugmentDrawRanges(t *testing.T) {
	a := Augment{Translate: 2, Flip: true, Cutout: 3}
	flips := 0
	for i := range 2000 {
		d := a.Draw(mixKey(1, uint64(i)), 32, false, 0)
		if d.DX < -2 || d.DX > 2 || d.DY < -2 || d.DY > 2 || d.CX < -2 || d.CX > 31 {
			t.Fatalf("draw out of range: %+v", d)
		}
		if d.Flip {
			flips++
		}
	}
	if flips < 900 || flips > 1100 {
		t.Fatalf("%d flips in 2000", flips)
	}
	alt := Augment{AltFlip: true}
	for _, base := range []bool{false, true} {
		for ep := range 4 {
			if got := alt.Draw(uint64(ep), 32, base, ep).Flip; got != (base != (ep%2 == 1)) {
				t.Fatalf("alternating flip base %v epoch %d: %v", base, ep, got)
			}
		}
	}
	if err := (Augment{Translate: 32}).Validate(32); err == nil {
		t.Fatal("translation as large as the image accepted")
	}
}

func TestSamplers(t *testing.T) {
	labels := make([]int, 60)
	for i := range labels {
		labels[i] = i % 3
	}
	pairs, err := NewPairBatches(labels, 3, 7, 10)
	if err != nil {
		t.Fatal(err)
	}
	b := pairs.Batch(5, nil)
	for c := range 3 {
		if labels[b[c]] != c || labels[b[3+c]] != c || b[c] == b[3+c] {
			t.Fatalf("pair batch %v", b)
		}
	}
	if !slices.Equal(b, pairs.Batch(5, nil)) || slices.Equal(b, pairs.Batch(6, nil)) {
		t.Fatal("pair batches are not a function of the step")
	}

	cb, err := NewClassBatches(labels, 3, 2, 4, 7, 10)
	if err != nil {
		t.Fatal(err)
	}
	for step := range 20 {
		b := cb.Batch(step, nil)
		count := map[int]int{}
		seen := map[int]bool{}
		for _, i := range b {
			count[labels[i]]++
			if seen[i] {
				t.Fatalf("image %d twice in a batch", i)
			}
			seen[i] = true
		}
		if len(b) != 8 || len(count) != 2 {
			t.Fatalf("class batch %v: %v", b, count)
		}
		for _, n := range count {
			if n != 4 {
				t.Fatalf("class batch %v: %v, want 4 of each of 2 classes", b, count)
			}
		}
	}
	if _, err := NewClassBatches(labels, 3, 2, 30, 7, 10); err == nil {
		t.Fatal("more images per class than a class has: want error")
	}

	eb, err := NewEpochBatches(60, 16, 7)
	if err != nil {
		t.Fatal(err)
	}
	if eb.StepsPerEpoch() != 3 {
		t.Fatalf("%d steps per epoch", eb.StepsPerEpoch())
	}
	for ep := range 2 {
		seen := map[int]bool{}
		for s := range 3 {
			for _, i := range eb.Batch(ep*3+s, nil) {
				if seen[i] {
					t.Fatalf("epoch %d: image %d twice", ep, i)
				}
				seen[i] = true
			}
		}
		if len(seen) != 48 {
			t.Fatalf("epoch %d: %d images", ep, len(seen))
		}
	}
}

func TestLoaderDeterministic(t *testing.T) {
	ds := &Dataset{Size: 8, Classes: []string{"a", "b"}}
	for i := range 40 {
		ds.Labels = append(ds.Labels, i%2)
		for j := range 8 * 8 * 3 {
			ds.Pixels = append(ds.Pixels, uint8(i*7+j))
		}
	}
	load := func(workers int, steps []int) [][]float32 {
		s, _ := NewEpochBatches(40, 10, 3)
		l, err := NewLoader(ds, s, Augment{Translate: 2, AltFlip: true, Cutout: 3}, 3, workers)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var out [][]float32
		for _, st := range steps {
			x, lab := make([]float32, 10*8*8*3), make([]int, 10)
			if err := l.Load(st, x, lab); err != nil {
				t.Fatal(err)
			}
			out = append(out, x)
		}
		return out
	}
	a := load(1, []int{0, 1, 2, 3})
	b := load(3, []int{0, 1, 2, 3})
	c := load(2, []int{3, 0, 1, 2}) // out of order, as after a resume
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("batch %d differs with the number of workers", i)
		}
	}
	if !slices.Equal(a[3], c[0]) || !slices.Equal(a[1], c[2]) {
		t.Fatal("a batch differs when loaded out of order")
	}
	if slices.Equal(a[0], a[1]) {
		t.Fatal("two batches are the same")
	}
}

func TestSplit(t *testing.T) {
	ds := &Dataset{Size: 1, Classes: []string{"a", "b"}}
	for i := range 100 {
		ds.Labels = append(ds.Labels, i%2)
		ds.Pixels = append(ds.Pixels, uint8(i), 0, 0)
		ds.Paths = append(ds.Paths, "p")
	}
	train, held, err := ds.Split(0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if held.Len() != 10 || train.Len() != 90 {
		t.Fatalf("split %d / %d", train.Len(), held.Len())
	}
	count := map[int]int{}
	seen := map[uint8]bool{}
	for i := range held.Len() {
		count[held.Labels[i]]++
		seen[held.Image(i)[0]] = true
	}
	for i := range train.Len() {
		if seen[train.Image(i)[0]] {
			t.Fatal("an image is in both parts")
		}
	}
	if count[0] != 5 || count[1] != 5 {
		t.Fatalf("held back per class %v, want 5 and 5", count)
	}
	again, _, _ := ds.Split(0.1, 1)
	if !slices.Equal(again.Pixels, train.Pixels) {
		t.Fatal("the split is not a function of the seed")
	}
	if _, _, err := ds.Split(1.5, 1); err == nil {
		t.Fatal("fraction 1.5: want error")
	}
}

// TestAugmentResizedCrop checks the resized crop on hand-computed cases:
// the whole-image window is the identity, and a window over a linear ramp
// samples it linearly (bilinear interpolation is exact there), clamped at
// the window's edge; and that drawn windows lie in the image with the area
// and aspect ratio asked for.
func TestAugmentResizedCrop(t *testing.T) {
	const size = 4
	src := make([]uint8, size*size*3)
	for y := range size {
		for x := range size {
			for c := range 3 {
				src[(y*size+x)*3+c] = uint8(10*x + 50*y + c)
			}
		}
	}
	dst := make([]float32, len(src))
	Draw{CW: size, CH: size}.Apply(dst, src, size, 0)
	for i, v := range src {
		if dst[i] != float32(v) {
			t.Fatalf("whole window: value %d = %v, want %d", i, dst[i], v)
		}
	}
	// The top-left quarter: output x samples input 0.5x - 0.25, at least 0.
	Draw{CW: 2, CH: 2}.Apply(dst, src, size, 0)
	for y := range size {
		for x := range size {
			fx, fy := max(0.5*float64(x)-0.25, 0), max(0.5*float64(y)-0.25, 0)
			want := float32(10*fx + 50*fy)
			if got := dst[(y*size+x)*3]; math.Abs(float64(got-want)) > 1e-4 {
				t.Fatalf("quarter window: pixel (%d, %d) = %v, want %v", x, y, got, want)
			}
		}
	}
	a := Augment{CropScale: 0.35}
	for k := range uint64(2000) {
		d := a.Draw(k, 32, false, 0)
		area := d.CW * d.CH / (32 * 32)
		ratio := d.CW / d.CH
		if d.CropX < 0 || d.CropY < 0 || d.CropX+d.CW > 32+1e-9 || d.CropY+d.CH > 32+1e-9 ||
			area < 0.35-1e-9 || area > 1+1e-9 || ratio < 0.75-1e-9 || ratio > 4.0/3+1e-9 {
			t.Fatalf("key %d: window %+v (area %.3f, ratio %.3f)", k, d, area, ratio)
		}
	}
	if err := (Augment{CropScale: 1.5}).Validate(32); err == nil {
		t.Error("crop scale 1.5 accepted")
	}
}

// TestColourAugment checks the colour distortion: the same key gives the
// same view, greyscale gives equal channels, values stay in 0..255, and
// jitter draws factors within their range about 80% of the time.
func TestColourAugment(t *testing.T) {
	const size = 8
	src := make([]uint8, size*size*3)
	for i := range src {
		src[i] = uint8(i * 7 % 256)
	}
	a := Augment{ColorJitter: 1, Grey: 0.5}
	jittered, grey := 0, 0
	for key := range uint64(400) {
		d := a.Draw(key, size, false, 0)
		if d != a.Draw(key, size, false, 0) {
			t.Fatal("the same key drew two augmentations")
		}
		if d.Bright > 0 {
			jittered++
			for _, f := range []float32{d.Bright, d.Contrast, d.Sat} {
				if f < 0.2-1e-6 || f > 1.8+1e-6 {
					t.Fatalf("jitter factor %v outside [0.2, 1.8]", f)
				}
			}
		}
		dst := make([]float32, size*size*3)
		d.Apply(dst, src, size, 0)
		for i, v := range dst {
			if v < 0 || v > 255 {
				t.Fatalf("value %d = %v", i, v)
			}
			if d.Grey && i%3 == 0 && (dst[i] != dst[i+1] || dst[i] != dst[i+2]) {
				t.Fatalf("greyscale pixel %d has channels %v", i/3, dst[i:i+3])
			}
		}
		if d.Grey {
			grey++
		}
	}
	if jittered < 280 || jittered > 360 || grey < 160 || grey > 240 {
		t.Errorf("of 400 draws %d jittered (want ~320) and %d grey (want ~200)", jittered, grey)
	}
	// Without colour settings the draws are those of before.
	plain := Augment{Translate: 2, Flip: true}
	withColour := plain
	withColour.ColorJitter = 0.5
	for key := range uint64(50) {
		p, c := plain.Draw(key, size, false, 0), withColour.Draw(key, size, false, 0)
		if p.DX != c.DX || p.DY != c.DY || p.Flip != c.Flip {
			t.Fatal("adding colour changed the geometric draws")
		}
	}
}

func TestCaptionAugment(t *testing.T) {
	const size = 32
	src := make([]uint8, size*size*3)
	for i := range src {
		src[i] = 128
	}
	a := Augment{Caption: 0.5}
	if err := (Augment{Caption: 1.5}).Validate(size); err == nil {
		t.Error("caption probability 1.5 accepted")
	}
	captioned := 0
	for key := range uint64(200) {
		d := a.Draw(key, size, false, 0)
		if d != a.Draw(key, size, false, 0) {
			t.Fatal("the same key drew two augmentations")
		}
		dst := make([]float32, size*size*3)
		d.Apply(dst, src, size, 0)
		if d.Caption.key == 0 {
			for i, v := range dst {
				if v != 128 {
					t.Fatalf("no caption drawn, yet value %d is %v", i, v)
				}
			}
			continue
		}
		captioned++
		// Only rows of the band change, some lighter (the letters), all
		// within 0..255.
		top, bottom := int(d.Caption.y), int(d.Caption.y+d.Caption.h)+1
		lighter := 0
		for i, v := range dst {
			if y := i / 3 / size; v != 128 && (y < top || y > bottom) {
				t.Fatalf("key %d: row %d outside the band [%d, %d] changed", key, y, top, bottom)
			}
			switch {
			case v < 0 || v > 255:
				t.Fatalf("value %d = %v", i, v)
			case v > 140:
				lighter++
			}
		}
		if lighter < 10 {
			t.Errorf("key %d: %d lighter values: no letters?", key, lighter)
		}
	}
	if captioned < 70 || captioned > 130 {
		t.Errorf("of 200 draws %d captioned (want ~100)", captioned)
	}
	// A caption drawn at 128 pixels covers about as much as the benchmark's
	// edit: a band across much of the width, white letters with a shadow.
	d := Augment{Caption: 1}.Draw(3, 128, false, 0)
	dst := make([]float32, 128*128*3)
	big := make([]uint8, len(dst))
	for i := range big {
		big[i] = 128
	}
	d.Apply(dst, big, 128, 0)
	minX, maxX, white, shadow := 128, 0, 0, 0
	for i, v := range dst {
		white += b2i(v > 250)
		shadow += b2i(v < 50)
		if v != 128 {
			x := i / 3 % 128
			minX, maxX = min(minX, x), max(maxX, x)
		}
	}
	if maxX-minX < 40 || white < 20 || shadow < 3 {
		t.Errorf("caption spans columns %d-%d, %d white and %d shadow values", minX, maxX, white, shadow)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

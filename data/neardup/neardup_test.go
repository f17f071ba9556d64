package neardup

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

func testImage(side int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			img.SetRGBA(x, y, color.RGBA{uint8(4 * x), uint8(4 * y), uint8(2 * (x + y)), 255})
		}
	}
	return img
}

// meanDiff is the mean absolute difference of two equal-sized images'
// colour channels.
func meanDiff(a, b image.Image) float64 {
	ra, rb := rgba(a), rgba(b)
	var s float64
	for i := range ra.Pix {
		if i%4 != 3 {
			d := float64(ra.Pix[i]) - float64(rb.Pix[i])
			s += max(d, -d)
		}
	}
	return s / float64(len(ra.Pix)*3/4)
}

// TestTransforms checks what each edit does to a 64 x 64 gradient.
func TestTransforms(t *testing.T) {
	src := testImage(64)
	for _, tr := range Transforms() {
		rng := rand.New(rand.NewPCG(1, 2))
		out, err := tr.Apply(src, rng)
		if err != nil {
			t.Fatalf("%s: %v", tr.Name, err)
		}
		b := out.Bounds()
		switch tr.Name {
		case "resize-50":
			if b.Dx() != 32 || b.Dy() != 32 {
				t.Errorf("resize: %v", b)
			}
		case "crop":
			if b.Dx() < 54 || b.Dx() > 61 || b.Dy() < 54 || b.Dy() > 61 {
				t.Errorf("crop of 5-15%%: %v", b)
			}
		case "flip":
			if out.At(0, 5) != src.At(63, 5) || out.At(63, 9) != src.At(0, 9) {
				t.Error("flip is not a mirror image")
			}
		default:
			if b.Dx() != 64 || b.Dy() != 64 {
				t.Errorf("%s: size %v", tr.Name, b)
			}
			d := meanDiff(out, src)
			if d == 0 || d > 60 {
				t.Errorf("%s: mean difference %.1f, want an edit that keeps the picture", tr.Name, d)
			}
		}
	}
	if _, err := Lookup("rotate"); err != nil {
		t.Fatal(err)
	}
	if _, err := Lookup("sepia"); err == nil {
		t.Error("unknown transform found")
	}
}

// TestSet checks the set's order, groups and labels, and that a seed gives
// the same edits.
func TestSet(t *testing.T) {
	load := func(string) (image.Image, error) { return testImage(40), nil }
	a, err := Set([]string{"o1", "o2"}, []string{"d1"}, 32, 7, load)
	if err != nil {
		t.Fatal(err)
	}
	n := len(Transforms())
	if len(a) != 2*(n+1)+1 || a[0].Group != 0 || a[0].Edit != "" || a[1].Group != 0 || a[1].Edit != Transforms()[0].Name ||
		a[n+1].Group != 1 || a[len(a)-1].Group != -1 || a[len(a)-1].Source != "d1" {
		t.Fatalf("set layout wrong: %d items", len(a))
	}
	labels := Labels(a)
	if labels[0] != 0 || labels[n+1] != 1 || labels[len(a)-1] >= 0 {
		t.Fatalf("labels %v", labels)
	}
	b, _ := Set([]string{"o1", "o2"}, []string{"d1"}, 32, 7, load)
	for i := range a {
		if meanDiff(a[i].Image, b[i].Image) != 0 {
			t.Fatalf("item %d differs under the same seed", i)
		}
	}
}

package neardup

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"

	xdraw "golang.org/x/image/draw"
)

// Item is one image of a near-duplicate set: an original, an edited copy
// of one, or a distractor.
type Item struct {
	Image image.Image
	// Group is the original the item comes from (its index among the
	// originals), -1 for a distractor.
	Group int
	// Edit is the transform's name for a copy, "" otherwise.
	Edit   string
	Source string // the file the image came from
}

// Set returns the images of a near-duplicate set: each of the originals
// followed by one copy per transform, then the distractors. Every image is
// first scaled to side x side (the centre square of a non-square one) so
// that the edits act on the same pixels whatever the source; the edits'
// strengths come from seed. load reads a source file.
func Set(originals, distractors []string, side int, seed uint64, load func(path string) (image.Image, error)) ([]Item, error) {
	rng := rand.New(rand.NewPCG(seed, 0xd0b))
	var items []Item
	for i, p := range append(append([]string(nil), originals...), distractors...) {
		src, err := load(p)
		if err != nil {
			return nil, fmt.Errorf("neardup: %w", err)
		}
		img := square(src, side)
		if i >= len(originals) {
			items = append(items, Item{Image: img, Group: -1, Source: p})
			continue
		}
		items = append(items, Item{Image: img, Group: i, Source: p})
		for _, tr := range Transforms() {
			c, err := tr.Apply(img, rng)
			if err != nil {
				return nil, err
			}
			items = append(items, Item{Image: c, Group: i, Edit: tr.Name, Source: p})
		}
	}
	return items, nil
}

// square scales the centre square of src to side x side.
func square(src image.Image, side int) *image.RGBA {
	b := src.Bounds()
	s := min(b.Dx(), b.Dy())
	c := image.Rect(b.Min.X+(b.Dx()-s)/2, b.Min.Y+(b.Dy()-s)/2, 0, 0)
	c.Max = c.Min.Add(image.Pt(s, s))
	dst := image.NewRGBA(image.Rect(0, 0, side, side))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, c, xdraw.Src, nil)
	return dst
}

// PNG returns the item's image as PNG file bytes: what the benchmark and
// calibration feed the decoder, as a user's files would be.
func (it Item) PNG() ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, it.Image); err != nil {
		return nil, fmt.Errorf("neardup: %w", err)
	}
	return buf.Bytes(), nil
}

// Labels returns a label per item for eval's pairs: the group of an
// original or a copy, a label of its own for each distractor.
func Labels(items []Item) []int {
	out := make([]int, len(items))
	for i, it := range items {
		out[i] = it.Group
		if it.Group < 0 {
			out[i] = -1 - i
		}
	}
	return out
}

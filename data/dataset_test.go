package data

import (
	"bytes"
	"image/color"
	"slices"
	"testing"
)

// tinyDataset returns a 2x2 dataset of n images, image i filled with byte
// values starting at 12*i, labelled i%classes.
func tinyDataset(n, classes int) *Dataset {
	ds := &Dataset{Size: 2}
	for c := range classes {
		ds.Classes = append(ds.Classes, string(rune('a'+c)))
	}
	for i := range n {
		ds.Labels = append(ds.Labels, i%classes)
		ds.Paths = append(ds.Paths, string(rune('p'+i)))
		for j := range 12 {
			ds.Pixels = append(ds.Pixels, uint8(12*i+j))
		}
	}
	return ds
}

func TestDataset(t *testing.T) {
	ds := tinyDataset(5, 2)
	if ds.Len() != 5 {
		t.Fatalf("Len %d, want 5", ds.Len())
	}
	if (&Dataset{}).Len() != 0 || (*Dataset)(nil).Len() != 0 {
		t.Error("empty dataset has images")
	}
	img := ds.Image(3)
	if len(img) != 12 || cap(img) != 12 || img[0] != 36 || img[11] != 47 {
		t.Errorf("Image(3) = %v (cap %d)", img, cap(img))
	}
	img[0] = 99
	if ds.Pixels[36] != 99 {
		t.Error("Image does not alias Pixels")
	}
	img = append(img, 1)
	if ds.Pixels[48] != 48 {
		t.Error("appending to Image overwrote the next image")
	}

	rgba := ds.RGBA(1)
	if rgba.Bounds().Dx() != 2 || rgba.Bounds().Dy() != 2 {
		t.Fatalf("RGBA bounds %v", rgba.Bounds())
	}
	if got, want := rgba.RGBAAt(1, 1), (color.RGBA{21, 22, 23, 255}); got != want {
		t.Errorf("RGBA(1) at (1,1) = %v, want %v", got, want)
	}

	if got := ds.ClassIndices(); !slices.Equal(got[0], []int{0, 2, 4}) || !slices.Equal(got[1], []int{1, 3}) {
		t.Errorf("ClassIndices %v", got)
	}
	ds.Labels[2] = -1
	if got := ds.ClassIndices(); !slices.Equal(got[0], []int{0, 4}) {
		t.Errorf("ClassIndices with an unlabelled image: %v", got)
	}

	sub := ds.Subset([]int{4, 1, 4})
	if sub.Len() != 3 || !slices.Equal(sub.Labels, []int{0, 1, 0}) || !slices.Equal(sub.Paths, []string{"t", "q", "t"}) {
		t.Errorf("Subset: len %d labels %v paths %v", sub.Len(), sub.Labels, sub.Paths)
	}
	if !bytes.Equal(sub.Image(1), ds.Image(1)) || !bytes.Equal(sub.Image(2), ds.Image(4)) {
		t.Error("Subset pixels differ")
	}
	sub.Pixels[0], sub.Classes[0] = 0, "changed"
	if ds.Pixels[48] == 0 || ds.Classes[0] == "changed" {
		t.Error("Subset shares memory with the dataset")
	}

	defer func() {
		if recover() == nil {
			t.Error("Image(5) did not panic")
		}
	}()
	ds.Image(5)
}

// Package data loads labelled image collections for training and searching
// (into memory, or into a memory-mapped pixel cache): image folders laid
// out as DIR/<class>/<image> (PNG, JPEG, GIF, BMP, TIFF, WebP), the
// CIFAR-10 binary batches (a directory or the official
// .tar.gz), and single query images. It also downloads CIFAR-10 with checksum
// verification and samples anchor/positive pairs for metric learning.
//
// Every image is held as Size x Size RGB bytes, interleaved in HWC order
// (row by row, pixel by pixel, R G B), the layout that the tensor package's
// NHWC batches use.
package data

import (
	"fmt"
	"image"
)

// Dataset is a set of N square RGB images with their labels, held in memory.
//
// Image i occupies Pixels[i*Size*Size*3 : (i+1)*Size*Size*3], interleaved HWC
// uint8 (R, G, B of pixel (0,0), then of (1,0), and so on, row by row).
// Labels[i] indexes Classes, or is -1 for an unlabelled image. Paths[i] names
// where image i came from: a file path for image folders, or a synthetic
// stable name such as "data_batch_1.bin#123" for a CIFAR-10 record.
type Dataset struct {
	// Classes are the class names; a label is an index into Classes.
	Classes []string
	// Labels holds one label per image, -1 when unlabelled.
	Labels []int
	// Paths holds one source name per image.
	Paths []string
	// Size is the width and height of every image, in pixels.
	Size int
	// Pixels holds all images, Size*Size*3 bytes each, back to back. It
	// may be a read-only memory-mapped file (Options.Cache).
	Pixels []uint8

	// spill, when set, is a directory where Subset keeps its copies of
	// the pixels, memory-mapped, instead of on the heap: that of the
	// pixel cache the dataset came from.
	spill string
	// resident, when set, bounds the resident memory of the mapped
	// pixels of the dataset and its subsets (Options.MaxMemory).
	resident *residency
}

// imageBytes returns the number of bytes of one image.
func (d *Dataset) imageBytes() int {
	return d.Size * d.Size * 3
}

// Len returns the number of images.
func (d *Dataset) Len() int {
	if d == nil || d.Size <= 0 {
		return 0
	}
	return len(d.Pixels) / d.imageBytes()
}

// Image returns the Size*Size*3 pixel bytes of image i, HWC RGB. The slice
// aliases Pixels (its capacity ends with the image, so appending to it cannot
// overwrite the next image). It panics if i is out of range.
func (d *Dataset) Image(i int) []uint8 {
	n := d.imageBytes()
	if i < 0 || i >= d.Len() {
		panic(fmt.Sprintf("data: image index %d out of range [0,%d)", i, d.Len()))
	}
	d.resident.touch(n)
	return d.Pixels[i*n : (i+1)*n : (i+1)*n]
}

// Images returns the pixels of images i to j-1, back to back, aliasing
// Pixels as Image does: what to read instead of Pixels itself, so that a
// memory bound is kept (Options.MaxMemory). It panics if the range is out
// of bounds.
func (d *Dataset) Images(i, j int) []uint8 {
	n := d.imageBytes()
	if i < 0 || j < i || j > d.Len() {
		panic(fmt.Sprintf("data: images [%d,%d) out of range [0,%d)", i, j, d.Len()))
	}
	d.resident.touch((j - i) * n)
	return d.Pixels[i*n : j*n : j*n]
}

// RGBA returns a copy of image i as an opaque *image.RGBA, for drawing
// collages and writing previews. It panics if i is out of range.
func (d *Dataset) RGBA(i int) *image.RGBA {
	return RGBA(d.Image(i), d.Size)
}

// RGBA converts size x size interleaved RGB pixels, as DecodeImage returns
// them, to an opaque *image.RGBA.
func RGBA(src []uint8, size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for p, q := 0, 0; p+2 < len(src) && q < len(img.Pix); p, q = p+3, q+4 {
		img.Pix[q+0] = src[p+0]
		img.Pix[q+1] = src[p+1]
		img.Pix[q+2] = src[p+2]
		img.Pix[q+3] = 0xff
	}
	return img
}

// ClassIndices returns, for each class c in Classes, the indices of the
// images labelled c in increasing order. Images whose label is outside
// [0, len(Classes)) (such as unlabelled ones) appear in no list.
func (d *Dataset) ClassIndices() [][]int {
	out := make([][]int, len(d.Classes))
	for i, l := range d.Labels {
		if l >= 0 && l < len(out) {
			out[l] = append(out[l], i)
		}
	}
	return out
}

// Subset returns a new Dataset holding the images idx, in that order (an
// index may repeat). Pixels, Labels and Paths are copied; Classes is copied
// too, so the result shares no memory with d. It panics if an index is out
// of range.
//
// A dataset loaded through a pixel cache keeps its subsets' pixels in
// memory-mapped files (unlinked temporary files beside the cache), so that
// splitting a collection larger than memory does not copy it onto the
// heap; if such a file cannot be made, the copy is on the heap.
func (d *Dataset) Subset(idx []int) *Dataset {
	n := d.imageBytes()
	out := &Dataset{
		Classes: append([]string(nil), d.Classes...),
		Labels:  make([]int, len(idx)),
		Paths:   make([]string, len(idx)),
		Size:    d.Size,
		spill:   d.spill,
	}
	if d.spill != "" {
		out.Pixels, _ = spillPixels(d.spill, len(idx)*n)
		if out.Pixels != nil && d.resident != nil {
			out.resident = d.resident
			out.resident.add(out.Pixels)
		}
	}
	if out.Pixels == nil {
		out.Pixels = make([]uint8, len(idx)*n)
	}
	for j, i := range idx {
		copy(out.Pixels[j*n:(j+1)*n], d.Image(i))
		out.resident.touch(n)
		if i < len(d.Labels) {
			out.Labels[j] = d.Labels[i]
		} else {
			out.Labels[j] = -1
		}
		if i < len(d.Paths) {
			out.Paths[j] = d.Paths[i]
		}
	}
	return out
}

// EmbedChunk is how many images Dataset.Map hands its function at a time.
const EmbedChunk = 1024

// Map runs f over the images in order, EmbedChunk at a time (pixels and
// their count), reading them through Images so that a memory bound holds,
// and returns f's results back to back: the way to embed a whole dataset,
//
//	emb := ds.Map(func(px []uint8, n int) []float32 { return m.Embed(px, n, 256) })
func (d *Dataset) Map(f func(pixels []uint8, n int) []float32) []float32 {
	var out []float32
	for i := 0; i < d.Len(); i += EmbedChunk {
		j := min(i+EmbedChunk, d.Len())
		out = append(out, f(d.Images(i, j), j-i)...)
	}
	return out
}

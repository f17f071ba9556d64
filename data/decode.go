package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"

	// Register the decoders of every supported format with package image.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/lookalike/lookalike/data/scaledjpeg"
)

// DefaultSize is the image size used when Options.Size (or the size argument
// of DecodeImage and DecodeFile) is zero or negative: CIFAR-10's 32 x 32.
const DefaultSize = 32

// DefaultMaxPixels is the largest image, in pixels (width times height), that
// is decoded when Options.MaxPixels (or the maxPixels argument of DecodeImage
// and DecodeFile) is zero or negative: 64 megapixels.
const DefaultMaxPixels = 64_000_000

// ErrTooManyPixels is returned, wrapped, for an image whose header declares
// more pixels than the limit. Such an image is refused before any pixel data
// is decoded, so a small file claiming huge dimensions (a pixel bomb) cannot
// exhaust memory.
var ErrTooManyPixels = errors.New("image has too many pixels")

// DecodeImage reads one image (PNG, JPEG, GIF, BMP, TIFF or WebP) from r and
// returns it as size x size RGB bytes, interleaved HWC, the layout of one
// Dataset image.
//
// The header is checked first: an image with more than maxPixels pixels is
// refused with an error wrapping ErrTooManyPixels without decoding it. A
// size or maxPixels of zero or less means DefaultSize or DefaultMaxPixels.
//
// An image that is not size x size keeps its aspect ratio: its centred
// square (the shorter side, all of it) is scaled to size x size by area
// averaging down to between 2 and 4 times size (a whole factor) and then
// a Catmull-Rom filter, so that every source pixel counts (no aliasing)
// and a camera photo costs one pass over its pixels. A JPEG's EXIF orientation is
// applied, so a photo taken sideways comes out upright. Greyscale,
// paletted, 16-bit, YCbCr, CMYK and YCCK images are converted to RGB. Transparency is composited onto black: a pixel with alpha a and
// colour c becomes c*a/255, and a fully transparent pixel becomes black. For
// an animated GIF, the first frame is used.
//
// r is read to its end into memory: bound it (with http.MaxBytesReader, for
// example) when it comes from an untrusted client.
func DecodeImage(r io.Reader, size, maxPixels int) ([]uint8, error) {
	buf, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	size, maxPixels = defaultSize(size), defaultMaxPixels(maxPixels)
	dst := make([]uint8, size*size*3)
	if err := decodeInto(dst, buf, size, maxPixels, nil); err != nil {
		return nil, err
	}
	return dst, nil
}

// DecodeFile is DecodeImage for the file at path, within lim: only a
// regular file (symbolic links followed) of at most lim.MaxBytes is read, so
// a FIFO, a device or a huge file is refused instead of hanging or
// exhausting memory. Errors name the file.
func DecodeFile(path string, size int, lim Limits) ([]uint8, error) {
	lim = lim.withDefaults()
	buf, err := readFile(path, nil, lim.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	size = defaultSize(size)
	dst := make([]uint8, size*size*3)
	if err := decodeInto(dst, buf, size, lim.MaxPixels, nil); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return dst, nil
}

func defaultSize(size int) int {
	if size <= 0 {
		return DefaultSize
	}
	return size
}

func defaultMaxPixels(maxPixels int) int {
	if maxPixels <= 0 {
		return DefaultMaxPixels
	}
	return maxPixels
}

// decodeInto decodes the encoded image buf into dst, which holds
// size*size*3 bytes, after checking the declared dimensions against
// maxPixels. fast, when not nil, is tried first for PNGs already at size.
func decodeInto(dst, buf []byte, size, maxPixels int, fast *pngFast) error {
	if len(buf) == 0 {
		return errors.New("empty file")
	}
	if fast != nil && size <= maxPixels/size && fast.decode(dst, buf, size) {
		return nil
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(buf))
	if errors.Is(err, image.ErrFormat) {
		return fmt.Errorf("not a supported image (PNG, JPEG, GIF, BMP, TIFF, WebP): %w", err)
	}
	if err != nil {
		return fmt.Errorf("read image header: %w", err)
	}
	if err := checkDimensions(cfg.Width, cfg.Height, maxPixels); err != nil {
		return fmt.Errorf("%s: %w", format, err)
	}
	img, crop := decodeReduced(buf, format, cfg, size)
	if img == nil {
		if img, _, err = image.Decode(bytes.NewReader(buf)); err != nil {
			return fmt.Errorf("decode %s: %w", format, err)
		}
		crop = centreSquare(img.Bounds())
	}
	if b := img.Bounds(); b.Empty() {
		return fmt.Errorf("decode %s: empty image %dx%d", format, b.Dx(), b.Dy())
	}
	cropToRGB(dst, img, crop, size)
	if format == "jpeg" {
		if o := jpegOrientation(buf); o != 1 {
			src := append([]uint8(nil), dst...)
			orientRGB(dst, src, size, o)
		}
	}
	return nil
}

// decodeReduced decodes a JPEG whose shorter side is at least twice size
// straight to 1/2, 1/4 or 1/8 of its dimensions (the largest that keeps the
// shorter side at size or more), in the DCT domain, as Pillow's draft mode
// does: most of a camera photo's decoding work is never done. It returns
// nil for other images and for JPEGs package scaledjpeg does not decode
// (progressive, CMYK, damaged...), which image/jpeg then decodes in full
// and reports on. The crop is the full image's centre square in the reduced
// image's pixels, to the nearest pixel (the reduced sides are rounded up).
func decodeReduced(buf []byte, format string, cfg image.Config, size int) (image.Image, image.Rectangle) {
	if format != "jpeg" {
		return nil, image.Rectangle{}
	}
	s := scaledjpeg.Scale(cfg.Width, cfg.Height, size)
	if s == 1 {
		return nil, image.Rectangle{}
	}
	img, err := scaledjpeg.Decode(buf, s)
	if err != nil {
		return nil, image.Rectangle{}
	}
	full := centreSquare(image.Rect(0, 0, cfg.Width, cfg.Height))
	scaled := func(v int) int { return (2*v + s) / (2 * s) } // v/s rounded
	x0, y0 := scaled(full.Min.X), scaled(full.Min.Y)
	side := min(scaled(full.Dx()), img.Bounds().Dx()-x0, img.Bounds().Dy()-y0)
	return img, image.Rect(x0, y0, x0+side, y0+side)
}

// checkDimensions refuses empty images and those over maxPixels pixels,
// without overflowing on absurd dimensions.
func checkDimensions(w, h, maxPixels int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("invalid image dimensions %dx%d", w, h)
	}
	if w > maxPixels/h {
		return fmt.Errorf("dimensions %dx%d exceed the limit of %d pixels: %w",
			w, h, maxPixels, ErrTooManyPixels)
	}
	return nil
}

// toRGB writes img, resized to size x size when needed and composited onto
// black, into dst as interleaved RGB.
func toRGB(dst []uint8, img image.Image, size int) {
	cropToRGB(dst, img, centreSquare(img.Bounds()), size)
}

// cropToRGB writes the square crop of img, resized to size x size when
// needed and composited onto black, into dst as interleaved RGB.
func cropToRGB(dst []uint8, img image.Image, crop image.Rectangle, size int) {
	b := img.Bounds()
	if b == crop && b.Dx() == size && b.Dy() == size {
		switch m := img.(type) {
		case *image.RGBA:
			// Premultiplied: the colour channels already are the
			// colour composited onto black.
			for y := range size {
				row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
				out := dst[y*size*3 : (y+1)*size*3]
				for x, q := 0, 0; q < len(out); x, q = x+4, q+3 {
					out[q+0] = row[x+0]
					out[q+1] = row[x+1]
					out[q+2] = row[x+2]
				}
			}
			return
		case *image.NRGBA:
			for y := range size {
				row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
				out := dst[y*size*3 : (y+1)*size*3]
				for x, q := 0, 0; q < len(out); x, q = x+4, q+3 {
					a := uint32(row[x+3])
					if a == 0xff {
						out[q+0] = row[x+0]
						out[q+1] = row[x+1]
						out[q+2] = row[x+2]
						continue
					}
					out[q+0] = premultiply(row[x+0], a)
					out[q+1] = premultiply(row[x+1], a)
					out[q+2] = premultiply(row[x+2], a)
				}
			}
			return
		case *image.Gray:
			for y := range size {
				row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
				out := dst[y*size*3 : (y+1)*size*3]
				for x, q := 0, 0; q < len(out); x, q = x+1, q+3 {
					out[q+0] = row[x]
					out[q+1] = row[x]
					out[q+2] = row[x]
				}
			}
			return
		}
	}
	if crop.Dx() == size && crop.Dy() == size {
		rgba := image.NewRGBA(image.Rect(0, 0, size, size))
		draw.Draw(rgba, rgba.Bounds(), img, crop.Min, draw.Src)
		toRGB(dst, rgba, size)
		return
	}
	src, ok := img.(*image.RGBA)
	if small := shrink(img, crop, size); small != nil {
		src, crop = small, small.Bounds()
	} else if !ok {
		src = image.NewRGBA(b)
		draw.Draw(src, b, img, b.Min, draw.Src)
	}
	resampleRGBA(dst, src, crop, size)
}

// centreSquare returns the largest square centred in b.
func centreSquare(b image.Rectangle) image.Rectangle {
	side := min(b.Dx(), b.Dy())
	x0 := b.Min.X + (b.Dx()-side)/2
	y0 := b.Min.Y + (b.Dy()-side)/2
	return image.Rect(x0, y0, x0+side, y0+side)
}

// premultiply returns the 8-bit colour channel c with alpha a composited
// onto black, rounding as image/draw does when it draws an *image.NRGBA onto
// an *image.RGBA.
func premultiply(c uint8, a uint32) uint8 {
	return uint8(uint32(c) * a * 0x101 / 0xff >> 8)
}

// resizeRGB resizes the src x src RGB image in from to dstSize x dstSize,
// writing it into to.
func resizeRGB(to []uint8, from []uint8, srcSize, dstSize int) {
	img := image.NewRGBA(image.Rect(0, 0, srcSize, srcSize))
	for p, q := 0, 0; p < len(from); p, q = p+3, q+4 {
		img.Pix[q+0] = from[p+0]
		img.Pix[q+1] = from[p+1]
		img.Pix[q+2] = from[p+2]
		img.Pix[q+3] = 0xff
	}
	toRGB(to, img, dstSize)
}

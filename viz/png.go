package viz

import (
	"bufio"
	"fmt"
	"image"
	"image/png"

	"github.com/lookalike/lookalike/internal/atomicfile"
)

// WritePNG encodes img as PNG to path atomically: it writes a temporary
// file in the same directory, syncs it to disk and renames it over path, so
// readers see either the old file or the complete new one. On error the
// temporary file is removed and any existing file at path is left as it was.
func WritePNG(path string, img image.Image) error {
	if img == nil {
		return fmt.Errorf("viz: write %s: nil image", path)
	}
	if err := atomicfile.Write(path, func(w *bufio.Writer) error { return png.Encode(w, img) }); err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	return nil
}

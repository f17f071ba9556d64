package data

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/lookalike/lookalike/internal/nonblock"
)

// DefaultMaxFileBytes is the largest image file that is read when
// Options.MaxBytes (or Limits.MaxBytes) is zero or negative: 64 MiB.
const DefaultMaxFileBytes = 64 << 20

// Errors of image file reads; test for them with errors.Is.
var (
	// ErrFileTooLarge reports an image file over the byte limit, whether
	// its size said so or it grew past the limit while being read.
	ErrFileTooLarge = errors.New("file too large")
	// ErrNotRegular reports a path that is not a regular file once
	// symbolic links are followed: a directory, FIFO, device or socket.
	ErrNotRegular = errors.New("not a regular file")
)

// Limits bound what reading and decoding one image file may cost.
type Limits struct {
	// MaxPixels is the largest image (width times height) decoded; larger
	// ones are refused from their header. 0 means DefaultMaxPixels.
	MaxPixels int
	// MaxBytes is the largest file read; larger ones are refused before
	// reading. 0 means DefaultMaxFileBytes.
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	l.MaxPixels = defaultMaxPixels(l.MaxPixels)
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxFileBytes
	}
	return l
}

// CheckRegular returns an error wrapping ErrNotRegular unless fi, the
// information of a file with symbolic links followed, is a regular file.
func CheckRegular(fi fs.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	kind := "special file"
	switch t := fi.Mode().Type(); {
	case t&fs.ModeDir != 0:
		kind = "directory"
	case t&fs.ModeNamedPipe != 0:
		kind = "FIFO"
	case t&fs.ModeSocket != 0:
		kind = "socket"
	case t&fs.ModeCharDevice != 0:
		kind = "character device"
	case t&fs.ModeDevice != 0:
		kind = "block device"
	}
	return fmt.Errorf("%w (a %s)", ErrNotRegular, kind)
}

// StatFile returns the information of the file at path, following
// symbolic links, and fails unless it is a regular file: the error says
// whether a link leads nowhere, loops, or leads to a directory, FIFO or
// device (wrapping ErrNotRegular). The file is not opened.
func StatFile(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("broken symbolic link to %q (no such file): %w", target, err)
			}
			return nil, fmt.Errorf("symbolic link to %q cannot be followed: %w", target, err)
		}
		return nil, err
	}
	if err := CheckRegular(fi); err != nil {
		return nil, err
	}
	return fi, nil
}

// readFile reads the image file at path into buf, reusing buf's memory when
// it is large enough. Only regular files are read: the file is opened
// without blocking (a FIFO cannot hang the caller) and checked before any
// byte is read. A file over maxBytes is refused from its size, and at most
// maxBytes+1 bytes are ever read, in case the size lies (a growing file).
func readFile(path string, buf []byte, maxBytes int64) ([]byte, error) {
	f, err := nonblock.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return buf, err
	}
	if err := CheckRegular(fi); err != nil {
		return buf, err
	}
	if fi.Size() > maxBytes {
		return buf, fmt.Errorf("%w: %d bytes, the limit is %d", ErrFileTooLarge, fi.Size(), maxBytes)
	}
	size := int(fi.Size())
	if cap(buf) < size+1 {
		buf = make([]byte, 0, size+512)
	}
	buf = buf[:0]
	r := io.LimitReader(f, maxBytes+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if int64(len(buf)) > maxBytes {
			return buf, fmt.Errorf("%w: grew past the limit of %d bytes while being read", ErrFileTooLarge, maxBytes)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

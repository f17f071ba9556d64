package data

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/lookalike/lookalike/internal/atomicfile"
)

// CIFAR10URL is where the official CIFAR-10 binary archive is downloaded from.
const CIFAR10URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"

// CIFAR10MD5 is the MD5 sum, in hex, of the archive at CIFAR10URL.
const CIFAR10MD5 = "c32a1d4ab5d03f1284b67883e8d87530"

// cifar10Archive is the file name FetchCIFAR10 stores the archive under.
const cifar10Archive = "cifar-10-binary.tar.gz"

// Download fetches url into the file dest, creating dest's directory if
// needed. checksum is the expected hex digest of the file: MD5 when it has 32
// digits, SHA-256 when it has 64; an empty checksum verifies nothing.
//
// When dest already exists and matches checksum (or checksum is empty),
// nothing is downloaded. Otherwise the body is written to a temporary file in
// dest's directory, verified, synced to disk and renamed to dest, so dest is
// never left partly written. On a checksum mismatch the temporary file is
// removed and the error gives both sums. A response status other than 200 OK
// is an error.
//
// progress, when set, is called as bytes arrive with the bytes received and
// the total size (-1 when the server does not say).
func Download(ctx context.Context, url, dest, checksum string, progress func(done, total int64)) error {
	newHash, err := checksumHash(checksum)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	if _, err := os.Stat(dest); err == nil {
		if newHash == nil {
			return nil
		}
		if sum, err := fileSum(dest, newHash()); err == nil && strings.EqualFold(sum, checksum) {
			return nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("download %s: %w", url, err)
	}

	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: server answered %s", url, resp.Status)
	}

	err = atomicfile.Write(dest, func(bw *bufio.Writer) error {
		var w io.Writer = bw
		var h hash.Hash
		if newHash != nil {
			h = newHash()
			w = io.MultiWriter(bw, h)
		}
		if progress != nil {
			w = &progressWriter{w: w, total: resp.ContentLength, progress: progress}
		}
		if _, err := io.Copy(w, resp.Body); err != nil {
			return err
		}
		if h != nil {
			if sum := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(sum, checksum) {
				return fmt.Errorf("checksum mismatch: got %s, want %s", sum, strings.ToLower(checksum))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	return nil
}

// checksumHash returns the hash constructor for a hex checksum, chosen by
// its length, or nil for an empty checksum.
func checksumHash(checksum string) (func() hash.Hash, error) {
	if checksum == "" {
		return nil, nil
	}
	var newHash func() hash.Hash
	switch len(checksum) {
	case 2 * md5.Size:
		newHash = md5.New
	case 2 * sha256.Size:
		newHash = sha256.New
	default:
		return nil, fmt.Errorf("checksum %q has %d hex digits, want 32 (MD5) or 64 (SHA-256)", checksum, len(checksum))
	}
	if _, err := hex.DecodeString(checksum); err != nil {
		return nil, fmt.Errorf("checksum %q is not hexadecimal", checksum)
	}
	return newHash, nil
}

// fileSum returns the hex digest h of the file at path.
func fileSum(path string, h hash.Hash) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// progressWriter passes writes to w and reports the running byte count.
type progressWriter struct {
	w        io.Writer
	done     int64
	total    int64
	progress func(done, total int64)
}

// Write writes p to the underlying writer and reports progress.
func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	p.progress(p.done, p.total)
	return n, err
}

// FetchCIFAR10 makes sure the CIFAR-10 binary archive is in cacheDir,
// downloading it with Download when it is missing or does not match
// checksum, and returns its path, which LoadCIFAR10 and Open accept.
// An empty cacheDir means DefaultCacheDir(), an empty url CIFAR10URL and an
// empty checksum CIFAR10MD5.
func FetchCIFAR10(ctx context.Context, cacheDir, url, checksum string, progress func(done, total int64)) (string, error) {
	if cacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return "", err
		}
		cacheDir = dir
	}
	if url == "" {
		url = CIFAR10URL
	}
	if checksum == "" {
		checksum = CIFAR10MD5
	}
	dest := filepath.Join(cacheDir, cifar10Archive)
	if err := Download(ctx, url, dest, checksum, progress); err != nil {
		return "", fmt.Errorf("fetch CIFAR-10: %w", err)
	}
	return dest, nil
}

// DefaultCacheDir returns the directory lookalike caches downloads in: the
// "lookalike" folder of the user's cache directory (os.UserCacheDir).
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find cache directory: %w", err)
	}
	return filepath.Join(dir, "lookalike"), nil
}

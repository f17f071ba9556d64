package data

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// archiveServer serves body at /cifar.tar.gz (and 500 at /broken), counting
// the requests.
func archiveServer(t *testing.T, body []byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/cifar.tar.gz" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// dirNames returns the names of the entries of dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDownload(t *testing.T) {
	body := cifarArchive(t, 2)
	md5sum := md5.Sum(body)
	sha := sha256.Sum256(body)
	srv, requests := archiveServer(t, body)
	url := srv.URL + "/cifar.tar.gz"
	ctx := context.Background()

	for _, sum := range []string{hex.EncodeToString(md5sum[:]), strings.ToUpper(hex.EncodeToString(sha[:])), ""} {
		dir := t.TempDir()
		dest := filepath.Join(dir, "sub", "c.tar.gz")
		requests.Store(0)
		var last, total int64
		err := Download(ctx, url, dest, sum, func(done, tot int64) { last, total = done, tot })
		if err != nil {
			t.Fatalf("checksum %q: %v", sum, err)
		}
		got, err := os.ReadFile(dest)
		if err != nil || string(got) != string(body) {
			t.Fatalf("checksum %q: downloaded file differs (%v)", sum, err)
		}
		if last != int64(len(body)) || total != int64(len(body)) {
			t.Errorf("last progress %d/%d, want %d/%d", last, total, len(body), len(body))
		}
		if names := dirNames(t, filepath.Dir(dest)); len(names) != 1 {
			t.Errorf("files left beside dest: %v", names)
		}
		// Present and matching: no second request.
		if err := Download(ctx, url, dest, sum, nil); err != nil {
			t.Fatal(err)
		}
		if n := requests.Load(); n != 1 {
			t.Errorf("checksum %q: %d requests, want 1", sum, n)
		}
	}
}

func TestDownloadReplacesMismatchingFile(t *testing.T) {
	body := []byte("the real content")
	sum := md5.Sum(body)
	srv, requests := archiveServer(t, body)
	dest := writeFile(t, t.TempDir(), "c.tar.gz", []byte("stale partial content"))
	if err := Download(context.Background(), srv.URL+"/cifar.tar.gz", dest, hex.EncodeToString(sum[:]), nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); string(got) != string(body) {
		t.Errorf("dest holds %q, want %q", got, body)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests, want 1", requests.Load())
	}
}

func TestDownloadErrors(t *testing.T) {
	body := []byte("archive bytes")
	srv, _ := archiveServer(t, body)
	ctx := context.Background()

	t.Run("checksum mismatch", func(t *testing.T) {
		dir := t.TempDir()
		dest := filepath.Join(dir, "c.tar.gz")
		want := strings.Repeat("0", 32)
		got := md5.Sum(body)
		err := Download(ctx, srv.URL+"/cifar.tar.gz", dest, want, nil)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), hex.EncodeToString(got[:])) {
			t.Fatalf("error %v does not give both sums", err)
		}
		if names := dirNames(t, dir); len(names) != 0 {
			t.Errorf("files left behind: %v", names)
		}
	})
	t.Run("server error", func(t *testing.T) {
		dir := t.TempDir()
		err := Download(ctx, srv.URL+"/broken", filepath.Join(dir, "c.tar.gz"), "", nil)
		if err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("error %v does not give the status", err)
		}
		if names := dirNames(t, dir); len(names) != 0 {
			t.Errorf("files left behind: %v", names)
		}
	})
	t.Run("bad checksum", func(t *testing.T) {
		for _, sum := range []string{"abc", strings.Repeat("z", 32)} {
			if err := Download(ctx, srv.URL+"/cifar.tar.gz", filepath.Join(t.TempDir(), "c"), sum, nil); err == nil {
				t.Errorf("checksum %q: no error", sum)
			}
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := Download(ctx, srv.URL+"/cifar.tar.gz", filepath.Join(t.TempDir(), "c"), "", nil); err == nil {
			t.Error("no error")
		}
	})
}

func TestFetchCIFAR10(t *testing.T) {
	body := cifarArchive(t, 2)
	sum := md5.Sum(body)
	srv, requests := archiveServer(t, body)
	cache := t.TempDir()
	path, err := FetchCIFAR10(context.Background(), cache, srv.URL+"/cifar.tar.gz", hex.EncodeToString(sum[:]), nil)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(cache, "cifar-10-binary.tar.gz") {
		t.Errorf("path %s", path)
	}
	ds, err := LoadCIFAR10(path, "test")
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, ds, "test", 2)

	// Cached: no new request.
	if _, err := FetchCIFAR10(context.Background(), cache, srv.URL+"/cifar.tar.gz", hex.EncodeToString(sum[:]), nil); err != nil {
		t.Fatal(err)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests, want 1", requests.Load())
	}
	// An empty checksum means the official one, which this archive fails.
	if _, err := FetchCIFAR10(context.Background(), t.TempDir(), srv.URL+"/cifar.tar.gz", "", nil); err == nil ||
		!strings.Contains(err.Error(), CIFAR10MD5) {
		t.Errorf("default checksum: error %v does not mention %s", err, CIFAR10MD5)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg-cache-test")
	t.Setenv("HOME", "/tmp/home-test")
	dir, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != "lookalike" {
		t.Errorf("DefaultCacheDir() = %s, want .../lookalike", dir)
	}
}

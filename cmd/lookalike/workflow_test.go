//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// buildBinary builds the lookalike command as the README says, with cgo
// off, and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		goTool = p
	}
	bin := filepath.Join(t.TempDir(), "lookalike")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinaryIsStatic checks that the binary built as the README says
// needs no dynamic loader or shared library (the net package's cgo
// resolver would bring in libc).
func TestBinaryIsStatic(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks an ELF binary")
	}
	f, err := elf.Open(buildBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("the binary has a %v program header: it is linked dynamically", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary needs shared libraries %v", libs)
	}
}

// cli runs the built binary, in the folder that holds it, and returns its standard output, failing the
// test on an error or after a minute.
func cli(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	out, err := cliErr(t, bin, env, args...)
	if err != nil {
		t.Fatalf("lookalike %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func cliErr(t *testing.T, bin string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = filepath.Dir(bin) // a folder of the test's own
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// TestReadmeWorkflow runs the README's workflow with the built binary:
// index a folder, serve it with the index alone, add an image, stop the
// server, index the folder again. Every file must be exactly one entry.
func TestReadmeWorkflow(t *testing.T) {
	bin := buildBinary(t)
	root, model := trainedModel(t)
	photos := filepath.Join(t.TempDir(), "photos")
	if err := os.CopyFS(photos, os.DirFS(filepath.Join(root, "test"))); err != nil {
		t.Fatal(err)
	}
	idx := filepath.Join(t.TempDir(), "photos.idx")
	indexArgs := []string{"index", "--model", model, "--images", photos, "--out", idx}
	if out := cli(t, bin, nil, indexArgs...); !strings.Contains(out, "12 added") {
		t.Fatalf("index printed %q", out)
	}

	// Serve with the index alone: it knows its model and images.
	const token = "0123456789abcdef0123456789abcdef"
	srv := exec.Command(bin, "serve", "--index", idx, "--addr", "127.0.0.1:0")
	srv.Env = append(os.Environ(), "LOOKALIKE_TOKEN="+token)
	stderr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	addr := waitFor(t, stderr, regexp.MustCompile(`listening addr=(http://\S+)`), 30*time.Second)
	go io.Copy(io.Discard, stderr)

	img, _ := os.ReadFile(filepath.Join(photos, "red", "1.png"))
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("label", "crimson")
	fw, _ := mw.CreateFormFile("image", "new.png")
	fw.Write(img)
	mw.Close()
	req, _ := http.NewRequest("POST", addr+"/api/images", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var added struct {
		ID   uint64
		Path string
	}
	json.NewDecoder(res.Body).Decode(&added)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || !strings.HasPrefix(added.Path, "uploads/") {
		t.Fatalf("add: status %d, %+v", res.StatusCode, added)
	}

	// SIGTERM stops the server promptly and cleanly.
	start := time.Now()
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("serve took %v to stop", d)
	}

	// The same index command again: the upload is known.
	out := cli(t, bin, nil, indexArgs...)
	if !strings.Contains(out, "13 images found, 0 added, 13 unchanged") || !strings.Contains(out, "13 in the index") {
		t.Fatalf("index after serving printed %q", out)
	}
	// And with the index alone.
	if out := cli(t, bin, nil, "index", "--out", idx); !strings.Contains(out, "0 added, 13 unchanged") {
		t.Fatalf("index --out alone printed %q", out)
	}
	checkOneEntryPerFile(t, model, idx, photos, 13)

	// search and dupes with --index alone.
	out = cli(t, bin, nil, "search", "--index", idx, "--image", filepath.Join(photos, "red", "1.png"), "-k", "2", "--json")
	var sr struct {
		Results []struct{ Path, File string }
	}
	if err := json.Unmarshal([]byte(out), &sr); err != nil || len(sr.Results) != 2 {
		t.Fatalf("search --index alone: %v %s", err, out)
	}
	for _, r := range sr.Results {
		if filepath.IsAbs(r.Path) || r.File != filepath.Join(photos, filepath.FromSlash(r.Path)) {
			t.Fatalf("search result %+v", r)
		}
	}
	if fileExists(filepath.Join(filepath.Dir(bin), "search.png")) {
		t.Fatal("search wrote search.png unasked")
	}
	if out := cli(t, bin, nil, "dupes", "--index", idx, "--threshold", "0.0001"); !strings.Contains(out, "uploads/") {
		t.Fatalf("dupes --index alone did not group the upload with its original: %q", out)
	}

	// The model moved: the error says which model, where it was, and the flag.
	os.Rename(model, model+"-moved")
	out, err = cliErr(t, bin, nil, "search", "--index", idx, "--image", filepath.Join(photos, "red", "1.png"))
	if err == nil || !strings.Contains(out, model) || !strings.Contains(out, "--model") || !strings.Contains(out, "fingerprint") {
		t.Fatalf("search with the model gone: %v %q", err, out)
	}
	if out := cli(t, bin, nil, "search", "--index", idx, "--model", model+"-moved", "--image", filepath.Join(photos, "red", "1.png")); !strings.Contains(out, "1.png") {
		t.Fatalf("search --model: %q", out)
	}
}

// waitFor reads lines from r until one matches re, and returns its first
// group.
func waitFor(t *testing.T, r io.Reader, re *regexp.Regexp, d time.Duration) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				return
			}
		}
		close(found)
	}()
	select {
	case s, ok := <-found:
		if !ok {
			t.Fatalf("output ended before %v", re)
		}
		return s
	case <-time.After(d):
		t.Fatalf("no %v within %v", re, d)
	}
	return ""
}

// checkOneEntryPerFile opens the index and checks that it holds exactly
// one entry per image file under photos, keyed by the relative path.
func checkOneEntryPerFile(t *testing.T, model, idx, photos string, want int) {
	t.Helper()
	_, info, err := nn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(idx, index.Options{Meta: index.Meta{Model: info.Fingerprint}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	seen := map[string]bool{}
	for e := range ix.All() {
		if filepath.IsAbs(e.Path) || seen[e.Path] {
			t.Fatalf("entry %d: path %q (absolute or seen twice)", e.ID, e.Path)
		}
		seen[e.Path] = true
		if _, err := os.Stat(filepath.Join(photos, e.Path)); err != nil {
			t.Fatalf("entry %d: %v", e.ID, err)
		}
	}
	if len(seen) != want {
		t.Fatalf("%d entries, want %d", len(seen), want)
	}
}

// TestIndexBadFilesAndSignals checks with the built binary that a FIFO,
// a link to /dev/zero and broken links neither hang nor exhaust "lookalike
// index", and that SIGTERM stops it promptly, keeping what it reported.
func TestIndexBadFilesAndSignals(t *testing.T) {
	bin := buildBinary(t)
	_, model := trainedModel(t)
	photos := noiseFolder(t, 1500)
	cat := filepath.Join(photos, "cat")
	os.MkdirAll(cat, 0o755)
	if err := syscall.Mkfifo(filepath.Join(cat, "fifo.png"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/dev/zero", filepath.Join(cat, "zero.png"))
	os.Symlink(filepath.Join(cat, "loop.png"), filepath.Join(cat, "loop.png"))
	os.Symlink(filepath.Join(cat, "gone.png"), filepath.Join(cat, "dangling.png"))
	idx := filepath.Join(t.TempDir(), "idx")

	// Without --skip-bad: an error naming a bad file, at once.
	out, err := cliErr(t, bin, nil, "index", "--model", model, "--images", photos, "--out", idx)
	if err == nil || !regexp.MustCompile(`cat/(dangling|fifo|loop|zero)\.png`).MatchString(out) {
		t.Fatalf("index with bad files: %v %q", err, out)
	}

	// With --skip-bad, interrupted by SIGTERM after the first batches.
	cmd := exec.Command(bin, "index", "--model", model, "--images", photos, "--out", idx,
		"--skip-bad", "--batch", "20", "--workers", "1", "--log-level", "debug")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var warned []string
	committed := regexp.MustCompile(`batch committed"? done=(\d+)`)
	sc := bufio.NewScanner(stderr)
	acked := ""
	for sc.Scan() {
		if strings.Contains(sc.Text(), "skipping") {
			warned = append(warned, sc.Text())
		}
		if m := committed.FindStringSubmatch(sc.Text()); m != nil {
			acked = m[1]
			break
		}
	}
	if len(warned) != 4 {
		t.Fatalf("warnings for the 4 bad files: %q", warned)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	go io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitTerminated {
		t.Fatalf("index after SIGTERM: %v, want exit status %d", err, exitTerminated)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("index took %v to stop after SIGTERM", d)
	}
	var n int
	fmt.Sscan(acked, &n)
	_, info, _ := nn.Load(model)
	ix, err := index.Open(idx, index.Options{Meta: index.Meta{Model: info.Fingerprint}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() < n {
		t.Fatalf("%d entries after SIGTERM, %d reported committed", ix.Len(), n)
	}
	ix.Close()
	out = cli(t, bin, nil, "index", "--out", idx, "--skip-bad")
	if !strings.Contains(out, "4 skipped") || !strings.Contains(out, "1500 in the index") {
		t.Fatalf("rerun printed %q", out)
	}
}

package server

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/lookalike/lookalike/eval"
	"github.com/lookalike/lookalike/nn"
)

// sceneLabels are the classes of sceneImage.
var sceneLabels = []string{"sun", "house", "waves", "tree"}

// sceneImage draws a CIFAR-style 32x32 picture of class: a sky or ground
// gradient with a sun, a house, waves or a tree at a random place.
func sceneImage(t testing.TB, class, seed int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(class)+100, uint64(seed)))
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	jit := func(c uint8, d int) uint8 { return uint8(max(0, min(255, int(c)+rng.IntN(2*d+1)-d))) }
	top := color.RGBA{jit(90, 40), jit(150, 40), jit(220, 30), 255}
	bottom := color.RGBA{jit(200, 40), jit(220, 30), jit(240, 15), 255}
	if class == 2 {
		top, bottom = color.RGBA{jit(150, 30), jit(200, 30), jit(240, 15), 255}, color.RGBA{jit(20, 15), jit(80, 30), jit(160, 40), 255}
	}
	mix := func(a, b uint8, f float64) uint8 { return uint8(float64(a)*(1-f) + float64(b)*f) }
	for y := range 32 {
		f := float64(y) / 31
		for x := range 32 {
			img.SetRGBA(x, y, color.RGBA{mix(top.R, bottom.R, f), mix(top.G, bottom.G, f), mix(top.B, bottom.B, f), 255})
		}
	}
	fill := func(in func(x, y int) bool, c color.RGBA) {
		for y := range 32 {
			for x := range 32 {
				if in(x, y) {
					img.SetRGBA(x, y, color.RGBA{jit(c.R, 12), jit(c.G, 12), jit(c.B, 12), 255})
				}
			}
		}
	}
	cx, cy := 8+rng.IntN(16), 8+rng.IntN(12)
	switch class {
	case 0: // sun
		r := 5 + rng.IntN(5)
		fill(func(x, y int) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }, color.RGBA{250, 200, 40, 255})
	case 1: // house
		w := 8 + rng.IntN(6)
		wall := color.RGBA{jit(200, 50), jit(120, 50), jit(80, 40), 255}
		fill(func(x, y int) bool { return y >= 26 }, color.RGBA{70, 140, 60, 255})
		fill(func(x, y int) bool { return abs(x-cx) <= w/2 && y >= cy && y < 27 }, wall)
		fill(func(x, y int) bool { return y < cy && y >= cy-w/2-1 && abs(x-cx) <= y-(cy-w/2-1) }, color.RGBA{150, 40, 40, 255})
		fill(func(x, y int) bool { return abs(x-cx) <= 1 && y >= 22 && y < 27 }, color.RGBA{60, 40, 30, 255})
	case 2: // waves
		ph, amp := rng.Float64()*6, 1.5+rng.Float64()*2
		fill(func(x, y int) bool {
			return y > 12 && math.Mod(float64(y)+amp*math.Sin(float64(x)/3+ph), 5) < 1.6
		}, color.RGBA{235, 245, 255, 255})
	case 3: // tree
		fill(func(x, y int) bool { return y >= 27 }, color.RGBA{90, 160, 70, 255})
		fill(func(x, y int) bool { return abs(x-cx) <= 1 && y >= 20 && y < 28 }, color.RGBA{100, 60, 30, 255})
		h := 10 + rng.IntN(5)
		fill(func(x, y int) bool { return y < 21 && y >= 21-h && abs(x-cx) <= (y-(21-h))/2+1 }, color.RGBA{30, 120, 50, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func abs(x int) int { return max(x, -x) }

// chromium returns the path of a Chromium or Chrome binary, or "".
func chromium() string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactDir is where the browser test saves its screenshots:
// $LOOKALIKE_ARTIFACTS when set, else a temporary directory.
func artifactDir(t *testing.T) string {
	if dir := os.Getenv("LOOKALIKE_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

func TestBrowser(t *testing.T) { browserTest(t, false) }

// TestBrowserOnWeaviate runs the same page against a server whose
// collection is in a Weaviate class of the cluster $LOOKALIKE_WEAVIATE
// (which .ci/run starts): the page works unchanged.
func TestBrowserOnWeaviate(t *testing.T) {
	if os.Getenv("LOOKALIKE_WEAVIATE") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("LOOKALIKE_WEAVIATE is not set: .ci/run starts a cluster for this test")
		}
		t.Skip("no Weaviate cluster: set LOOKALIKE_WEAVIATE=weaviate://127.0.0.1:8081")
	}
	browserTest(t, true)
}

// browserTest drives the web page in Chromium against a server over the
// embedded index or, onWeaviate, a Weaviate class with the same entries.
func browserTest(t *testing.T, onWeaviate bool) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium found (apt-get install chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	d := newDirsWith(t, 48, func(i int) (string, []byte) {
		return sceneLabels[i%len(sceneLabels)], sceneImage(t, i%len(sceneLabels), i)
	})
	cfg := d.config(t)
	if onWeaviate {
		cfg = d.weaviateConfig(t)
	}
	ts := start(t, cfg)
	query := filepath.Join(t.TempDir(), "query.png")
	if err := os.WriteFile(query, sceneImage(t, 0, 1000), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t, bin)

	// JavaScript errors fail the test.
	exceptions := chromedp.Events(ctx, cdpruntime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			t.Errorf("JavaScript exception: %s", ev.ExceptionDetails.Text)
		}
	}()

	const k = 10
	resultsReady := `document.querySelectorAll('#grid button.result').length === ` + "10" +
		` && document.getElementById('results').getAttribute('aria-busy') === 'false'` +
		` && Array.from(document.querySelectorAll('#grid img')).every(i => i.complete && i.naturalWidth > 0)`
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("load the page", chromedp.Do(ctx,
		chromedp.Navigate(ts.url+"/"),
		chromedp.WaitVisible(chromedp.ID("drop")),
		voidPoll(`document.getElementById('stats').textContent.startsWith('48 images')`),
	))
	must("upload the query", chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{query}),
		voidPoll(resultsReady),
	))
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#grid .label')).map(e => e.textContent)`))
	must("read the labels", err)
	if len(labels) != k {
		t.Fatalf("%d results, want %d", len(labels), k)
	}
	t.Logf("results for a sun: %v", labels)
	caption, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("query-caption")))
	must("read the caption", err)
	if caption != "Your image: query.png" {
		t.Errorf("caption %q", caption)
	}

	// "More like this": click the second result.
	clicked, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#grid li:nth-child(2) button').dataset.id`))
	must("read the id", err)
	must("click a result", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#grid li:nth-child(2) button")),
		voidPoll(`document.getElementById('query-caption').textContent.startsWith('More like image #`+clicked+`')`),
		voidPoll(resultsReady),
		voidPoll(`document.getElementById('query-img').complete && document.getElementById('query-img').naturalWidth > 0`),
	))
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#grid button')).map(b => b.dataset.id)`))
	must("read the ids", err)
	for _, id := range ids {
		if id == clicked {
			t.Errorf("clicked image %s among its own results %v", id, ids)
		}
	}
	alts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#grid img')).map(i => i.alt)`))
	must("read the alt texts", err)
	for _, alt := range alts {
		if alt == "" {
			t.Errorf("result image without alt text")
		}
	}
	dir := artifactDir(t)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must("screenshot", err)
	saveArtifact(t, dir, "browser-desktop.png", shot)

	// Keyboard: Enter on a focused result runs "more like this" and keeps
	// the focus in the grid; Enter on the drop zone opens the file picker.
	next, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#grid li:nth-child(3) button').dataset.id`))
	must("read the id", err)
	must("keyboard search", chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS("#grid li:nth-child(3) button")),
		chromedp.KeyEvent(kb.Enter),
		voidPoll(`document.getElementById('query-caption').textContent.startsWith('More like image #`+next+`')`),
		voidPoll(resultsReady),
		voidPoll(`document.activeElement && document.activeElement.classList.contains('result')`),
	))
	_, err = chromedp.Run(ctx, chromedp.WaitEvent(page.FileChooserOpened, nil, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: true}); err != nil {
			return err
		}
		return chromedp.Do(ctx, chromedp.Focus(chromedp.ID("drop")), chromedp.KeyEvent(kb.Enter))
	})))
	must("open the file picker with Enter", err)

	// An error state: a file that is not an image.
	bad := filepath.Join(t.TempDir(), "notes.png")
	os.WriteFile(bad, []byte("just some text"), 0o644)
	must("upload a non-image", chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: false})
			return err
		}),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{bad}),
		voidPoll(`!document.getElementById('error').hidden && document.getElementById('error').textContent.includes('Not an image')`),
		voidPoll(`document.querySelectorAll('#grid button').length === 0 && document.getElementById('query-img').hidden`),
	))
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must("error screenshot", err)
	saveArtifact(t, dir, "browser-error.png", shot)

	// A phone-sized screen.
	must("phone layout", chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{query}),
		voidPoll(resultsReady),
	))
	cols, err := chromedp.Run(ctx, chromedp.Evaluate[int](`getComputedStyle(document.getElementById('grid')).gridTemplateColumns.split(' ').length`))
	must("read the grid", err)
	if cols < 2 || cols > 3 {
		t.Errorf("%d grid columns on a phone, want 2 or 3", cols)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	must("read the width", err)
	if overflow {
		t.Error("the page scrolls sideways on a phone")
	}
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must("phone screenshot", err)
	saveArtifact(t, dir, "browser-phone.png", shot)
}

// newBrowser starts a headless Chromium for the test and returns its tab's
// context, which ends with the test or after 90 s.
func newBrowser(t *testing.T, bin string) context.Context {
	t.Helper()
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// voidPoll waits until the JavaScript expression is truthy.
func voidPoll(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second))
}

// saveArtifact writes a test artifact and logs where.
func saveArtifact(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

func TestBrowserToken(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium found (apt-get install chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	d := newDirsWith(t, 8, func(i int) (string, []byte) {
		return sceneLabels[i%len(sceneLabels)], sceneImage(t, i%len(sceneLabels), i)
	})
	cfg := d.config(t)
	cfg.Token, cfg.TokenForSearch = testToken, true
	ts := start(t, cfg)
	query := filepath.Join(t.TempDir(), "query.png")
	if err := os.WriteFile(query, sceneImage(t, 3, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, bin)
	// The page asks for the token, then searches with it; thumbnails,
	// which need it too, are fetched with it.
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('stats').textContent + ' | ' + document.getElementById('error').textContent + ' | ' + document.getElementById('query-caption').textContent + ' | ' + document.querySelectorAll('#grid img').length`))
			t.Fatalf("%s: %v (page: %s)", what, err, state)
		}
	}
	must("enter the token", chromedp.Do(ctx,
		chromedp.Navigate(ts.url+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testToken),
		chromedp.KeyEvent(kb.Enter), // submits the form as a user does
		voidPoll(`document.getElementById('stats').textContent.startsWith('8 images') && document.getElementById('token-form').hidden`),
	))
	must("search", chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{query}),
		voidPoll(`document.querySelectorAll('#grid button.result').length === 8`+
			` && Array.from(document.querySelectorAll('#grid img')).every(i => i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:'))`),
	))
	must("more like this", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#grid li:nth-child(1) button")),
		voidPoll(`document.getElementById('query-caption').textContent.startsWith('More like image #')`+
			` && document.getElementById('query-img').complete && document.getElementById('query-img').naturalWidth > 0`),
	))
}

// TestBrowserMatches drives the page of a calibrated model: matches and
// near misses appear under their own headings.
func TestBrowserMatches(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium found (apt-get install chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	d := newDirsWith(t, 24, func(i int) (string, []byte) {
		return sceneLabels[i%len(sceneLabels)], sceneImage(t, i%len(sceneLabels), i)
	})
	q := sceneImage(t, 0, 1000)
	ts := start(t, d.config(t))
	plain := ts.searchResults(q, 10)
	ts.stop()
	// Three matches: the threshold between the third and fourth scores.
	th := (float64(plain.Results[2].Score) + float64(plain.Results[3].Score)) / 2
	_, info, err := nn.Load(d.model)
	if err != nil {
		t.Fatal(err)
	}
	if err := eval.WriteThresholds(d.model, &eval.Thresholds{Model: info.Fingerprint, Points: []eval.OperatingPoint{
		{Name: "precision=0.99", Rates: eval.Rates{Threshold: th, Precision: 0.99, Recall: 0.4}}}}); err != nil {
		t.Fatal(err)
	}
	ts = start(t, d.config(t))
	query := filepath.Join(t.TempDir(), "query.png")
	if err := os.WriteFile(query, q, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, bin)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.url+"/"),
		chromedp.WaitVisible(chromedp.ID("drop")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{query}),
		voidPoll(`document.querySelectorAll('#grid button.result').length === 10 && document.getElementById('results').getAttribute('aria-busy') === 'false'`),
	); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[
		String(document.querySelectorAll('#grid .is-match').length),
		String(document.querySelectorAll('#grid .is-miss').length),
		...Array.from(document.querySelectorAll('#grid .divider')).map(e => e.textContent)]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != "3" || got[1] != "7" || !strings.HasPrefix(got[2], "3 matches (similarity ≥") ||
		!strings.Contains(got[2], "precision=0.99") || !strings.HasPrefix(got[3], "Near misses") {
		t.Fatalf("matches, misses and headings: %q", got)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveArtifact(t, artifactDir(t), "browser-matches.png", shot)
}

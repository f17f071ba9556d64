package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lookalike/lookalike/nn"
)

// errOverloaded and errShuttingDown are returned by slots.acquire.
var (
	errOverloaded   = errors.New("no embedding slot free")
	errShuttingDown = errors.New("server shutting down")
)

// slots bounds the concurrent embeddings: each slot is a clone of the
// model (a model is not safe for concurrent use), taken for the decoding,
// embedding and searching of one request.
type slots struct {
	models chan *nn.Model
	done   chan struct{} // closed when the server starts shutting down
	once   sync.Once
}

func newSlots(m *nn.Model, n int) (*slots, error) {
	s := &slots{models: make(chan *nn.Model, n), done: make(chan struct{})}
	s.models <- m
	for range n - 1 {
		c, err := m.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone model: %w", err)
		}
		s.models <- c
	}
	return s, nil
}

// acquire takes a slot, waiting up to wait for one. It fails with
// errOverloaded when none came free in time, errShuttingDown when the
// server started shutting down while waiting, or ctx's error.
func (s *slots) acquire(ctx context.Context, wait time.Duration) (*nn.Model, error) {
	select {
	case m := <-s.models:
		return m, nil
	default:
	}
	select {
	case <-s.done:
		return nil, errShuttingDown
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case m := <-s.models:
		return m, nil
	case <-t.C:
		return nil, errOverloaded
	case <-s.done:
		return nil, errShuttingDown
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release returns a slot taken by acquire.
func (s *slots) release(m *nn.Model) { s.models <- m }

// inUse returns the number of slots taken.
func (s *slots) inUse() int { return cap(s.models) - len(s.models) }

// drain wakes the requests waiting for a slot with errShuttingDown.
func (s *slots) drain() { s.once.Do(func() { close(s.done) }) }

// withSlot runs fn with a model slot, translating a failure to get one into
// 429 (Retry-After: 1) or 503.
func (s *Server) withSlot(ctx context.Context, fn func(m *nn.Model) error) error {
	m, err := s.slots.acquire(ctx, s.cfg.QueueWait)
	switch {
	case errors.Is(err, errOverloaded):
		s.metrics.rejected.WithLabelValues("busy").Inc()
		return &httpError{status: http.StatusTooManyRequests, retryAfter: 1, err: err,
			msg: fmt.Sprintf("server busy: all %d embedding slots are taken; retry shortly", s.cfg.MaxConcurrent)}
	case errors.Is(err, errShuttingDown):
		s.metrics.rejected.WithLabelValues("shutdown").Inc()
		return &httpError{status: http.StatusServiceUnavailable, retryAfter: 5, err: err, msg: "server shutting down"}
	case err != nil:
		return err
	}
	defer s.slots.release(m)
	return fn(m)
}

// enterPending counts a request that reads an upload or waits for a slot,
// refusing it with 429 when Config.MaxPending are already in progress. It
// bounds the memory held by uploads being read. Call the returned function
// when done.
func (s *Server) enterPending() (func(), error) {
	if n := s.pending.Add(1); n > int64(s.cfg.MaxPending) {
		s.pending.Add(-1)
		s.metrics.rejected.WithLabelValues("pending").Inc()
		return nil, &httpError{status: http.StatusTooManyRequests, retryAfter: 1,
			msg: fmt.Sprintf("server busy: %d requests already in progress; retry shortly", s.cfg.MaxPending)}
	}
	return func() { s.pending.Add(-1) }, nil
}

// upload is an image sent with a request, with the form fields that came
// with it.
type upload struct {
	data   []byte
	format string // "png", "jpeg", "gif", "bmp", "webp" or "tiff"
	width  int
	height int
	fields map[string]string // "k", "label"
}

// field returns the form field name, or else the URL query parameter.
func (u *upload) field(r *http.Request, name string) string {
	if v, ok := u.fields[name]; ok {
		return v
	}
	return r.URL.Query().Get(name)
}

// Limits on the form fields that come with an upload.
const (
	maxFieldBytes   = 1 << 10
	maxLabelRunes   = 200
	multipartSlack  = 64 << 10 // boundaries and part headers around the image
	maxFormFields   = 16
	sniffLen        = 512
	uploadFieldName = "image"
)

// supportedTypes maps the sniffed media types accepted as images to their
// format names (also the file extensions of saved uploads).
var supportedTypes = map[string]string{
	"image/png":  "png",
	"image/jpeg": "jpeg",
	"image/gif":  "gif",
	"image/bmp":  "bmp",
	"image/webp": "webp",
	"image/tiff": "tiff",
}

// sniffType returns the media type of content that starts with head, as
// http.DetectContentType does, and also knows TIFF (which it does not).
func sniffType(head []byte) string {
	if len(head) >= 4 && (string(head[:4]) == "II*\x00" || string(head[:4]) == "MM\x00*") {
		return "image/tiff"
	}
	t, _, _ := strings.Cut(http.DetectContentType(head), ";")
	return t
}

// readUpload reads the image of a request: the multipart/form-data field
// "image" (with the other small fields), or the whole body when its
// Content-Type is image/*. The body is bounded by Config.MaxUpload (413
// beyond it); the content must be an image of a supported format (400 for
// something else, 415 for an unsupported image format) whose header is
// whole and declares at most Config.MaxPixels pixels (413). Pixels are not
// decoded here.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (*upload, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		mt = ""
	}
	limit := s.cfg.MaxUpload
	if mt == "multipart/form-data" {
		limit += multipartSlack
	}
	if r.ContentLength > limit {
		return nil, &httpError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("upload too large: %s, the limit is %s", formatBytes(r.ContentLength), formatBytes(s.cfg.MaxUpload))}
	}
	r.Body = http.MaxBytesReader(rawWriter(r.Context(), w), r.Body, limit)
	u := &upload{fields: map[string]string{}}
	switch {
	case mt == "multipart/form-data":
		if err := s.readMultipart(r, u); err != nil {
			return nil, err
		}
	case strings.HasPrefix(mt, "image/"):
		if u.data, err = io.ReadAll(r.Body); err != nil {
			return nil, s.readError(err)
		}
	default:
		return nil, errorf(http.StatusUnsupportedMediaType,
			"unsupported Content-Type %q: send the image as the multipart/form-data field %q, or as the request body with Content-Type image/png, image/jpeg, ...", ct, uploadFieldName)
	}
	if len(u.data) == 0 {
		return nil, errorf(http.StatusBadRequest, "empty image: send the image as the multipart/form-data field %q, or as the request body with Content-Type image/*", uploadFieldName)
	}
	if err := s.checkImage(u); err != nil {
		return nil, err
	}
	return u, nil
}

// readMultipart reads the parts of a multipart/form-data body into u.
func (s *Server) readMultipart(r *http.Request, u *upload) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return wrapError(http.StatusBadRequest, err, "bad multipart/form-data body: "+err.Error())
	}
	seen := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return s.readError(err)
		}
		if seen++; seen > maxFormFields {
			return errorf(http.StatusBadRequest, "too many form fields (at most %d)", maxFormFields)
		}
		name := p.FormName()
		switch {
		case name == uploadFieldName:
			if u.data != nil {
				return errorf(http.StatusBadRequest, "more than one %q field: send one image per request", uploadFieldName)
			}
			if u.data, err = io.ReadAll(io.LimitReader(p, s.cfg.MaxUpload+1)); err != nil {
				return s.readError(err)
			}
			if int64(len(u.data)) > s.cfg.MaxUpload {
				return errorf(http.StatusRequestEntityTooLarge, "upload too large: the limit is %s", formatBytes(s.cfg.MaxUpload))
			}
			if u.data == nil {
				u.data = []byte{}
			}
		case p.FileName() == "" && name != "":
			b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return s.readError(err)
			}
			if len(b) > maxFieldBytes {
				return errorf(http.StatusBadRequest, "form field %q longer than %d bytes", name, maxFieldBytes)
			}
			u.fields[name] = string(b)
		default:
			if _, err := io.Copy(io.Discard, p); err != nil {
				return s.readError(err)
			}
		}
	}
	if u.data == nil {
		return errorf(http.StatusBadRequest, "no image: the multipart/form-data body has no %q field", uploadFieldName)
	}
	return nil
}

// readError classifies an error reading a request body.
func (s *Server) readError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return wrapError(http.StatusRequestEntityTooLarge, err, fmt.Sprintf("upload too large: the limit is %s", formatBytes(s.cfg.MaxUpload)))
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return wrapError(http.StatusBadRequest, err, "reading the request body failed: "+err.Error())
}

// checkImage sniffs the upload's type and reads its header: the format
// must be supported, the header whole and the pixel count within bounds.
func (s *Server) checkImage(u *upload) error {
	sniffed := sniffType(u.data[:min(len(u.data), sniffLen)])
	format, ok := supportedTypes[sniffed]
	switch {
	case ok:
	case strings.HasPrefix(sniffed, "image/"):
		return errorf(http.StatusUnsupportedMediaType, "unsupported image type %s: send PNG, JPEG, GIF, BMP, TIFF or WebP", sniffed)
	default:
		return errorf(http.StatusBadRequest, "not an image (the content looks like %s): send PNG, JPEG, GIF, BMP, TIFF or WebP", sniffed)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(u.data))
	if err != nil {
		return wrapError(http.StatusBadRequest, err, fmt.Sprintf("truncated or corrupt %s image: %v", strings.ToUpper(format), err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return errorf(http.StatusBadRequest, "invalid %s image: dimensions %dx%d", strings.ToUpper(format), cfg.Width, cfg.Height)
	}
	if cfg.Width > s.cfg.MaxPixels/cfg.Height {
		return errorf(http.StatusRequestEntityTooLarge, "image too large: %dx%d pixels, the limit is %d pixels", cfg.Width, cfg.Height, s.cfg.MaxPixels)
	}
	u.format, u.width, u.height = format, cfg.Width, cfg.Height
	return nil
}

// parseK reads the number of results wanted: the form field or query
// parameter "k", DefaultK when absent, 1 to MaxK.
func parseK(v string) (int, error) {
	if v == "" {
		return DefaultK, nil
	}
	k, err := strconv.Atoi(v)
	if err != nil || k < 1 || k > MaxK {
		return 0, errorf(http.StatusBadRequest, "k must be a whole number from 1 to %d, got %q", MaxK, v)
	}
	return k, nil
}

// parseLabel checks an image label: at most maxLabelRunes characters of
// UTF-8 text without control characters; surrounding space is trimmed.
func parseLabel(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		return "", errorf(http.StatusBadRequest, "label is not valid UTF-8")
	}
	if utf8.RuneCountInString(v) > maxLabelRunes {
		return "", errorf(http.StatusBadRequest, "label longer than %d characters", maxLabelRunes)
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return "", errorf(http.StatusBadRequest, "label holds control characters")
	}
	return v, nil
}

// parseID parses an image id from the URL: a decimal number from 1 up.
// Anything else (signs, spaces, dots, slashes, "../etc/passwd") is refused
// with 400 before it can reach a file name.
func parseID(v string) (uint64, error) {
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil || id == 0 || strconv.FormatUint(id, 10) != v {
		return 0, errorf(http.StatusBadRequest, "invalid image id %q: ids are positive whole numbers", truncate(v, 64))
	}
	return id, nil
}

// truncate shortens s to at most n bytes for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

type ctxKey int

const rawWriterKey ctxKey = iota

// rawWriter returns the ResponseWriter the http.Server gave the request,
// under the middleware's wrappers, so that http.MaxBytesReader can tell
// the server to close the connection instead of reading the rest of an
// oversized body.
func rawWriter(ctx context.Context, w http.ResponseWriter) http.ResponseWriter {
	if raw, ok := ctx.Value(rawWriterKey).(http.ResponseWriter); ok {
		return raw
	}
	return w
}

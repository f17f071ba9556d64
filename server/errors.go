package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/index"
)

// httpError is an error with the HTTP status and the message the client
// gets. Err, when set, is the cause, logged but not sent.
type httpError struct {
	status     int
	msg        string
	err        error
	retryAfter int // seconds, for 429 and 503; 0 sends no Retry-After
}

func (e *httpError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%d %s: %v", e.status, e.msg, e.err)
	}
	return fmt.Sprintf("%d %s", e.status, e.msg)
}

func (e *httpError) Unwrap() error { return e.err }

// errorf returns an httpError with a formatted message.
func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// wrapError returns an httpError with a message and a logged cause.
func wrapError(status int, err error, msg string) *httpError {
	return &httpError{status: status, msg: msg, err: err}
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// toHTTPError maps an error from a handler to the response the client
// gets. Errors that are not httpErrors and none of the known causes are
// internal errors: the client learns only that, the log the details.
func toHTTPError(err error) *httpError {
	var he *httpError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &mb):
		return wrapError(http.StatusRequestEntityTooLarge, err, fmt.Sprintf("upload too large: the limit is %s", formatBytes(mb.Limit)))
	case errors.Is(err, data.ErrTooManyPixels):
		return wrapError(http.StatusRequestEntityTooLarge, err, "image too large: "+err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return wrapError(http.StatusServiceUnavailable, err, "request timed out")
	case errors.Is(err, context.Canceled):
		return wrapError(499, err, "request cancelled by the client")
	case errors.Is(err, index.ErrClosed), errors.Is(err, errShuttingDown):
		return &httpError{status: http.StatusServiceUnavailable, msg: "server shutting down", err: err, retryAfter: 5}
	}
	return wrapError(http.StatusInternalServerError, err, "internal server error (details are in the server log)")
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal server error: encoding the response failed"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError writes the JSON error response for e.
func writeError(w http.ResponseWriter, e *httpError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lookalike"`)
	}
	status := e.status
	if status == 499 { // the client has gone; nobody reads this
		status = http.StatusBadRequest
	}
	writeJSON(w, status, errorBody{Error: e.msg})
}

// jsonErrors turns the plain-text errors written by code other than ours
// (the mux's 404 and 405, http.ServeContent's 416, ...) into JSON errors.
// It recognises them by their text/plain Content-Type and drops their body.
type jsonErrors struct {
	http.ResponseWriter
	r        *http.Request
	replaced bool
	wrote    bool
}

func (j *jsonErrors) WriteHeader(code int) {
	if j.wrote {
		return
	}
	j.wrote = true
	h := j.Header()
	if code >= 400 && strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		j.replaced = true
		h.Del("Content-Length")
		writeJSON(j.ResponseWriter, code, errorBody{Error: j.message(code)})
		return
	}
	j.ResponseWriter.WriteHeader(code)
}

func (j *jsonErrors) Write(b []byte) (int, error) {
	if !j.wrote {
		j.WriteHeader(http.StatusOK)
	}
	if j.replaced {
		return len(b), nil
	}
	return j.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (j *jsonErrors) Unwrap() http.ResponseWriter { return j.ResponseWriter }

// message is the JSON error message replacing a plain-text error.
func (j *jsonErrors) message(code int) string {
	switch code {
	case http.StatusNotFound:
		return fmt.Sprintf("not found: %s %s", j.r.Method, j.r.URL.Path)
	case http.StatusMethodNotAllowed:
		return fmt.Sprintf("method %s not allowed on %s (allowed: %s)", j.r.Method, j.r.URL.Path, j.Header().Get("Allow"))
	}
	return strings.ToLower(http.StatusText(code))
}

// formatBytes formats a byte count for messages: "10 MB", "512 KB".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%d MB", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%d kB", n/1000)
	}
	return fmt.Sprintf("%d bytes", n)
}

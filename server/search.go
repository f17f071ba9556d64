package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/nn"
)

// Result is one search hit as the API returns it.
type Result struct {
	ID       uint64  `json:"id"`
	Path     string  `json:"path"`
	Label    string  `json:"label"`
	Score    float32 `json:"score"`
	ImageURL string  `json:"image_url"`
	ThumbURL string  `json:"thumb_url"`
	// Match says whether the score reaches the match threshold; absent
	// when the model has no calibration.
	Match *bool `json:"match,omitempty"`
}

// SearchResponse is the body of a successful search: the hits, best first
// (highest cosine similarity), and the time the server took.
type SearchResponse struct {
	Results []Result `json:"results"`
	TookMS  float64  `json:"took_ms"`
	// Query is the indexed image searched with, for by-id searches.
	Query *Image `json:"query,omitempty"`
	// Match is the threshold the results' match fields come from.
	Match *Match `json:"match,omitempty"`
}

// imageURL and thumbURL are the API addresses of an image and its
// thumbnail.
func imageURL(id uint64) string { return "/api/images/" + strconv.FormatUint(id, 10) }
func thumbURL(id uint64) string { return imageURL(id) + "/thumb" }

// search handles POST /api/search: the k entries most similar to an
// uploaded image.
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	if _, err := parseK(r.URL.Query().Get("k")); err != nil {
		return err
	}
	done, err := s.enterPending()
	if err != nil {
		return err
	}
	defer done()
	u, err := s.readUpload(w, r)
	if err != nil {
		return err
	}
	k, err := parseK(u.field(r, "k"))
	if err != nil {
		return err
	}
	var hits []collection.Hit
	err = s.withSlot(r.Context(), func(m *nn.Model) error {
		pixels, err := s.decode(u)
		if err != nil {
			return err
		}
		if err := r.Context().Err(); err != nil {
			return err
		}
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		hits, err = collection.Search(m, s.ix, pixels, k, 0)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SearchResponse{Results: s.results(hits), TookMS: millis(time.Since(start)), Match: s.match})
	return nil
}

// searchByID handles POST /api/search/by-id/{id}: the k entries most
// similar to an indexed image, the image itself left out.
func (s *Server) searchByID(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	k, err := parseK(r.URL.Query().Get("k"))
	if err != nil {
		return err
	}
	if r.URL.Query().Get("k") == "" {
		// k may come as a form field of a url-encoded body.
		r.Body = http.MaxBytesReader(rawWriter(r.Context(), w), r.Body, maxFieldBytes)
		if err := r.ParseForm(); err == nil && r.PostForm.Get("k") != "" {
			if k, err = parseK(r.PostForm.Get("k")); err != nil {
				return err
			}
		}
	}
	e, ok := s.ix.Get(id)
	if !ok {
		return errorf(http.StatusNotFound, "no image with id %d", id)
	}
	var hits []collection.Hit
	err = s.withSlot(r.Context(), func(*nn.Model) error {
		hits, err = collection.Similar(s.ix, id, k, 0)
		return err
	})
	if errors.Is(err, collection.ErrNotFound) {
		return errorf(http.StatusNotFound, "no image with id %d", id)
	}
	if err != nil {
		return err
	}
	q := s.imageOf(e)
	writeJSON(w, http.StatusOK, SearchResponse{Results: s.results(hits), TookMS: millis(time.Since(start)), Query: &q, Match: s.match})
	return nil
}

// decode decodes the upload to the model's input size.
func (s *Server) decode(u *upload) ([]uint8, error) {
	pixels, err := data.DecodeImage(bytes.NewReader(u.data), s.decodeSize(), s.cfg.MaxPixels)
	if errors.Is(err, data.ErrTooManyPixels) {
		return nil, wrapError(http.StatusRequestEntityTooLarge, err, "image too large: "+err.Error())
	}
	if err != nil {
		return nil, wrapError(http.StatusBadRequest, err, fmt.Sprintf("truncated or corrupt %s image: %v", u.format, err))
	}
	return pixels, nil
}

// embed decodes the upload to the model's input size and embeds it.
func (s *Server) embed(m *nn.Model, u *upload) ([]float32, error) {
	pixels, err := s.decode(u)
	if err != nil {
		return nil, err
	}
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()
	return collection.EmbedImage(m, pixels)
}

// results turns a collection's hits into API results.
func (s *Server) results(hits []collection.Hit) []Result {
	out := make([]Result, 0, len(hits))
	for _, h := range hits {
		r := Result{
			ID: h.ID, Path: s.publicPath(h.Path), Label: h.Label, Score: h.Score,
			ImageURL: imageURL(h.ID), ThumbURL: thumbURL(h.ID),
		}
		if s.match != nil {
			m := float64(h.Score) >= s.match.Threshold
			r.Match = &m
		}
		out = append(out, r)
	}
	return out
}

// millis returns d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

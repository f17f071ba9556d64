package collection

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lookalike/lookalike/index"
)

// Weaviate is a Store on a Weaviate class (a cluster's sharded, replicated
// collection), spoken to over its REST and GraphQL API. Each entry is an
// object whose UUID derives from the entry's key (a version-5 UUID of the
// path, so re-indexing is idempotent and never duplicates), with the
// vector and the properties path, label, fingerprint and lid (the entry's
// ID). The class is created when missing, with vectorizer none, the
// model's metric, the configured shards and replication factor and
// asynchronous replication (so a node that comes back catches up); its
// description records the model's fingerprint, and another model is
// refused, as the embedded index does.
//
// Reads and writes go with a consistency level (QUORUM by default); a
// batch's failures are reported object by object, and transient errors
// (connection errors, HTTP 5xx and 429) retried with exponential backoff.
// IDs are given out from the largest stored one, so one process adds to a
// class at a time (index --shard gives each process its own ID range).
type Weaviate struct {
	base        string // http://host:port
	class       string
	meta        index.Meta
	consistency string
	client      *http.Client
	retries     int
	next        uint64 // the next ID to give out
	limit       uint64 // IDs stay below it, 0 for no limit
	// gqlLevel is the consistencyLevel argument of GraphQL queries: only a
	// replicated class's schema has it.
	gqlLevel string
}

// WeaviateOptions configures OpenWeaviate.
type WeaviateOptions struct {
	// Shards and Replicas configure a class that OpenWeaviate creates
	// (defaults 1 and 1); an existing class keeps its own.
	Shards, Replicas int
	// Consistency is the level of reads and writes: ONE, QUORUM
	// (default) or ALL.
	Consistency string
	// Timeout bounds one request (default 30 s); Retries is how many
	// times a transient failure is retried (default 5).
	Timeout time.Duration
	Retries int
	// IDBase and IDLimit, when IDLimit is set, confine the IDs this
	// store gives out to [IDBase, IDLimit): index --shard I/N gives shard
	// I the range [I<<40, (I+1)<<40), so that shards filling one class at
	// once never give out the same ID.
	IDBase, IDLimit uint64
}

// weaviateKeyNamespace is the UUID namespace of entry keys.
var weaviateKeyNamespace = [16]byte{0x6c, 0x6f, 0x6f, 0x6b, 0x61, 0x6c, 0x69, 0x6b, 0x65, 0x2d, 0x6b, 0x65, 0x79, 0x73, 0x00, 0x01}

// KeyUUID returns the version-5 UUID (SHA-1, RFC 4122) of an entry key in
// lookalike's namespace: the Weaviate object ID of the entry.
func KeyUUID(key string) string {
	h := sha1.New()
	h.Write(weaviateKeyNamespace[:])
	h.Write([]byte(key))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// ParseWeaviateURL splits weaviate://HOST:PORT/CLASS into the HTTP base URL
// and the class name (capitalised, as Weaviate requires).
func ParseWeaviateURL(s string) (base, class string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "weaviate" || u.Host == "" {
		return "", "", fmt.Errorf("store %q: want weaviate://HOST:PORT/CLASS", s)
	}
	class = strings.Trim(u.Path, "/")
	if class == "" || strings.ContainsAny(class, "/ ") {
		return "", "", fmt.Errorf("store %q: no class name after the host", s)
	}
	class = strings.ToUpper(class[:1]) + class[1:]
	return "http://" + u.Host, class, nil
}

// weaviateDescription is what a class's description records.
type weaviateDescription struct {
	Lookalike string `json:"lookalike"` // "collection"
	Model     string `json:"model"`
	Dim       int    `json:"dim"`
	Metric    string `json:"metric"`
}

// OpenWeaviate opens (creating it when missing) the class of the store URL
// weaviate://HOST:PORT/CLASS for embeddings described by meta.
func OpenWeaviate(ctx context.Context, storeURL string, meta index.Meta, opt WeaviateOptions) (*Weaviate, error) {
	base, class, err := ParseWeaviateURL(storeURL)
	if err != nil {
		return nil, err
	}
	if opt.Consistency == "" {
		opt.Consistency = "QUORUM"
	}
	switch opt.Consistency {
	case "ONE", "QUORUM", "ALL":
	default:
		return nil, fmt.Errorf("consistency level %q: want ONE, QUORUM or ALL", opt.Consistency)
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.Retries <= 0 {
		opt.Retries = 5
	}
	w := &Weaviate{base: base, class: class, meta: meta, consistency: opt.Consistency,
		client: &http.Client{Timeout: opt.Timeout}, retries: opt.Retries}
	var schema struct {
		Description       string `json:"description"`
		ReplicationConfig struct {
			Factor int `json:"factor"`
		} `json:"replicationConfig"`
	}
	status, err := w.do(ctx, http.MethodGet, "/v1/schema/"+class, nil, &schema)
	switch {
	case err != nil && status != http.StatusNotFound:
		return nil, fmt.Errorf("open %s: %w", w.Location(), err)
	case status == http.StatusNotFound:
		if err := w.create(ctx, opt); err != nil {
			return nil, fmt.Errorf("open %s: %w", w.Location(), err)
		}
		schema.ReplicationConfig.Factor = max(opt.Replicas, 1)
	default:
		var d weaviateDescription
		if json.Unmarshal([]byte(schema.Description), &d) != nil || d.Lookalike != "collection" {
			return nil, fmt.Errorf("open %s: the class exists but is not a lookalike collection", w.Location())
		}
		if d.Model != meta.Model || d.Dim != meta.Dim || d.Metric != meta.Metric.String() {
			return nil, fmt.Errorf("open %s: the class holds embeddings of model %.12s (dim %d, %s), not of this one (%.12s, dim %d, %s): use another class or the other model",
				w.Location(), d.Model, d.Dim, d.Metric, meta.Model, meta.Dim, meta.Metric)
		}
	}
	if schema.ReplicationConfig.Factor > 1 {
		w.gqlLevel = ",consistencyLevel:" + w.consistency
	}
	if opt.IDLimit != 0 && opt.IDLimit <= opt.IDBase {
		return nil, fmt.Errorf("open %s: ID range [%d, %d) is empty", w.Location(), opt.IDBase, opt.IDLimit)
	}
	w.limit = opt.IDLimit
	top, err := w.maxID(ctx, opt.IDBase, opt.IDLimit)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", w.Location(), err)
	}
	w.next = max(top+1, opt.IDBase, 1)
	return w, nil
}

// weaviateDistance is the class's vector index distance for a metric.
func weaviateDistance(m index.Metric) (string, error) {
	switch m {
	case index.Cosine:
		return "cosine", nil
	case index.Dot:
		return "dot", nil
	case index.L2:
		return "l2-squared", nil
	}
	return "", fmt.Errorf("metric %v has no Weaviate distance", m)
}

// create makes the class.
func (w *Weaviate) create(ctx context.Context, opt WeaviateOptions) error {
	dist, err := weaviateDistance(w.meta.Metric)
	if err != nil {
		return err
	}
	desc, _ := json.Marshal(weaviateDescription{Lookalike: "collection", Model: w.meta.Model, Dim: w.meta.Dim, Metric: w.meta.Metric.String()})
	text := func(name string) map[string]any {
		return map[string]any{"name": name, "dataType": []string{"text"}, "tokenization": "field"}
	}
	class := map[string]any{
		"class":             w.class,
		"description":       string(desc),
		"vectorizer":        "none",
		"vectorIndexConfig": map[string]any{"distance": dist},
		"shardingConfig":    map[string]any{"desiredCount": max(opt.Shards, 1)},
		"replicationConfig": map[string]any{"factor": max(opt.Replicas, 1), "asyncEnabled": true},
		"properties": []any{
			text("path"), text("label"), text("fingerprint"),
			map[string]any{"name": "lid", "dataType": []string{"int"}},
		},
	}
	if _, err := w.do(ctx, http.MethodPost, "/v1/schema", class, nil); err != nil {
		return fmt.Errorf("create class: %w", err)
	}
	return nil
}

// Location returns weaviate://HOST:PORT/CLASS.
func (w *Weaviate) Location() string {
	return "weaviate://" + strings.TrimPrefix(w.base, "http://") + "/" + w.class
}

// Meta returns the embeddings' description.
func (w *Weaviate) Meta() index.Meta { return w.meta }

// transient reports whether a request that failed with an HTTP status (0
// for none: a connection error) may succeed if repeated.
func transient(status int) bool {
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}

// do sends one request (body JSON-encoded unless nil), retrying transient
// failures with backoff, and decodes a JSON answer into out (when not
// nil). It returns the last HTTP status (0 when none came).
func (w *Weaviate) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	delay := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		status, err := w.once(ctx, method, path, payload, out)
		if err == nil || !transient(status) || attempt >= w.retries || ctx.Err() != nil {
			return status, err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return status, ctx.Err()
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// once sends one request.
func (w *Weaviate) once(ctx context.Context, method, path string, payload []byte, out any) (int, error) {
	var r io.Reader
	if payload != nil {
		r = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.base+path, r)
	if err != nil {
		return 0, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b[:min(len(b), 500)]))
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// graphql runs a GraphQL query and decodes data.Get.<Class> or
// data.Aggregate.<Class> into out.
func (w *Weaviate) graphql(ctx context.Context, query, kind string, out any) error {
	var ans struct {
		Data   map[string]map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if _, err := w.do(ctx, http.MethodPost, "/v1/graphql", map[string]string{"query": query}, &ans); err != nil {
		return err
	}
	if len(ans.Errors) > 0 {
		return fmt.Errorf("graphql: %s", ans.Errors[0].Message)
	}
	return json.Unmarshal(ans.Data[kind][w.class], out)
}

// weaviateObject is an object as the REST API gives and takes it.
type weaviateObject struct {
	Class      string    `json:"class,omitempty"`
	ID         string    `json:"id"`
	Vector     []float32 `json:"vector,omitempty"`
	Properties struct {
		Path        string `json:"path"`
		Label       string `json:"label"`
		Fingerprint string `json:"fingerprint"`
		LID         int64  `json:"lid"`
	} `json:"properties"`
}

// entry converts an object.
func (o weaviateObject) entry() index.Entry {
	return index.Entry{ID: uint64(o.Properties.LID), Path: o.Properties.Path, Label: o.Properties.Label,
		Fingerprint: o.Properties.Fingerprint, Vector: o.Vector}
}

// maxID returns the largest entry ID in the class within [lo, hi) (hi 0:
// no bound), 0 when there is none.
func (w *Weaviate) maxID(ctx context.Context, lo, hi uint64) (uint64, error) {
	var agg []struct {
		LID struct {
			Maximum *float64 `json:"maximum"`
		} `json:"lid"`
	}
	where := ""
	if hi != 0 {
		where = fmt.Sprintf(`(where:{operator:And,operands:[{path:["lid"],operator:GreaterThanEqual,valueInt:%d},{path:["lid"],operator:LessThan,valueInt:%d}]})`, lo, hi)
	}
	if err := w.graphql(ctx, fmt.Sprintf("{Aggregate{%s%s{lid{maximum}}}}", w.class, where), "Aggregate", &agg); err != nil {
		return 0, err
	}
	if len(agg) == 0 || agg[0].LID.Maximum == nil {
		return 0, nil
	}
	return uint64(*agg[0].LID.Maximum), nil
}

// Len returns the number of objects in the class.
func (w *Weaviate) Len() int {
	var agg []struct {
		Meta struct {
			Count int `json:"count"`
		} `json:"meta"`
	}
	if err := w.graphql(context.Background(), fmt.Sprintf("{Aggregate{%s{meta{count}}}}", w.class), "Aggregate", &agg); err != nil || len(agg) == 0 {
		return 0
	}
	return agg[0].Meta.Count
}

// LookupPath returns the entry of a path (its object, by UUID).
func (w *Weaviate) LookupPath(path string) (index.Entry, bool) {
	var o weaviateObject
	status, err := w.do(context.Background(), http.MethodGet,
		fmt.Sprintf("/v1/objects/%s/%s?include=vector&consistency_level=%s", w.class, KeyUUID(path), w.consistency), nil, &o)
	if err != nil || status != http.StatusOK {
		return index.Entry{}, false
	}
	return o.entry(), true
}

// Has reports whether a path has an entry.
func (w *Weaviate) Has(path string) bool {
	_, ok := w.LookupPath(path)
	return ok
}

// NeedsUpdate reports whether a path is missing or has another
// fingerprint.
func (w *Weaviate) NeedsUpdate(path, fingerprint string) bool {
	e, ok := w.LookupPath(path)
	return !ok || e.Fingerprint != fingerprint
}

// Get returns the entry id (a filtered query on lid).
func (w *Weaviate) Get(id uint64) (index.Entry, bool) {
	var got []struct {
		Path        string `json:"path"`
		Label       string `json:"label"`
		Fingerprint string `json:"fingerprint"`
		LID         int64  `json:"lid"`
		Additional  struct {
			Vector []float32 `json:"vector"`
		} `json:"_additional"`
	}
	q := fmt.Sprintf(`{Get{%s(where:{path:["lid"],operator:Equal,valueInt:%d},limit:1%s){path label fingerprint lid _additional{vector}}}}`,
		w.class, id, w.gqlLevel)
	if err := w.graphql(context.Background(), q, "Get", &got); err != nil || len(got) == 0 {
		return index.Entry{}, false
	}
	g := got[0]
	return index.Entry{ID: uint64(g.LID), Path: g.Path, Label: g.Label, Fingerprint: g.Fingerprint, Vector: g.Additional.Vector}, true
}

// NextID returns the next ID Add gives out.
func (w *Weaviate) NextID() uint64 { return w.next }

// All iterates over the objects with the cursor API, by UUID.
func (w *Weaviate) All() iter.Seq[index.Entry] {
	return func(yield func(index.Entry) bool) {
		after := ""
		for {
			var page struct {
				Objects []weaviateObject `json:"objects"`
			}
			path := fmt.Sprintf("/v1/objects?class=%s&limit=500&include=vector", w.class)
			if after != "" {
				path += "&after=" + after
			}
			if _, err := w.do(context.Background(), http.MethodGet, path, nil, &page); err != nil || len(page.Objects) == 0 {
				return
			}
			for _, o := range page.Objects {
				if !yield(o.entry()) {
					return
				}
			}
			after = page.Objects[len(page.Objects)-1].ID
		}
	}
}

// IDs returns every entry's ID, ascending.
func (w *Weaviate) IDs() []uint64 {
	var ids []uint64
	for e := range w.All() {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	return ids
}

// Add stores entries; see AddBatch.
func (w *Weaviate) Add(entries ...index.Entry) ([]uint64, error) { return w.AddBatch(entries) }

// AddBatch stores the entries as objects in one batch request at the
// store's consistency level. An entry whose path is stored keeps its ID
// (its object is replaced); an entry without an ID gets the next one. A
// batch that fails in part returns an error naming each failed object.
func (w *Weaviate) AddBatch(entries []index.Entry) ([]uint64, error) {
	ctx := context.Background()
	ids := make([]uint64, len(entries))
	objs := make([]weaviateObject, len(entries))
	var fresh []string
	for _, e := range entries {
		if e.ID == 0 {
			fresh = append(fresh, e.Path)
		}
	}
	stored, err := w.idsOf(ctx, fresh)
	if err != nil {
		return nil, fmt.Errorf("add batch: %w", err)
	}
	for i, e := range entries {
		if len(e.Vector) != w.meta.Dim {
			return nil, fmt.Errorf("add %s: vector of %d values, the store holds %d", e.Path, len(e.Vector), w.meta.Dim)
		}
		if e.ID == 0 {
			if id, ok := stored[e.Path]; ok {
				e.ID = id
			} else {
				if w.limit != 0 && w.next >= w.limit {
					return nil, fmt.Errorf("add %s: this shard's IDs, below %d, are used up", e.Path, w.limit)
				}
				e.ID = w.next
				w.next++
			}
		}
		w.next = max(w.next, e.ID+1)
		if e.ID > math.MaxInt64 {
			return nil, fmt.Errorf("add %s: ID %d past Weaviate's integers", e.Path, e.ID)
		}
		ids[i] = e.ID
		o := &objs[i]
		o.Class, o.ID, o.Vector = w.class, KeyUUID(e.Path), normalised(e.Vector, w.meta.Metric)
		o.Properties.Path, o.Properties.Label, o.Properties.Fingerprint, o.Properties.LID = e.Path, e.Label, e.Fingerprint, int64(e.ID)
	}
	var res []struct {
		ID     string `json:"id"`
		Result struct {
			Errors *struct {
				Error []struct {
					Message string `json:"message"`
				} `json:"error"`
			} `json:"errors"`
		} `json:"result"`
	}
	if _, err := w.do(ctx, http.MethodPost, "/v1/batch/objects?consistency_level="+w.consistency,
		map[string]any{"objects": objs}, &res); err != nil {
		return nil, fmt.Errorf("add batch: %w", err)
	}
	var errs []error
	for i, r := range res {
		if r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 && i < len(entries) {
			errs = append(errs, fmt.Errorf("%s: %s", entries[i].Path, r.Result.Errors.Error[0].Message))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("add batch: %d of %d objects failed: %w", len(errs), len(entries), errors.Join(errs...))
	}
	return ids, nil
}

// idsOf returns the IDs of those of paths that are stored, in one query.
func (w *Weaviate) idsOf(ctx context.Context, paths []string) (map[string]uint64, error) {
	out := map[string]uint64{}
	if len(paths) == 0 {
		return out, nil
	}
	quoted, err := json.Marshal(paths)
	if err != nil {
		return nil, err
	}
	var got []struct {
		Path string `json:"path"`
		LID  int64  `json:"lid"`
	}
	q := fmt.Sprintf(`{Get{%s(where:{path:["path"],operator:ContainsAny,valueText:%s},limit:%d%s){path lid}}}`,
		w.class, quoted, len(paths), w.gqlLevel)
	if err := w.graphql(ctx, q, "Get", &got); err != nil {
		return nil, err
	}
	for _, g := range got {
		out[g.Path] = uint64(g.LID)
	}
	return out, nil
}

// normalised returns v scaled to unit length for the cosine metric, as
// the embedded index stores it.
func normalised(v []float32, m index.Metric) []float32 {
	if m != index.Cosine {
		return v
	}
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return v
	}
	out := make([]float32, len(v))
	r := 1 / math.Sqrt(s)
	for i, x := range v {
		out[i] = float32(float64(x) * r)
	}
	return out
}

// Delete removes the entry id.
func (w *Weaviate) Delete(id uint64) (bool, error) {
	n, err := w.DeleteBatch([]uint64{id})
	return n == 1, err
}

// DeleteBatch removes the entries ids, each by its object's UUID, at the
// store's consistency level, and returns how many were there.
func (w *Weaviate) DeleteBatch(ids []uint64) (int, error) {
	n := 0
	for _, id := range ids {
		e, ok := w.Get(id)
		if !ok {
			continue
		}
		status, err := w.do(context.Background(), http.MethodDelete,
			fmt.Sprintf("/v1/objects/%s/%s?consistency_level=%s", w.class, KeyUUID(e.Path), w.consistency), nil, nil)
		if status == http.StatusNotFound {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("delete %d (%s): %w", id, e.Path, err)
		}
		n++
	}
	return n, nil
}

// SearchEf returns the k nearest entries to q, with the embedded index's
// scores (cosine and dot: similarity; L2: distance). ef is Weaviate's own
// (a class setting), not per query.
func (w *Weaviate) SearchEf(q []float32, k, ef int) ([]index.Result, error) {
	if len(q) != w.meta.Dim {
		return nil, fmt.Errorf("search: query of %d values, the store holds %d", len(q), w.meta.Dim)
	}
	if k <= 0 {
		return nil, nil
	}
	vec := make([]string, len(q))
	for i, v := range normalised(q, w.meta.Metric) {
		vec[i] = strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	var got []struct {
		LID        int64 `json:"lid"`
		Additional struct {
			Distance float64 `json:"distance"`
		} `json:"_additional"`
	}
	query := fmt.Sprintf(`{Get{%s(nearVector:{vector:[%s]},limit:%d%s){lid _additional{distance}}}}`,
		w.class, strings.Join(vec, ","), k, w.gqlLevel)
	if err := w.graphql(context.Background(), query, "Get", &got); err != nil {
		return nil, fmt.Errorf("search %s: %w", w.Location(), err)
	}
	out := make([]index.Result, len(got))
	for i, g := range got {
		var score float64
		switch w.meta.Metric {
		case index.Cosine:
			score = 1 - g.Additional.Distance
		case index.Dot:
			score = -g.Additional.Distance
		default:
			score = math.Sqrt(max(g.Additional.Distance, 0))
		}
		out[i] = index.Result{ID: uint64(g.LID), Score: float32(score)}
	}
	return out, nil
}

// SearchBatchEf runs SearchEf for each of nq queries.
func (w *Weaviate) SearchBatchEf(qs []float32, nq, k, ef int) ([][]index.Result, error) {
	if nq <= 0 || len(qs) != nq*w.meta.Dim {
		return nil, fmt.Errorf("search: %d values for %d queries of %d", len(qs), nq, w.meta.Dim)
	}
	out := make([][]index.Result, nq)
	for i := range nq {
		r, err := w.SearchEf(qs[i*w.meta.Dim:(i+1)*w.meta.Dim], k, ef)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// Close releases idle connections.
func (w *Weaviate) Close() error {
	w.client.CloseIdleConnections()
	return nil
}

// A Weaviate class is a Store.
var _ Store = (*Weaviate)(nil)

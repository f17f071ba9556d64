// Package eval measures how well an embedding retrieves items of the same
// class, following Musgrave, Belongie and Lim, "A Metric Learning Reality
// Check" (ECCV 2020).
//
// Embeddings are passed as one flat row-major slice of n rows of dim values.
// Rows are expected to be L2-normalised, so the dot product of two rows is
// their cosine similarity; a higher score means a closer neighbour. Whenever
// two items score the same, the one with the lower index ranks first, so
// every result in this package is deterministic.
package eval

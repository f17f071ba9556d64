// Package report turns datasets, training runs and trained models into the
// files people look at: sample collages, loss curves, and the evaluation
// report with retrieval metrics, a near-neighbour collage and a confusion
// matrix.
package report

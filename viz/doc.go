// Package viz draws the pictures a similarity search run is judged by:
// image grids, query/neighbour strips, neighbour confusion matrices and
// loss curves. Every picture is a PNG, written atomically with WritePNG.
package viz

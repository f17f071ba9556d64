// Package collection ties a model to an index: it embeds image files in a
// stream (decoding in parallel with the model's compute), keeps an index in
// step with a folder of images, searches it by image, and finds
// near-duplicates.
package collection

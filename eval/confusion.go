package eval

import "fmt"

// ConfusionMatrix reproduces the neighbour confusion matrix of the Keras
// example "Metric learning for image similarity search": for each class c
// in [0, numClasses) its first queriesPerClass items in dataset order are
// queries, and every one of each query's k nearest neighbours (excluding
// the query) with label l adds one to m[c][l]. Rows therefore sum to
// queriesPerClass*k when every class has enough items. The example uses 10
// queries per class and k = 10; a value <= 0 selects 10.
//
// It panics if emb and labels disagree in length or a label is outside
// [0, numClasses), as those are programming errors.
func ConfusionMatrix(emb []float32, dim int, labels []int, numClasses, queriesPerClass, k int) [][]int {
	n := mustRows("ConfusionMatrix", emb, dim)
	if n != len(labels) {
		panic(fmt.Sprintf("eval: ConfusionMatrix: %d embeddings but %d labels", n, len(labels)))
	}
	if queriesPerClass <= 0 {
		queriesPerClass = 10
	}
	if k <= 0 {
		k = 10
	}
	taken := make([]int, numClasses)
	var queries []int
	for i, l := range labels {
		if l < 0 || l >= numClasses {
			panic(fmt.Sprintf("eval: ConfusionMatrix: label %d of item %d outside [0, %d)", l, i, numClasses))
		}
		if taken[l] < queriesPerClass {
			taken[l]++
			queries = append(queries, i)
		}
	}
	m := make([][]int, numClasses)
	for c := range m {
		m[c] = make([]int, numClasses)
	}
	for qi, nb := range Neighbours(emb, dim, queries, k) {
		row := m[labels[queries[qi]]]
		for _, j := range nb {
			row[labels[j]]++
		}
	}
	return m
}

package train

import (
	"sync"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// dataParallel runs a training step's forward and backward passes on
// replicas of the model at once (nn.Model.Replica), each on its own share
// of the batch and its own goroutine, with every matrix product serial
// (kernels.Serial). For a small batch (keras-small's 20 images a step)
// this keeps the CPUs busy where splitting each small product between
// them does not: handing half a product to another core costs about what
// it saves. The replicas' gradients are added to the model's before the
// optimiser's step, so the step is the whole batch's (the order of the
// sums aside). Only models that treat images independently in training
// (no BatchNorm on batch statistics) are run so.
type dataParallel struct {
	replicas []*nn.Model // replicas[0] is the model itself
	xs, dys  []*tensor.Tensor
	outs     []*tensor.Tensor // the replicas' embeddings
	params   [][]*nn.Param    // each replica's trainable parameters
	emb      *tensor.Tensor
	shape    []int

	// Replicas 1.. run on goroutines of their own, each taking the pass
	// to run (opForward, opBackward) from its channel; the caller runs
	// replica 0. runOp, made once, runs pass op on all of them: a step
	// allocates nothing.
	work  []chan int
	wg    sync.WaitGroup
	op    int
	runOp func()
}

// The passes a replica runs.
const (
	opForward = iota
	opBackward
)

// maxParallelBatch is the largest batch trained data-parallel: above it
// the products are big enough to split well, and a replica's activations
// cost memory.
const maxParallelBatch = 128

// newDataParallel returns up to cpus replicas for batches of n images, or
// nil when the batch is run as one: one CPU, a batch too small to share or
// big enough for the products to split well, or a model that couples
// images.
func newDataParallel(m *nn.Model, n, cpus int) (*dataParallel, error) {
	parts := min(cpus, n/4)
	if parts < 2 || n > maxParallelBatch || !m.ImageIndependent() {
		return nil, nil
	}
	d := &dataParallel{replicas: []*nn.Model{m}}
	for range parts - 1 {
		r, err := m.Replica()
		if err != nil {
			return nil, err
		}
		d.replicas = append(d.replicas, r)
	}
	d.xs = make([]*tensor.Tensor, parts)
	d.dys = make([]*tensor.Tensor, parts)
	d.outs = make([]*tensor.Tensor, parts)
	for _, r := range d.replicas {
		d.params = append(d.params, r.TrainableParams())
	}
	for i := 1; i < parts; i++ {
		ch := make(chan int)
		d.work = append(d.work, ch)
		go func() {
			for op := range ch {
				d.do(i, op)
				d.wg.Done()
			}
		}()
	}
	d.runOp = func() {
		d.wg.Add(len(d.work))
		for _, ch := range d.work {
			ch <- d.op
		}
		d.do(0, d.op)
		d.wg.Wait()
	}
	return d, nil
}

// close stops the replicas' goroutines.
func (d *dataParallel) close() {
	for _, ch := range d.work {
		close(ch)
	}
	d.work = nil
}

// do runs pass op on replica i.
func (d *dataParallel) do(i, op int) {
	switch op {
	case opForward:
		d.outs[i] = d.replicas[i].Forward(d.xs[i], true)
	case opBackward:
		d.replicas[i].Backward(d.dys[i])
	}
}

// run runs pass op on every replica at once, with the products serial.
func (d *dataParallel) run(op int) {
	d.op = op
	kernels.Serial(d.runOp)
}

// share returns replica i's images [lo, hi) of a batch of n.
func (d *dataParallel) share(i, n int) (lo, hi int) {
	p := len(d.replicas)
	return n * i / p, n * (i + 1) / p
}

// forward returns the embeddings of the batch x, in order.
func (d *dataParallel) forward(x *tensor.Tensor) *tensor.Tensor {
	n := x.Dim(0)
	per := x.Len() / n
	d.shape = append(d.shape[:0], x.Shape...)
	for i := range d.replicas {
		lo, hi := d.share(i, n)
		d.shape[0] = hi - lo
		d.xs[i] = tensor.Ensure(d.xs[i], d.shape...)
		copy(d.xs[i].Data, x.Data[lo*per:hi*per])
	}
	d.run(opForward)
	dim := d.outs[0].Dim(1)
	d.emb = tensor.Ensure(d.emb, n, dim)
	for i, o := range d.outs {
		lo, _ := d.share(i, n)
		copy(d.emb.Data[lo*dim:], o.Data)
	}
	return d.emb
}

// backward propagates dy, the gradient of the embeddings, through the
// replicas and adds their parameter gradients to the model's.
func (d *dataParallel) backward(dy *tensor.Tensor) {
	n, dim := dy.Dim(0), dy.Dim(1)
	for i := range d.replicas {
		lo, hi := d.share(i, n)
		d.dys[i] = tensor.Ensure(d.dys[i], hi-lo, dim)
		copy(d.dys[i].Data, dy.Data[lo*dim:hi*dim])
	}
	d.run(opBackward)
	sum := d.params[0]
	for _, ps := range d.params[1:] {
		for j, p := range ps {
			kernels.Add(sum[j].Grad.Data, p.Grad.Data)
			p.Grad.Zero()
		}
	}
}

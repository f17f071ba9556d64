// Package optim holds the optimisers that update a model's parameters from
// their gradients, the learning-rate schedules that scale their steps, and
// an exponential moving average of weights.
//
// An Optimizer (Adam, SGD) is stepped with Update(scale), where scale is
// usually a Schedule's Factor for the step. Optimisers and the EMA give
// their tensors by unique name through State, for checkpoints, and take
// them back through SetState.
package optim

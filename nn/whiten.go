package nn

import (
	"fmt"
	"math"
	"sort"
)

// InitWhitening makes l a patch-whitening layer for the images x (n images
// of h x w x InC, as the layer sees them): the kernel holds the
// eigenvectors of the covariance of the k x k patches, each scaled by
// 1/sqrt(eigenvalue + eps), and their negatives (so l needs 2*k*k*InC
// filters, stride 1), as Keller Jordan's airbench initialises its first
// layer. The bias takes away the mean patch, so the outputs are centred
// and decorrelated on x. The kernel is frozen (FrozenKernel); the bias
// still trains.
func (l *Conv2D) InitWhitening(x []float32, n, h, w int, eps float64) error {
	k, c := l.K, l.InC
	d := k * k * c
	if l.OutC != 2*d || l.Stride != 1 {
		return fmt.Errorf("whitening: a %dx%d convolution of %d channels needs %d filters and stride 1, has %d and %d", k, k, c, 2*d, l.OutC, l.Stride)
	}
	if n <= 0 || len(x) != n*h*w*c || h < k || w < k {
		return fmt.Errorf("whitening: %d values for %d images of %dx%dx%d", len(x), n, h, w, c)
	}
	// Mean and covariance of every patch, in the kernel's (ky, kx, c)
	// order.
	mean := make([]float64, d)
	cov := make([]float64, d*d)
	patch := make([]float64, d)
	count := 0
	for b := range n {
		for y := 0; y+k <= h; y++ {
			for xx := 0; xx+k <= w; xx++ {
				for ky := range k {
					row := x[((b*h+y+ky)*w+xx)*c:]
					for q := range k * c {
						patch[ky*k*c+q] = float64(row[q])
					}
				}
				for i, v := range patch {
					mean[i] += v
					ci := cov[i*d : (i+1)*d]
					for j := i; j < d; j++ {
						ci[j] += v * patch[j]
					}
				}
				count++
			}
		}
	}
	for i := range mean {
		mean[i] /= float64(count)
	}
	for i := range d {
		for j := i; j < d; j++ {
			v := cov[i*d+j]/float64(count) - mean[i]*mean[j]
			cov[i*d+j], cov[j*d+i] = v, v
		}
	}
	vals, vecs := eigenSym(cov, d)
	// Filter f (and f+d, negated) is eigenvector f, largest first.
	wgt := l.W.Value.Data // [k, k, c, out]: index p*OutC + f
	for f := range d {
		s := 1 / math.Sqrt(max(vals[f], 0)+eps)
		var bias float64
		for p := range d {
			v := vecs[p*d+f] * s
			wgt[p*l.OutC+f] = float32(v)
			wgt[p*l.OutC+f+d] = float32(-v)
			bias -= v * mean[p]
		}
		l.B.Value.Data[f] = float32(bias)
		l.B.Value.Data[f+d] = float32(-bias)
	}
	l.FrozenKernel = true
	return nil
}

// eigenSym returns the eigenvalues of the symmetric d x d matrix a, in
// decreasing order, and the eigenvectors as the columns of a d x d matrix,
// by cyclic Jacobi rotations (plenty for the small matrices here).
func eigenSym(a []float64, d int) (vals, vecs []float64) {
	a = append([]float64(nil), a...)
	v := make([]float64, d*d)
	for i := range d {
		v[i*d+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for i := range d {
			for j := i + 1; j < d; j++ {
				off += a[i*d+j] * a[i*d+j]
			}
		}
		if off < 1e-30 {
			break
		}
		for p := range d {
			for q := p + 1; q < d; q++ {
				apq := a[p*d+q]
				if math.Abs(apq) < 1e-300 {
					continue
				}
				theta := (a[q*d+q] - a[p*d+p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				cs := 1 / math.Sqrt(t*t+1)
				sn := t * cs
				for r := range d {
					arp, arq := a[r*d+p], a[r*d+q]
					a[r*d+p], a[r*d+q] = cs*arp-sn*arq, sn*arp+cs*arq
				}
				for r := range d {
					apr, aqr := a[p*d+r], a[q*d+r]
					a[p*d+r], a[q*d+r] = cs*apr-sn*aqr, sn*apr+cs*aqr
				}
				for r := range d {
					vrp, vrq := v[r*d+p], v[r*d+q]
					v[r*d+p], v[r*d+q] = cs*vrp-sn*vrq, sn*vrp+cs*vrq
				}
			}
		}
	}
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return a[order[i]*d+order[i]] > a[order[j]*d+order[j]] })
	vals = make([]float64, d)
	vecs = make([]float64, d*d)
	for col, src := range order {
		vals[col] = a[src*d+src]
		for r := range d {
			vecs[r*d+col] = v[r*d+src]
		}
	}
	return vals, vecs
}

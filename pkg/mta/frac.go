package mta

import (
	"math/big"
	"math/bits"
)

// frac is an exact probability on the walk's hot path: a reduced fraction
// in machine words, promoted to big.Rat only if a product would overflow.
// With the default address limit the walk never leaves the fast path.
type frac struct {
	n, d uint64
	big  *big.Rat // set once promoted
}

func one() frac { return frac{n: 1, d: 1} }

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// mul returns f * a/b (a, b > 0).
func (f frac) mul(a, b uint64) frac {
	if f.big != nil {
		return frac{big: new(big.Rat).Mul(f.big, new(big.Rat).SetFrac(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b)))}
	}
	// Cross-reduce first so that the products stay small.
	if g := gcd(f.n, b); g > 1 {
		f.n, b = f.n/g, b/g
	}
	if g := gcd(a, f.d); g > 1 {
		a, f.d = a/g, f.d/g
	}
	hn, n := bits.Mul64(f.n, a)
	hd, d := bits.Mul64(f.d, b)
	if hn != 0 || hd != 0 {
		r := new(big.Rat).SetFrac(new(big.Int).SetUint64(f.n), new(big.Int).SetUint64(f.d))
		return frac{big: r.Mul(r, new(big.Rat).SetFrac(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b)))}
	}
	return frac{n: n, d: d}
}

// rat returns f as a new big.Rat.
func (f frac) rat() *big.Rat {
	if f.big != nil {
		return new(big.Rat).Set(f.big)
	}
	return new(big.Rat).SetFrac(new(big.Int).SetUint64(f.n), new(big.Int).SetUint64(f.d))
}

// add returns f + g.
func (f frac) add(g frac) frac {
	if f.big == nil && g.big == nil {
		if f.d == 0 { // zero value
			return g
		}
		if g.d == 0 {
			return f
		}
		gd := gcd(f.d, g.d)
		// f.n*(g.d/gd) + g.n*(f.d/gd) over f.d*(g.d/gd)
		h1, a := bits.Mul64(f.n, g.d/gd)
		h2, b := bits.Mul64(g.n, f.d/gd)
		sum, carry := bits.Add64(a, b, 0)
		h3, den := bits.Mul64(f.d, g.d/gd)
		if h1 == 0 && h2 == 0 && carry == 0 && h3 == 0 {
			if r := gcd(sum, den); r > 1 {
				sum, den = sum/r, den/r
			}
			return frac{n: sum, d: den}
		}
	}
	return frac{big: new(big.Rat).Add(f.rat(), g.rat())}
}

// ratOrZero is rat() with the zero value as 0.
func (f frac) ratOrZero() *big.Rat {
	if f.big == nil && f.d == 0 {
		return new(big.Rat)
	}
	return f.rat()
}

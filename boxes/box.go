package boxes

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Box is an axis-aligned box in normalized_y0x0y1x1: (Y0, X0) is the
// top-left corner, (Y1, X1) the bottom-right, y divided by image height and
// x by image width. In JSON it is the array [y0, x0, y1, x1].
type Box struct {
	Y0, X0, Y1, X1 float64
}

// Area is the box's area in normalized units (0 for inverted boxes).
func (b Box) Area() float64 {
	return math.Max(b.X1-b.X0, 0) * math.Max(b.Y1-b.Y0, 0)
}

// Normalized reports whether every coordinate is in [0,1] and the corners
// are ordered.
func (b Box) Normalized() bool {
	for _, v := range [4]float64{b.Y0, b.X0, b.Y1, b.X1} {
		if !(v >= 0 && v <= 1) {
			return false
		}
	}
	return b.Y0 <= b.Y1 && b.X0 <= b.X1
}

// Round rounds every coordinate to the given number of decimals.
func (b Box) Round(decimals int) Box {
	p := math.Pow(10, float64(decimals))
	r := func(v float64) float64 { return math.Round(v*p) / p }
	return Box{r(b.Y0), r(b.X0), r(b.Y1), r(b.X1)}
}

// Clamp limits every coordinate to [0,1].
func (b Box) Clamp() Box {
	c := func(v float64) float64 { return math.Min(math.Max(v, 0), 1) }
	return Box{c(b.Y0), c(b.X0), c(b.Y1), c(b.X1)}
}

// Center returns the box centre (y, x).
func (b Box) Center() (y, x float64) { return (b.Y0 + b.Y1) / 2, (b.X0 + b.X1) / 2 }

// Contains reports whether o lies inside b, allowing eps of slack.
func (b Box) Contains(o Box, eps float64) bool {
	return o.Y0 >= b.Y0-eps && o.X0 >= b.X0-eps && o.Y1 <= b.Y1+eps && o.X1 <= b.X1+eps
}

// Array returns [y0, x0, y1, x1].
func (b Box) Array() [4]float64 { return [4]float64{b.Y0, b.X0, b.Y1, b.X1} }

// MarshalJSON writes [y0, x0, y1, x1].
func (b Box) MarshalJSON() ([]byte, error) {
	return b.AppendJSON(make([]byte, 0, 64))
}

// AppendJSON appends the box as MarshalJSON writes it to dst, without
// allocating when dst has room; dst is returned unchanged with the error
// when a coordinate is not finite.
func (b Box) AppendJSON(dst []byte) ([]byte, error) {
	for _, v := range b.Array() {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return dst, fmt.Errorf("box %v: coordinate is not finite", b.Array())
		}
	}
	dst = append(dst, '[')
	for i, v := range b.Array() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONFloat(dst, v)
	}
	return append(dst, ']'), nil
}

// appendJSONFloat appends a finite float64 exactly as encoding/json writes
// it (shortest representation; exponent form below 1e-6 and from 1e21,
// with a one-digit negative exponent written without its leading zero).
// Corpora hold tens of thousands of boxes: this skips the reflection of
// marshalling each box's array.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// UnmarshalJSON reads [y0, x0, y1, x1].
func (b *Box) UnmarshalJSON(data []byte) error {
	var a []float64
	if err := json.Unmarshal(data, &a); err != nil {
		return fmt.Errorf("box_2d: want [y0, x0, y1, x1]: %w", err)
	}
	if len(a) != 4 {
		return fmt.Errorf("box_2d: want 4 numbers, got %d", len(a))
	}
	*b = Box{a[0], a[1], a[2], a[3]}
	return nil
}

func (b Box) String() string {
	return fmt.Sprintf("[%.4f, %.4f, %.4f, %.4f]", b.Y0, b.X0, b.Y1, b.X1)
}

// Ptr returns a pointer to a copy of b.
func (b Box) Ptr() *Box { return &b }

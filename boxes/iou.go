package boxes

import "math"

// IoU is the intersection over union of two boxes: 0 when they do not
// overlap or when both are degenerate.
func IoU(a, b Box) float64 {
	iw := math.Min(a.X1, b.X1) - math.Max(a.X0, b.X0)
	ih := math.Min(a.Y1, b.Y1) - math.Max(a.Y0, b.Y0)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	union := a.Area() + b.Area() - inter
	if union <= 0 {
		return 0
	}
	return math.Min(inter/union, 1)
}

package eval

// Counts are confusion counts with the rates they give; a rate is nil when
// its denominator is 0 (never NaN).
type Counts struct {
	N         int      `json:"n"`
	TP        int      `json:"tp"`
	FP        int      `json:"fp"`
	FN        int      `json:"fn"`
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	F1        *float64 `json:"f1"`
}

func (c *Counts) finish() {
	c.N = c.TP + c.FN
	c.Precision = ratio(c.TP, c.TP+c.FP)
	c.Recall = ratio(c.TP, c.TP+c.FN)
	c.F1 = ratio(2*c.TP, 2*c.TP+c.FP+c.FN)
}

// BoxCounts are box-matching counts at one IoU threshold; Rate is the
// share of gold boxes matched (recall).
type BoxCounts struct {
	TP        int      `json:"tp"`
	FP        int      `json:"fp"`
	FN        int      `json:"fn"`
	Rate      *float64 `json:"rate"`
	Precision *float64 `json:"precision"`
}

func (c *BoxCounts) finish() {
	c.Rate = ratio(c.TP, c.TP+c.FN)
	c.Precision = ratio(c.TP, c.TP+c.FP)
}

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	v := float64(a) / float64(b)
	return &v
}

func mean(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	return &m
}

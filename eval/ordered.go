package eval

import (
	"bytes"
	"encoding/json"
)

// Ordered is a JSON object that keeps its keys in insertion order, so
// per-label tables come out in canonical label order.
type Ordered[T any] struct {
	Keys   []string
	Values map[string]T
}

// Set adds or replaces a key.
func (o *Ordered[T]) Set(k string, v T) {
	if o.Values == nil {
		o.Values = map[string]T{}
	}
	if _, ok := o.Values[k]; !ok {
		o.Keys = append(o.Keys, k)
	}
	o.Values[k] = v
}

// Get returns the value of a key.
func (o Ordered[T]) Get(k string) (T, bool) {
	v, ok := o.Values[k]
	return v, ok
}

// MarshalJSON writes the keys in order.
func (o Ordered[T]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.Keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.Values[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object, keeping its key order.
func (o *Ordered[T]) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return err
	}
	*o = Ordered[T]{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var v T
		if err := dec.Decode(&v); err != nil {
			return err
		}
		o.Set(t.(string), v)
	}
	_, err := dec.Token()
	return err
}

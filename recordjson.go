package cxrkit

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends r as NewJSONLEncoder writes it (without the
// newline), byte for byte, but without reflection: prepare writes tens of
// thousands of records, and encoding them showed in its profile.
func (r *Record) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"image_id":`...)
	dst = appendJSONString(dst, r.ImageID)
	dst = append(dst, `,"source":`...)
	dst = appendJSONString(dst, string(r.Source))
	if r.PatientID != "" {
		dst = append(dst, `,"patient_id":`...)
		dst = appendJSONString(dst, r.PatientID)
	}
	dst = append(dst, `,"split":`...)
	dst = appendJSONString(dst, string(r.Split))
	dst = append(dst, `,"width":`...)
	dst = strconv.AppendInt(dst, int64(r.Width), 10)
	dst = append(dst, `,"height":`...)
	dst = strconv.AppendInt(dst, int64(r.Height), 10)
	if r.ImagePath != "" {
		dst = append(dst, `,"image_path":`...)
		dst = appendJSONString(dst, r.ImagePath)
	}
	dst = append(dst, `,"findings":`...)
	if r.Findings == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, f := range r.Findings {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"label":`...)
			dst = appendJSONString(dst, string(f.Label))
			dst = append(dst, `,"box_2d":`...)
			if f.Box == nil {
				dst = append(dst, "null"...)
			} else {
				var err error
				if dst, err = f.Box.AppendJSON(dst); err != nil {
					return dst, err
				}
			}
			if f.Readers != 0 {
				dst = append(dst, `,"readers":`...)
				dst = strconv.AppendInt(dst, int64(f.Readers), 10)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(r.OtherLabels) > 0 {
		dst = append(dst, `,"other_labels":[`...)
		for i, l := range r.OtherLabels {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, l)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), nil
}

// appendJSONString appends s quoted as NewJSONLEncoder quotes it. Plain
// printable ASCII, nearly every id and label, is copied; anything else
// goes through encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			var buf bytes.Buffer
			_ = NewJSONLEncoder(&buf).Encode(s) // a string always encodes
			return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

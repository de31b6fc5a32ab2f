package dataset

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// PhysioNet VinDr-CXR annotations/image_labels_{train,test}.csv carry
// image_id, rad_id and one 0/1 column per class (28 in the release). One row
// is one radiologist's image-level reading: the classes marked 1, without
// boxes, like NIH's Data_Entry. The VinDr reader detects the layout by its
// header (isVinDrImageLabels) and reads it here.

// errLabelValue rejects an image-label cell that is neither 0 nor 1.
var errLabelValue = errors.New("image label is not 0 or 1")

// isVinDrImageLabels reports whether a header is the image_labels layout:
// image_id and label columns, no class_name.
func isVinDrImageLabels(t *csvTable) bool {
	return t.col("image_id") >= 0 && t.col("class_name") < 0 && len(t.header) > 2
}

func readVinDrImageLabels(ctx context.Context, t *csvTable, emit func(row) error) error {
	idCol, radCol := t.col("image_id"), t.col("rad_id")
	var labelCols []int
	for i, h := range t.header {
		if i != idCol && i != radCol && h != "" {
			labelCols = append(labelCols, i)
		}
	}
	if len(labelCols) == 0 {
		return fmt.Errorf("%s:1: not a VinDr image_labels CSV: want image_id, rad_id and 0/1 label columns; got %v", t.path, t.header)
	}
	return csvRows(ctx, t, len(t.header), emit, func(rec []string, _ int) row {
		r := row{id: field(rec, idCol), reader: field(rec, radCol)}
		for _, c := range labelCols {
			switch v := strings.TrimSpace(rec[c]); v {
			case "1", "1.0":
				r.natives = append(r.natives, t.header[c])
			case "0", "0.0", "":
			default:
				r.reject = fmt.Errorf("%w: %s = %q", errLabelValue, t.header[c], v)
				return r
			}
		}
		return r
	})
}

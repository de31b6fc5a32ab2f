//go:build !amd64 || purego

package imaging

// verticalRow is the vertical pass of the resizer: verticalRowGo, there
// being no vector kernel for this architecture (or -tags purego asks
// for none).
func verticalRow(out []uint8, rows [][]uint64, w []uint16) {
	verticalRowGo(out, rows, w, 0)
}

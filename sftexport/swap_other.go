//go:build !linux

package sftexport

// exchangeDirs puts the folder src at dst; without an atomic exchange the
// old dst is moved aside to src first.
func exchangeDirs(src, dst string) error { return renameAside(src, dst) }

package cxrkit

import "path/filepath"

// Image paths in cxrkit's JSONL files (corpus.jsonl, cases.jsonl) are
// relative to the directory of the file that holds them, so a corpus and
// its images can move together; absolute paths stay absolute.

// ResolvePath turns a path read from a file in dir into a usable path.
func ResolvePath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// RelativePath expresses target relative to dir for writing into a file
// there; it falls back to the absolute path when no relative one exists.
func RelativePath(dir, target string) string {
	if target == "" {
		return ""
	}
	absDir, err1 := filepath.Abs(dir)
	absT, err2 := filepath.Abs(target)
	if err1 != nil || err2 != nil {
		return target
	}
	rel, err := filepath.Rel(absDir, absT)
	if err != nil {
		return absT
	}
	return filepath.ToSlash(rel)
}

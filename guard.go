package cxrkit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PathFlag is a path given to a command with the flag (or config key) that
// gave it, so a refusal can name both sides.
type PathFlag struct {
	Flag string
	Path string
}

// ErrOutputOverlapsInput marks an output path that is, contains or is
// inside one of the command's inputs. It is a usage error: writing there
// could destroy the input.
var ErrOutputOverlapsInput = errors.New("output overlaps an input")

// overlapError names the two paths; it is both ErrOutputOverlapsInput and
// ErrInvalidOptions.
type overlapError struct {
	out, in PathFlag
	how     string
}

func (e *overlapError) Error() string {
	return fmt.Sprintf("%s %s %s %s %s; refusing to write over an input (choose another %s)",
		e.out.Flag, e.out.Path, e.how, e.in.Flag, e.in.Path, e.out.Flag)
}

func (e *overlapError) Is(target error) bool {
	return target == ErrOutputOverlapsInput || target == ErrInvalidOptions
}

// CheckOutputs refuses any output that is, contains or is inside any
// input, after resolving relative paths and symlinks (outputs that do not
// exist yet are resolved through their nearest existing parent). Empty
// paths are ignored. Commands call it before writing anything.
func CheckOutputs(inputs, outputs []PathFlag) error {
	type resolved struct {
		PathFlag
		real string
	}
	resolve := func(ps []PathFlag) ([]resolved, error) {
		var out []resolved
		for _, p := range ps {
			if p.Path == "" {
				continue
			}
			r, err := realPath(p.Path)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", p.Flag, p.Path, err)
			}
			out = append(out, resolved{p, r})
		}
		return out, nil
	}
	ins, err := resolve(inputs)
	if err != nil {
		return err
	}
	outs, err := resolve(outputs)
	if err != nil {
		return err
	}
	for _, o := range outs {
		for _, i := range ins {
			how := ""
			switch {
			case o.real == i.real:
				how = "is the same path as"
			case within(i.real, o.real):
				how = "contains"
			case within(o.real, i.real):
				how = "is inside"
			default:
				continue
			}
			return &overlapError{out: o.PathFlag, in: i.PathFlag, how: how}
		}
	}
	// Two outputs on one path would overwrite each other.
	for a := range outs {
		for b := a + 1; b < len(outs); b++ {
			if outs[a].real == outs[b].real {
				return &overlapError{out: outs[b].PathFlag, in: outs[a].PathFlag, how: "is the same path as"}
			}
		}
	}
	return nil
}

// within reports whether path lies strictly below dir.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// realPath is the absolute, symlink-free form of p. For a path that does
// not exist yet, the longest existing prefix is resolved and the rest
// appended, so a new file under a symlinked folder still compares equal to
// the folder's target.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	cur := abs
	for {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

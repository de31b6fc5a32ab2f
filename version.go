package cxrkit

import "runtime/debug"

// Version is the cxrkit release this source tree describes.
const Version = "0.1.0"

// Disclaimer is carried by every user-facing output.
const Disclaimer = "RESEARCH / EDUCATIONAL QA ONLY: not a medical device, not diagnosis, not for clinical use."

// BoxFormat names the only box convention cxrkit writes.
const BoxFormat = "normalized_y0x0y1x1"

// VersionString reports the release plus the VCS revision when the binary
// was built from a git checkout.
func VersionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return Version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return Version + " (" + rev + ")"
}

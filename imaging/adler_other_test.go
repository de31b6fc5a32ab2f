//go:build !amd64 || purego

package imaging

// adlerKernels are the Adler-32 codes this build has: only the pure-Go sum.
func adlerKernels() []adlerKernel {
	return []adlerKernel{{"adler32Generic", adler32Generic}}
}

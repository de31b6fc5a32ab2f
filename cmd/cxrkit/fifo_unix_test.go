//go:build unix

package main

import "syscall"

// mkfifo makes a named pipe for the tests that prove a FIFO is refused
// at once instead of blocking a reader.
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

//go:build !unix

package main

import "errors"

// lowerPriority is not available here: run with --nice 0.
func lowerPriority(n int) error {
	return errors.New("lowering the CPU priority is not supported on this system; pass --nice 0")
}

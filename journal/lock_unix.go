//go:build unix

package journal

import (
	"os"
	"syscall"
)

// errWouldBlock is the error lockFile returns when another open file holds
// the lock.
const errWouldBlock = syscall.EWOULDBLOCK

const (
	// syncDirNeeded: on Unix a created or renamed file is only durable once
	// its directory is fsynced.
	syncDirNeeded = true
	// renameOverOpenFile: Unix replaces an open file by rename, which
	// Compact relies on.
	renameOverOpenFile = true
)

// lockFile takes an exclusive, non-blocking flock on f. The lock goes with
// the last close of f.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) //nolint:gosec // a file descriptor fits in an int
}

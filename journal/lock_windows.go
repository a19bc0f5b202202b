//go:build windows

package journal

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// errWouldBlock is the error lockFile returns when another open file holds
// the lock: ERROR_LOCK_VIOLATION.
const errWouldBlock = syscall.Errno(33)

const (
	// syncDirNeeded: Windows cannot fsync a directory; NTFS journals its
	// metadata, so a created or renamed file's entry needs no extra step.
	syncDirNeeded = false
	// renameOverOpenFile: Windows refuses to rename a file over one that is
	// open, so Compact is not available.
	renameOverOpenFile = false
)

const (
	lockfileFailImmediately = 0x1 // LOCKFILE_FAIL_IMMEDIATELY
	lockfileExclusiveLock   = 0x2 // LOCKFILE_EXCLUSIVE_LOCK
)

// procLockFileEx is kernel32's LockFileEx, which the syscall package does not
// wrap.
var procLockFileEx = syscall.NewLazyDLL("kernel32.dll").NewProc("LockFileEx")

// lockFile takes an exclusive, non-blocking LockFileEx lock on f. It locks
// one byte far past any real journal's end, so that reads and writes of the
// records are not affected (Windows byte-range locks are mandatory). The
// lock goes with the close of f.
func lockFile(f *os.File) error {
	if err := procLockFileEx.Find(); err != nil {
		return fmt.Errorf("LockFileEx: %w", err)
	}
	ol := new(syscall.Overlapped)
	ol.Offset, ol.OffsetHigh = 0xFFFFFFFE, 0x7FFFFFFF
	r, _, err := procLockFileEx.Call(
		f.Fd(),
		lockfileExclusiveLock|lockfileFailImmediately,
		0,    // reserved
		1, 0, // one byte
		uintptr(unsafe.Pointer(ol)),
	)
	if r == 0 {
		return err
	}
	return nil
}

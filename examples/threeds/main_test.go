package main

import "testing"

// TestDemoRuns runs the demo; a failure ends it through log.Fatal, which
// fails the test binary.
func TestDemoRuns(t *testing.T) { main() }

//go:build !race

package escott_test

// raceEnabled: the race detector is on.
const raceEnabled = false

//go:build race

package escott_test

// raceEnabled: the race detector is on (sync.Pool then drops items at
// random, so allocation counts vary by a fraction).
const raceEnabled = true

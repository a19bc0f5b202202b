package main

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/escott-go/escott"
)

// A request the SDK refused before sending says so, and says why: a link key
// with an unresolved unknown outcome is not "try again".
func TestOperatorDetailOfRequestsNotSent(t *testing.T) {
	unresolved := fmt.Errorf("capture: %w", &escott.UnresolvedError{OperateID: escott.OpCapture, LinkKey: "123456789012"})
	got := operatorDetail(unresolved, "123456789012")
	assert.Contains(t, got, "結果不明")
	assert.Contains(t, got, "123456789012")
	assert.NotContains(t, got, "再実行できます")
	ja, en := (&shop{log: slog.New(slog.DiscardHandler), store: newStore()}).logFailure(errorEntry{LinkKey: "123456789012"}, unresolved)
	assert.Contains(t, ja, "ショップにお問い合わせください")
	assert.Contains(t, en, "paying twice")

	inFlight := &escott.InFlightError{OperateID: escott.OpCapture, LinkKey: "123456789012"}
	assert.Contains(t, operatorDetail(inFlight, "123456789012"), "実行中")
	assert.Contains(t, operatorDetail(errors.New("dial tcp: refused"), "1"), "再実行できます")
}

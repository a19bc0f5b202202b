package escott_test

import (
	"testing"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/journaltest"
)

// The shared journal contract (internal/journaltest) for the client's default
// journal; the file and SQL journals run it in their own packages.
func TestMemoryJournalContract(t *testing.T) {
	journaltest.Run(t, func(*testing.T) escott.Journal { return escott.NewMemoryJournal() })
}

package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/threedstest"
	"github.com/escott-go/escott/sqlstore"
)

// Issue #11.5, DESIGN rule 6, gap "lost", across two instances sharing
// the PostgreSQL store: the host crashes while recording the browser return
// on one; the PostUrl copy on the other still has the host record the order.
func TestSQLThreeDSBrowserReturnHostCrashIsNotLost(t *testing.T) {
	browser, post := twoTDSStores(t)
	threedstest.BrowserReturnHostCrashIsNotLost(t, browser, post)
}

// Issue #11.5, DESIGN rule 6, gap "recorded twice", across two instances
// sharing the PostgreSQL store: the browser return on one instance arrives
// while the PostUrl callback on the other records the order.
func TestSQLThreeDSBrowserReturnDuringPostURLRecordsOnce(t *testing.T) {
	browser, post := twoTDSStores(t)
	threedstest.BrowserReturnDuringPostURLRecordsOnce(t, browser, post)
}

// twoTDSStores returns the 3-D Secure stores of two instances: two
// connection pools on one table.
func twoTDSStores(t *testing.T) (escott.ThreeDSStore, escott.ThreeDSStore) {
	t.Helper()
	db1, db2 := testDB(t), testDB(t)
	table := testTable(t, db1, "escott_tds_claim")
	a, err := sqlstore.NewThreeDSStore(context.Background(), db1, sqlstore.WithTable(table))
	require.NoError(t, err)
	b, err := sqlstore.NewThreeDSStore(context.Background(), db2, sqlstore.WithTable(table))
	require.NoError(t, err)
	return a, b
}

package escott_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// TestOptionsThatCannotApply: every Option that cannot apply is reported by
// NewClient, together with the Config's own problems, in one *ConfigError.
func TestOptionsThatCannotApply(t *testing.T) {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	cfg := srv.Config()
	cfg.TenantID = "1" // a Config problem, reported alongside

	_, err := escott.NewClient(cfg,
		escott.WithJournal(nil),
		escott.WithLogger(nil),
		escott.WithClock(nil),
		escott.WithHTTPClient(nil),
		escott.WithThreeDSStore(nil),
		escott.WithLinkKeyGenerator(nil),
		escott.WithTimeout(-time.Second),
		nil,
	)
	var cerr *escott.ConfigError
	require.ErrorAs(t, err, &cerr)
	assert.Len(t, cerr.Problems, 9, "%q", cerr.Problems)
	for _, want := range []string{"TenantID", "WithJournal", "WithLogger", "WithClock", "WithHTTPClient",
		"WithThreeDSStore", "WithLinkKeyGenerator", "WithTimeout", "option 8 is nil"} {
		assert.Contains(t, err.Error(), want)
	}

	// Valid options still build a client.
	_, err = escott.NewClient(srv.Config(), escott.WithTimeout(0), escott.WithClock(time.Now))
	require.NoError(t, err)
}

// TestNewLinkKeyAndMember: the generators cannot fail and give the
// documented shapes.
func TestNewLinkKeyAndMember(t *testing.T) {
	k := escott.NewLinkKey()
	assert.Regexp(t, `^[0-9]{12}$`, k)
	m := escott.NewMember()
	assert.Regexp(t, `^[0-9]{13}$`, m.ID)
	assert.Regexp(t, `^[0-9]{12}$`, m.Pass.Reveal())
	assert.NotEqual(t, k, escott.NewLinkKey())
}

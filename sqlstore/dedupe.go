package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/sqlutil"
)

// Row states of the dedupe table.
const (
	stateProcessing = "processing"
	stateDone       = "done"
)

// DedupeStore is an escott.DedupeStore in a database/sql table, shared by
// every instance using it, so that a notification the gateway delivers
// (or redelivers) to several instances reaches the subscribers once.
//
// A claim is a row in state "processing"; Done turns it into "done", kept
// for the TTL; Release deletes it. A claim older than the lease
// (WithLease) is presumed abandoned by an instance that died and may be
// taken over by the next delivery. The table holds notification keys
// (transaction ID and receipt number, length-prefixed when they contain
// '|', a SHA-256 when longer than 200 bytes, so every key fits an index
// entry) and times only, no secrets.
type DedupeStore struct {
	db  *sql.DB
	cfg *config
	q   struct{ claim, state, done, release, purge string }

	mu     sync.Mutex
	tokens map[string]string // key → token of this store's open claim
}

// NewDedupeStore returns a DedupeStore in db, creating its table when it is
// missing.
func NewDedupeStore(ctx context.Context, db *sql.DB, opts ...Option) (*DedupeStore, error) {
	cfg, base, err := newConfig(DefaultDedupeTable, escott.DefaultDedupeTTL, opts)
	if err != nil {
		return nil, err
	}
	t, ph := cfg.table, cfg.ph()
	// expires is set for done rows only; claim_token identifies the claim,
	// so that a Release after a takeover cannot drop the new holder's claim.
	err = createTable(ctx, db, t, []string{
		`CREATE TABLE IF NOT EXISTS ` + t + ` (
	dedupe_key  TEXT PRIMARY KEY,
	state       TEXT NOT NULL,
	claim_token TEXT NOT NULL,
	claimed_at  TIMESTAMP WITH TIME ZONE NOT NULL,
	expires     TIMESTAMP WITH TIME ZONE
)`,
		`CREATE INDEX IF NOT EXISTS ` + base + `_expires ON ` + t + ` (expires)`,
	})
	if err != nil {
		return nil, err
	}
	s := &DedupeStore{db: db, cfg: cfg, tokens: make(map[string]string)}
	// One statement claims a new key, an abandoned claim or an expired done
	// key; the database serialises it against every other instance.
	s.q.claim = `INSERT INTO ` + t + ` AS d (dedupe_key, state, claim_token, claimed_at, expires) VALUES (` +
		ph(1) + `, '` + stateProcessing + `', ` + ph(2) + `, ` + ph(3) + `, NULL) ON CONFLICT (dedupe_key) DO UPDATE SET ` +
		`state = '` + stateProcessing + `', claim_token = excluded.claim_token, claimed_at = excluded.claimed_at, expires = NULL ` +
		`WHERE (d.state = '` + stateProcessing + `' AND d.claimed_at < ` + ph(4) + `) OR (d.state = '` + stateDone +
		`' AND d.expires < ` + ph(5) + `)`
	s.q.state = `SELECT state FROM ` + t + ` WHERE dedupe_key = ` + ph(1)
	s.q.done = `INSERT INTO ` + t + ` AS d (dedupe_key, state, claim_token, claimed_at, expires) VALUES (` +
		ph(1) + `, '` + stateDone + `', '', ` + ph(2) + `, ` + ph(3) + `) ON CONFLICT (dedupe_key) DO UPDATE SET ` +
		`state = '` + stateDone + `', expires = excluded.expires`
	s.q.release = `DELETE FROM ` + t + ` WHERE dedupe_key = ` + ph(1) + ` AND state = '` + stateProcessing +
		`' AND claim_token = ` + ph(2)
	s.q.purge = `DELETE FROM ` + t + ` WHERE (state = '` + stateDone + `' AND expires < ` + ph(1) + `) OR (state = '` +
		stateProcessing + `' AND claimed_at < ` + ph(2) + `)`
	return s, nil
}

// Claim implements escott.DedupeStore. Of several instances claiming the
// same key at once, exactly one gets ClaimNew.
func (s *DedupeStore) Claim(ctx context.Context, key string) (escott.ClaimResult, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	token := hex.EncodeToString(b)
	for range 3 {
		now := sqlutil.Time(s.cfg.now())
		n, err := rowsAffected(s.db.ExecContext(ctx, s.q.claim, key, token, now, now.Add(-s.cfg.lease), now))
		if err != nil {
			return 0, fmt.Errorf("sqlstore: claim: %w", err)
		}
		if n == 1 {
			s.mu.Lock()
			s.tokens[key] = token
			s.mu.Unlock()
			return escott.ClaimNew, nil
		}
		var state string
		err = s.db.QueryRowContext(ctx, s.q.state, key).Scan(&state)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue // released in between: try again
		case err != nil:
			return 0, fmt.Errorf("sqlstore: claim: %w", err)
		case state == stateDone:
			return escott.ClaimSeen, nil
		default:
			return escott.ClaimBusy, nil
		}
	}
	return escott.ClaimBusy, nil
}

// Done implements escott.DedupeStore: the key counts as processed for the
// TTL, whoever held the claim.
func (s *DedupeStore) Done(ctx context.Context, key string) error {
	s.forget(key)
	now := sqlutil.Time(s.cfg.now())
	if _, err := s.db.ExecContext(ctx, s.q.done, key, now, now.Add(s.cfg.ttl)); err != nil {
		return fmt.Errorf("sqlstore: done: %w", err)
	}
	return nil
}

// Release implements escott.DedupeStore. It drops only a claim this store
// made and still holds: once another instance took the claim over after the
// lease, Release leaves it alone.
func (s *DedupeStore) Release(ctx context.Context, key string) error {
	token := s.forget(key)
	if token == "" {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, s.q.release, key, token); err != nil {
		return fmt.Errorf("sqlstore: release: %w", err)
	}
	return nil
}

// forget removes and returns this store's token for key.
func (s *DedupeStore) forget(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[key]
	delete(s.tokens, key)
	return t
}

// Purge deletes the done keys expired at now, and claims left in processing
// for longer than the TTL (their instance died and no redelivery came), and
// returns how many rows went. Expired rows are already ignored by Claim;
// Purge keeps the table small.
func (s *DedupeStore) Purge(ctx context.Context, now time.Time) (int64, error) {
	now = sqlutil.Time(now)
	n, err := rowsAffected(s.db.ExecContext(ctx, s.q.purge, now, now.Add(-s.cfg.ttl)))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: purge: %w", err)
	}
	return n, nil
}

// Format implements fmt.Formatter: the store prints as its type name only.
func (s *DedupeStore) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "*sqlstore.DedupeStore") }

var _ escott.DedupeStore = (*DedupeStore)(nil)

// Package sqlutil holds what the database/sql stores of package sqlstore
// share: table-name checks, placeholders, start-up DDL and
// driver-independent error classification.
package sqlutil

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Table checks a table name that may be qualified by a schema
// ("shop.escott_journal"): each part must be a plain identifier (letters,
// digits, underscores, not starting with a digit), because the name is
// written into the SQL text. It returns the unqualified name, for naming
// indexes, which live with the table.
func Table(name string) (base string, err error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("table name %q: at most one schema qualifier", name)
	}
	for _, p := range parts {
		if !identRE.MatchString(p) {
			return "", fmt.Errorf("table name %q: %q is not a plain identifier", name, p)
		}
	}
	return parts[len(parts)-1], nil
}

// Placeholders numbers query parameters: "$1", "$2"... for PostgreSQL, or
// "?" for every parameter when QuestionMarks is set (SQLite and others).
type Placeholders struct{ QuestionMarks bool }

// N returns the placeholder of parameter n (from 1).
func (p Placeholders) N(n int) string {
	if p.QuestionMarks {
		return "?"
	}
	return "$" + strconv.Itoa(n)
}

// ExecDDL runs one CREATE ... IF NOT EXISTS. Two instances starting at once
// can both pass PostgreSQL's existence check and one then fails with a
// unique violation in the catalog, a duplicate table (42P07) or a duplicate
// object (42710, the table's row type); the object exists by then, so retry.
func ExecDDL(ctx context.Context, db *sql.DB, stmt string) error {
	var err error
	for range 3 {
		_, err = db.ExecContext(ctx, stmt)
		if err == nil || !(IsUniqueViolation(err) || SQLState(err) == "42P07" || SQLState(err) == "42710") {
			return err
		}
	}
	return err
}

// Time drops what the database would round differently: the monotonic
// reading and anything below a microsecond.
func Time(t time.Time) time.Time { return t.Round(0).Truncate(time.Microsecond) }

// IsUniqueViolation reports a unique-constraint error without importing a
// driver: drivers that expose the SQLSTATE (pgx, lib/pq) answer 23505; the
// message is the fallback for the rest (SQLite says "UNIQUE constraint").
func IsUniqueViolation(err error) bool {
	if st := SQLState(err); st != "" {
		return st == "23505"
	}
	msg := err.Error()
	return strings.Contains(msg, "23505") || strings.Contains(msg, "duplicate key") ||
		strings.Contains(msg, "UNIQUE constraint")
}

// SQLState returns the SQLSTATE of a driver error that exposes one, or "".
func SQLState(err error) string {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		return st.SQLState()
	}
	return ""
}

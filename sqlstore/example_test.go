package sqlstore_test

import (
	"context"
	"database/sql"
	"log"
	"os"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/sqlstore"
)

// Every instance of the shop opens the same PostgreSQL database and uses it
// for the journal, the pending 3-D Secure attempts and the notification
// dedupe, so a return or a notification may land on any instance.
// (Compiled, not run: it needs a database, and a program that registers the
// driver, e.g. with import _ "github.com/jackc/pgx/v5/stdlib".)
func Example() {
	ctx := context.Background()
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	jr, err := sqlstore.NewJournal(ctx, db)
	if err != nil {
		log.Fatal(err)
	}
	tds, err := sqlstore.NewThreeDSStore(ctx, db)
	if err != nil {
		log.Fatal(err)
	}
	dedupe, err := sqlstore.NewDedupeStore(ctx, db, sqlstore.WithLease(5*time.Minute))
	if err != nil {
		log.Fatal(err)
	}

	client, err := escott.NewClient(escott.Config{ /* merchant credentials, AES key and IV */ },
		escott.WithJournal(jr), escott.WithThreeDSStore(tds))
	if err != nil {
		log.Fatal(err)
	}
	notify, err := client.NotificationHandler(escott.WithDedupeStore(dedupe))
	if err != nil {
		log.Fatal(err)
	}
	_, _ = client, notify

	// One instance purges expired rows (they hold card tokens and member
	// passwords until then).
	go func() {
		for range time.Tick(5 * time.Minute) {
			if _, err := tds.Purge(ctx, time.Now()); err != nil {
				log.Print(err)
			}
			if _, err := dedupe.Purge(ctx, time.Now()); err != nil {
				log.Print(err)
			}
		}
	}()
}

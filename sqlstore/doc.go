// Package sqlstore keeps the state a shop running several instances must
// share in a database/sql database: the journal of money-moving attempts
// ([Journal], for escott.WithJournal), the pending 3-D Secure attempts
// ([ThreeDSStore], for escott.WithThreeDSStore) and the notification dedupe
// records ([DedupeStore], for escott.WithDedupeStore). Together they let
// every instance behind a load balancer guard against a double submit and
// accept a 3-D Secure return or a notification meant for any other.
//
//	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL")) // the same database for every instance
//	jr, err := sqlstore.NewJournal(ctx, db)                // table escott_journal
//	tds, err := sqlstore.NewThreeDSStore(ctx, db)          // table escott_threeds
//	dedupe, err := sqlstore.NewDedupeStore(ctx, db)        // table escott_dedupe
//	client, err := escott.NewClient(cfg, escott.WithJournal(jr), escott.WithThreeDSStore(tds))
//	notify, err := client.NotificationHandler(escott.WithDedupeStore(dedupe))
//
// The stores were written for and tested against PostgreSQL. They use only
// portable SQL plus INSERT ... ON CONFLICT, so SQLite works too with
// [WithQuestionMarks]; MySQL does not. Each store creates its table (and an
// index) when it is missing; the caller keeps ownership of the *sql.DB.
//
// # Options and table names
//
// The three constructors take the same [Option] values. Each store's table
// is [DefaultJournalTable] ("escott_journal"), [DefaultThreeDSTable]
// ("escott_threeds") or [DefaultDedupeTable] ("escott_dedupe") unless
// [WithTable] names another, possibly schema-qualified ("shop.escott_journal");
// its indexes are named after the table without the schema plus a suffix
// ("escott_journal_open"). To keep several shops in one database, give
// each its own schema or prefix its three table names ("shop1_escott_journal").
// Run Purge on each store now and then (from one instance) to delete expired
// rows; expired rows are never returned even before they are purged.
//
// # Safety across instances
//
// Claiming a 3-D Secure attempt before the host records its result is one
// conditional UPDATE: of several instances settling the same attempt (the
// browser return and the mode A PostUrl copy landing on different
// instances, or a reload) exactly one gets the claim and the others
// escott.ErrAttemptClaimed; completing it is another, and once completed
// every Claim receives the first result with escott.ErrAttemptCompleted.
// Claiming a notification is one INSERT ... ON
// CONFLICT: exactly one instance gets escott.ClaimNew. A claim still
// processing after its lease ([WithLease], [DefaultLease]) is taken over by
// the next delivery, and so is a 3-D Secure claim: set the lease longer than
// the slowest subscriber and the slowest order recording.
//
// # Secrets at rest
//
// The authorisation after a mode B return needs the card token or the
// member's KaiinPass the attempt started with, and a mode A result holds the
// payment's ProcessPass, so the 3-D Secure table stores them in clear. Protect
// it like the shop's member table: only the shop's database role may read it;
// keep it out of reporting replicas, exports and unencrypted backups; purge
// it regularly. The 3-D Secure table also keeps what a result carries
// beyond the payment (its TransactionId, mode B warnings, the mode A
// AuthenticationUnconfirmed flag, the 3-D Secure 1.0 fields), so a result
// read on another instance is the same result. The dedupe table holds
// notification keys and times only — no secrets — and every key fits an
// index entry (at most 200 bytes; longer keys are stored as a SHA-256).
//
// Times the stores compare (expiry, lease) come from the instance's clock
// ([WithClock]), not the database's: keep the instances' clocks synchronised.
package sqlstore

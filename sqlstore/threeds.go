package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/shopspring/decimal"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/jst"
	"github.com/escott-go/escott/internal/sqlutil"
)

// ThreeDSStore is an escott.ThreeDSStore in a database/sql table, shared by
// every instance using the table: a 3-D Secure return or PostUrl copy may
// land on any of them, Claim lets one of them at a time have the host record
// the result (a claim lapses after the lease, WithLease, when its instance
// died), and Complete counts it once across all.
//
// Security: each row holds the attempt as the authorisation after the
// return needs it, including the card token (single-use, valid 30 minutes)
// or the member's ID and password (KaiinPass), and, once completed, the
// ProcessPass of a mode A payment. They stay until the row expires (the TTL)
// and is purged. Protect the table like the shop's own member table: restrict
// access to the shop's database role, keep it out of reporting replicas and
// unencrypted backups, and call Purge regularly.
type ThreeDSStore struct {
	db  *sql.DB
	cfg *config
	q   struct{ save, get, claim, claimState, complete, release, result, purge string }
}

// NewThreeDSStore returns a ThreeDSStore in db, creating its table when it
// is missing.
func NewThreeDSStore(ctx context.Context, db *sql.DB, opts ...Option) (*ThreeDSStore, error) {
	cfg, base, err := newConfig(DefaultThreeDSTable, escott.DefaultThreeDSTTL, opts)
	if err != nil {
		return nil, err
	}
	t, ph := cfg.table, cfg.ph()
	// attempt and result are JSON documents (see tdsAttempt and tdsResult);
	// result is NULL while the attempt is pending. claim_token and
	// claimed_at are the current claim (NULL when none): a request settling
	// the attempt holds it for the lease (WithLease).
	err = createTable(ctx, db, t, []string{
		`CREATE TABLE IF NOT EXISTS ` + t + ` (
	link_key  TEXT PRIMARY KEY,
	attempt   TEXT NOT NULL,
	result    TEXT,
	created   TIMESTAMP WITH TIME ZONE NOT NULL,
	expires   TIMESTAMP WITH TIME ZONE NOT NULL,
	completed TIMESTAMP WITH TIME ZONE,
	claim_token TEXT,
	claimed_at  TIMESTAMP WITH TIME ZONE
)`,
		`CREATE INDEX IF NOT EXISTS ` + base + `_expires ON ` + t + ` (expires)`,
	})
	if err != nil {
		return nil, err
	}
	s := &ThreeDSStore{db: db, cfg: cfg}
	// Save replaces an expired row in the same statement, so that two
	// instances reusing an expired key cannot both succeed.
	s.q.save = `INSERT INTO ` + t + ` AS s (link_key, attempt, result, created, expires, completed) VALUES (` +
		ph(1) + `, ` + ph(2) + `, NULL, ` + ph(3) + `, ` + ph(4) + `, NULL) ON CONFLICT (link_key) DO UPDATE SET ` +
		`attempt = excluded.attempt, result = NULL, created = excluded.created, expires = excluded.expires, completed = NULL, ` +
		`claim_token = NULL, claimed_at = NULL ` +
		`WHERE s.expires < ` + ph(5)
	s.q.get = `SELECT attempt, result FROM ` + t + ` WHERE link_key = ` + ph(1) + ` AND expires >= ` + ph(2)
	// One statement claims a pending attempt that nobody holds, or whose
	// claim's lease ran out; the database serialises it against every other
	// instance.
	s.q.claim = `UPDATE ` + t + ` SET claim_token = ` + ph(1) + `, claimed_at = ` + ph(2) +
		` WHERE link_key = ` + ph(3) + ` AND completed IS NULL AND expires >= ` + ph(4) +
		` AND (claim_token IS NULL OR claimed_at < ` + ph(5) + `)`
	s.q.claimState = `SELECT result, claim_token IS NOT NULL AND claimed_at >= ` + ph(1) + ` FROM ` + t +
		` WHERE link_key = ` + ph(2) + ` AND expires >= ` + ph(3)
	s.q.complete = `UPDATE ` + t + ` SET result = ` + ph(1) + `, completed = ` + ph(2) +
		`, claim_token = NULL, claimed_at = NULL WHERE link_key = ` + ph(3) + ` AND completed IS NULL AND expires >= ` + ph(4)
	s.q.release = `UPDATE ` + t + ` SET claim_token = NULL, claimed_at = NULL WHERE link_key = ` + ph(1) +
		` AND claim_token = ` + ph(2) + ` AND completed IS NULL`
	s.q.result = `SELECT result FROM ` + t + ` WHERE link_key = ` + ph(1) + ` AND expires >= ` + ph(2)
	s.q.purge = `DELETE FROM ` + t + ` WHERE expires < ` + ph(1)
	return s, nil
}

// Save implements escott.ThreeDSStore: ErrAttemptExists when an unexpired
// attempt has the link key.
func (s *ThreeDSStore) Save(ctx context.Context, a *escott.ThreeDSAttempt) error {
	doc, err := encodeAttempt(a)
	if err != nil {
		return fmt.Errorf("sqlstore: save %s: %w", a.LinkKey, err)
	}
	now := sqlutil.Time(s.cfg.now())
	n, err := rowsAffected(s.db.ExecContext(ctx, s.q.save, a.LinkKey, string(doc), now, now.Add(s.cfg.ttl), now))
	if err != nil {
		return fmt.Errorf("sqlstore: save %s: %w", a.LinkKey, err)
	}
	if n == 0 {
		return escott.ErrAttemptExists
	}
	return nil
}

// Get implements escott.ThreeDSStore.
func (s *ThreeDSStore) Get(ctx context.Context, linkKey string) (*escott.ThreeDSAttempt, *escott.ThreeDSResult, error) {
	var (
		attempt string
		result  sql.NullString
	)
	err := s.db.QueryRowContext(ctx, s.q.get, linkKey, sqlutil.Time(s.cfg.now())).Scan(&attempt, &result)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, escott.ErrNoAttempt
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: get %s: %w", linkKey, err)
	}
	a, err := decodeAttempt([]byte(attempt))
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: get %s: %w", linkKey, err)
	}
	if !result.Valid {
		return a, nil, nil
	}
	res, err := decodeResult([]byte(result.String))
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: get %s: %w", linkKey, err)
	}
	return a, res, nil
}

// Claim implements escott.ThreeDSStore. Of several instances claiming the
// same attempt at once, exactly one gets the claim; the others get
// escott.ErrAttemptClaimed until it is completed, released, or its lease
// (WithLease) runs out — then the next Claim takes it over.
func (s *ThreeDSStore) Claim(ctx context.Context, linkKey string) (string, *escott.ThreeDSResult, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	token := hex.EncodeToString(b)
	for range 3 {
		now := sqlutil.Time(s.cfg.now())
		lapsed := now.Add(-s.cfg.lease)
		n, err := rowsAffected(s.db.ExecContext(ctx, s.q.claim, token, now, linkKey, now, lapsed))
		if err != nil {
			return "", nil, fmt.Errorf("sqlstore: claim %s: %w", linkKey, err)
		}
		if n == 1 {
			return token, nil, nil
		}
		var (
			first sql.NullString
			held  bool
		)
		err = s.db.QueryRowContext(ctx, s.q.claimState, lapsed, linkKey, now).Scan(&first, &held)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return "", nil, escott.ErrNoAttempt
		case err != nil:
			return "", nil, fmt.Errorf("sqlstore: claim %s: %w", linkKey, err)
		case first.Valid:
			r, err := decodeResult([]byte(first.String))
			if err != nil {
				return "", nil, fmt.Errorf("sqlstore: claim %s: %w", linkKey, err)
			}
			return "", r, escott.ErrAttemptCompleted
		case held:
			return "", nil, escott.ErrAttemptClaimed
		}
		// Released (or its lease ran out) in between: try again.
	}
	return "", nil, escott.ErrAttemptClaimed
}

// Release implements escott.ThreeDSStore: it drops only the claim with this
// token, so a Release after another instance took the claim over leaves
// the new holder's claim alone.
func (s *ThreeDSStore) Release(ctx context.Context, linkKey, claim string) error {
	if claim == "" {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, s.q.release, linkKey, claim); err != nil {
		return fmt.Errorf("sqlstore: release %s: %w", linkKey, err)
	}
	return nil
}

// Complete implements escott.ThreeDSStore. Of several instances completing
// the same attempt at once, exactly one succeeds; the others get the
// winner's result with escott.ErrAttemptCompleted.
func (s *ThreeDSStore) Complete(ctx context.Context, linkKey string, res *escott.ThreeDSResult) (*escott.ThreeDSResult, error) {
	if res == nil {
		return nil, fmt.Errorf("sqlstore: complete %s: nil result", linkKey)
	}
	doc, err := encodeResult(res)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: complete %s: %w", linkKey, err)
	}
	// The UPDATE is the claim; when it finds nothing, read why. A pending
	// row seen there was replaced by a Save in between (an expired key
	// reused), so try again.
	for range 3 {
		now := sqlutil.Time(s.cfg.now())
		n, err := rowsAffected(s.db.ExecContext(ctx, s.q.complete, string(doc), now, linkKey, now))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: complete %s: %w", linkKey, err)
		}
		if n == 1 {
			return nil, nil
		}
		var first sql.NullString
		err = s.db.QueryRowContext(ctx, s.q.result, linkKey, now).Scan(&first)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, escott.ErrNoAttempt
		}
		if err != nil {
			return nil, fmt.Errorf("sqlstore: complete %s: %w", linkKey, err)
		}
		if first.Valid {
			r, err := decodeResult([]byte(first.String))
			if err != nil {
				return nil, fmt.Errorf("sqlstore: complete %s: %w", linkKey, err)
			}
			return r, escott.ErrAttemptCompleted
		}
	}
	return nil, fmt.Errorf("sqlstore: complete %s: the attempt keeps changing", linkKey)
}

// Purge deletes the attempts expired at now and returns how many. Expired
// rows are already invisible to Get and Complete; Purge removes the card
// tokens and member passwords they still hold. Call it regularly (e.g. every
// few minutes from one instance).
func (s *ThreeDSStore) Purge(ctx context.Context, now time.Time) (int64, error) {
	n, err := rowsAffected(s.db.ExecContext(ctx, s.q.purge, sqlutil.Time(now)))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: purge: %w", err)
	}
	return n, nil
}

// Format implements fmt.Formatter: the store prints as its type name only.
func (s *ThreeDSStore) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "*sqlstore.ThreeDSStore")
}

var _ escott.ThreeDSStore = (*ThreeDSStore)(nil)

// The stored forms. The escott types redact their secrets (token, KaiinPass,
// ProcessPass, raw fields) when marshalled, so they are copied field by field
// into these plain structs with the secrets revealed, and rebuilt on reading.

type tdsAttempt struct {
	LinkKey       string         `json:"link_key"`
	ProcNo        string         `json:"proc_no"`
	OperateID     string         `json:"operate_id"`
	Amount        *storedDec     `json:"amount"`
	SourceKind    string         `json:"source_kind,omitempty"` // token, member, member_ptr or "" for none
	Token         string         `json:"token,omitempty"`
	SourceMember  *tdsMember     `json:"source_member,omitempty"`
	Member        *tdsMember     `json:"member,omitempty"`
	PayType       string         `json:"pay_type"`
	Capture       escott.Capture `json:"mode"`
	OrderRef      string         `json:"order_ref"`
	MerchantFree2 string         `json:"merchant_free2"`
	MerchantFree3 string         `json:"merchant_free3"`
	RedirectURL   string         `json:"redirect_url"`
	PostURL       string         `json:"post_url"`
	Created       string         `json:"created"`
	Hosted        bool           `json:"hosted,omitempty"` // a link-type attempt
}

type tdsMember struct {
	ID   string `json:"id"`
	Pass string `json:"pass"`
}

type tdsResult struct {
	OperateID        string            `json:"operate_id"`
	LinkKey          string            `json:"link_key"`
	ResponseCode     string            `json:"response_code"`
	SecureResultCode string            `json:"secure_result_code"`
	ThreeDS          tdsData           `json:"three_ds"`
	Attempt          tdsAttempt        `json:"attempt"`
	Payment          *tdsPayment       `json:"payment,omitempty"`
	Duplicate        bool              `json:"duplicate"`
	TransactionID    string            `json:"transaction_id,omitempty"`
	Warnings         []string          `json:"warnings,omitempty"`
	Unconfirmed      bool              `json:"authentication_unconfirmed,omitempty"`
	MerchantFree2    string            `json:"merchant_free2"`
	MerchantFree3    string            `json:"merchant_free3"`
	Raw              map[string]string `json:"raw"`
}

type tdsData struct {
	SecureResultCode           string `json:"secure_result_code"`
	EncodeXID3D                string `json:"encode_xid_3d"`
	MessageVersionNo3D         string `json:"message_version_no_3d"`
	TransactionStatus3D        string `json:"transaction_status_3d"`
	CAVVAlgorithm3D            string `json:"cavv_algorithm_3d"`
	ECI3D                      string `json:"eci_3d"`
	CAVV3D                     string `json:"cavv_3d"`
	DSTransactionID            string `json:"ds_transaction_id"`
	ThreeDSServerTransactionID string `json:"three_ds_server_transac_id"`
	TransactionID3D            string `json:"transaction_id_3d,omitempty"`
	PANCard3D                  string `json:"pan_card_3d,omitempty"`
	PANCardNo3D                string `json:"pan_card_no_3d,omitempty"`
}

type tdsPayment struct {
	OperateID          string                    `json:"operate_id"`
	ProcessID          string                    `json:"process_id"`
	ProcessPass        string                    `json:"process_pass"`
	ProcessLinkKey     string                    `json:"process_link_key"`
	ProcessMember      *tdsMember                `json:"process_member,omitempty"`
	TransactionID      string                    `json:"transaction_id"`
	TransactionDate    string                    `json:"transaction_date"`
	Amount             *storedDec                `json:"amount"`
	PayType            string                    `json:"pay_type"`
	CompanyCode        string                    `json:"company_code"`
	ApprovalNumber     string                    `json:"approval_number"`
	SecurityCodeResult escott.SecurityCodeResult `json:"security_code_result"`
	SalesDate          string                    `json:"sales_date"`
	MerchantFree1      string                    `json:"merchant_free1"`
	MerchantFree2      string                    `json:"merchant_free2"`
	MerchantFree3      string                    `json:"merchant_free3"`
	Raw                map[string]string         `json:"raw"`
}

// storedDec keeps a decimal exactly (coefficient and exponent), so that
// "1000" and "1000.00" come back as they went in; nil is the zero value.
type storedDec struct {
	Coef string `json:"coef"`
	Exp  int32  `json:"exp"`
}

func encodeDec(d decimal.Decimal) *storedDec {
	if d == (decimal.Decimal{}) {
		return nil
	}
	return &storedDec{Coef: d.Coefficient().String(), Exp: d.Exponent()}
}

func decodeDec(s *storedDec) (decimal.Decimal, error) {
	if s == nil {
		return decimal.Decimal{}, nil
	}
	c, ok := new(big.Int).SetString(s.Coef, 10)
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("bad amount %q", s.Coef)
	}
	return decimal.NewFromBigInt(c, s.Exp), nil
}

// encodeTime keeps the instant and the UTC offset, so that a JST date still
// formats as the same day.
func encodeTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func decodeTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	switch _, off := t.Zone(); off {
	case 0:
		return t.UTC(), nil
	case 9 * 60 * 60:
		return t.In(jst.Zone), nil // the SDK's dates are JST
	}
	return t, nil
}

func encodeMember(m *escott.Member) *tdsMember {
	if m == nil {
		return nil
	}
	return &tdsMember{ID: m.ID, Pass: m.Pass.Reveal()}
}

func decodeMember(m *tdsMember) *escott.Member {
	if m == nil {
		return nil
	}
	return &escott.Member{ID: m.ID, Pass: escott.Secret(m.Pass)}
}

func toAttempt(a *escott.ThreeDSAttempt) (tdsAttempt, error) {
	r := tdsAttempt{
		LinkKey: a.LinkKey, ProcNo: a.ProcNo, OperateID: a.OperateID, Amount: encodeDec(a.Amount),
		Member: encodeMember(a.Member), PayType: string(a.PayType), Capture: a.Capture, OrderRef: a.OrderRef,
		MerchantFree2: a.MerchantFree2, MerchantFree3: a.MerchantFree3, RedirectURL: a.RedirectURL,
		PostURL: a.PostURL, Created: encodeTime(a.Created), Hosted: a.Hosted,
	}
	switch src := a.Source.(type) {
	case nil:
	case escott.CardToken:
		r.SourceKind, r.Token = "token", string(src)
	case escott.Member:
		r.SourceKind, r.SourceMember = "member", encodeMember(&src)
	case *escott.Member:
		r.SourceKind, r.SourceMember = "member_ptr", encodeMember(src)
	default:
		return r, fmt.Errorf("card source %T cannot be stored", src)
	}
	return r, nil
}

func fromAttempt(r *tdsAttempt) (*escott.ThreeDSAttempt, error) {
	amount, err := decodeDec(r.Amount)
	if err != nil {
		return nil, err
	}
	created, err := decodeTime(r.Created)
	if err != nil {
		return nil, err
	}
	a := &escott.ThreeDSAttempt{
		LinkKey: r.LinkKey, ProcNo: r.ProcNo, OperateID: r.OperateID, Amount: amount,
		Member: decodeMember(r.Member), PayType: escott.PayType(r.PayType), Capture: r.Capture, OrderRef: r.OrderRef,
		MerchantFree2: r.MerchantFree2, MerchantFree3: r.MerchantFree3, RedirectURL: r.RedirectURL,
		PostURL: r.PostURL, Created: created, Hosted: r.Hosted,
	}
	switch r.SourceKind {
	case "":
	case "token":
		a.Source = escott.CardToken(r.Token)
	case "member":
		if r.SourceMember == nil {
			return nil, errors.New("member source without member")
		}
		a.Source = *decodeMember(r.SourceMember)
	case "member_ptr":
		a.Source = decodeMember(r.SourceMember)
	default:
		return nil, fmt.Errorf("unknown card source kind %q", r.SourceKind)
	}
	return a, nil
}

func encodeAttempt(a *escott.ThreeDSAttempt) ([]byte, error) {
	r, err := toAttempt(a)
	if err != nil {
		return nil, err
	}
	return json.Marshal(r)
}

func decodeAttempt(b []byte) (*escott.ThreeDSAttempt, error) {
	var r tdsAttempt
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("stored attempt: %w", err)
	}
	a, err := fromAttempt(&r)
	if err != nil {
		return nil, fmt.Errorf("stored attempt: %w", err)
	}
	return a, nil
}

func encodeResult(res *escott.ThreeDSResult) ([]byte, error) {
	a, err := toAttempt(&res.Attempt)
	if err != nil {
		return nil, err
	}
	d := res.ThreeDS
	r := tdsResult{
		OperateID: res.OperateID, LinkKey: res.LinkKey, ResponseCode: res.ResponseCode,
		SecureResultCode: string(res.SecureResultCode),
		ThreeDS: tdsData{
			SecureResultCode: d.SecureResultCode, EncodeXID3D: d.EncodeXID3D, MessageVersionNo3D: d.MessageVersionNo3D,
			TransactionStatus3D: d.TransactionStatus3D, CAVVAlgorithm3D: d.CAVVAlgorithm3D, ECI3D: d.ECI3D,
			CAVV3D: d.CAVV3D, DSTransactionID: d.DSTransactionID, ThreeDSServerTransactionID: d.ThreeDSServerTransactionID,
			TransactionID3D: d.TransactionID3D, PANCard3D: d.PANCard3D, PANCardNo3D: d.PANCardNo3D,
		},
		Attempt: a, Duplicate: res.Duplicate, MerchantFree2: res.MerchantFree2, MerchantFree3: res.MerchantFree3,
		Raw: res.Raw.Map(), TransactionID: res.TransactionID, Unconfirmed: res.AuthenticationUnconfirmed,
	}
	for _, w := range res.Warnings {
		r.Warnings = append(r.Warnings, w.Value)
	}
	if p := res.Payment; p != nil {
		r.Payment = &tdsPayment{
			OperateID: p.OperateID, ProcessID: p.Process.ID, ProcessPass: p.Process.Pass.Reveal(),
			ProcessLinkKey: p.Process.LinkKey, ProcessMember: encodeMember(p.Process.Member),
			TransactionID: p.TransactionID, TransactionDate: encodeTime(p.TransactionDate), Amount: encodeDec(p.Amount),
			PayType: string(p.PayType), CompanyCode: p.CompanyCode, ApprovalNumber: p.ApprovalNumber,
			SecurityCodeResult: p.SecurityCodeResult, SalesDate: encodeTime(p.SalesDate),
			MerchantFree1: p.MerchantFree1, MerchantFree2: p.MerchantFree2, MerchantFree3: p.MerchantFree3, Raw: p.Raw.Map(),
		}
	}
	return json.Marshal(r)
}

func decodeResult(b []byte) (*escott.ThreeDSResult, error) {
	var r tdsResult
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("stored result: %w", err)
	}
	a, err := fromAttempt(&r.Attempt)
	if err != nil {
		return nil, fmt.Errorf("stored result: %w", err)
	}
	d := r.ThreeDS
	res := &escott.ThreeDSResult{
		OperateID: r.OperateID, LinkKey: r.LinkKey, ResponseCode: r.ResponseCode,
		SecureResultCode: escott.SecureResultCode(r.SecureResultCode),
		ThreeDS: escott.ThreeDSData{
			SecureResultCode: d.SecureResultCode, EncodeXID3D: d.EncodeXID3D, MessageVersionNo3D: d.MessageVersionNo3D,
			TransactionStatus3D: d.TransactionStatus3D, CAVVAlgorithm3D: d.CAVVAlgorithm3D, ECI3D: d.ECI3D,
			CAVV3D: d.CAVV3D, DSTransactionID: d.DSTransactionID, ThreeDSServerTransactionID: d.ThreeDSServerTransactionID,
			TransactionID3D: d.TransactionID3D, PANCard3D: d.PANCard3D, PANCardNo3D: d.PANCardNo3D,
		},
		Attempt: *a, Duplicate: r.Duplicate, MerchantFree2: r.MerchantFree2, MerchantFree3: r.MerchantFree3,
		Raw: escott.NewFields(r.Raw), TransactionID: r.TransactionID, AuthenticationUnconfirmed: r.Unconfirmed,
	}
	for _, w := range r.Warnings {
		c, _ := escott.LookupCode(w)
		res.Warnings = append(res.Warnings, c)
	}
	if p := r.Payment; p != nil {
		amount, err := decodeDec(p.Amount)
		if err != nil {
			return nil, fmt.Errorf("stored result: %w", err)
		}
		td, err := decodeTime(p.TransactionDate)
		if err != nil {
			return nil, fmt.Errorf("stored result: %w", err)
		}
		sd, err := decodeTime(p.SalesDate)
		if err != nil {
			return nil, fmt.Errorf("stored result: %w", err)
		}
		res.Payment = &escott.Payment{
			OperateID: p.OperateID,
			Process: escott.Process{ID: p.ProcessID, Pass: escott.Secret(p.ProcessPass), LinkKey: p.ProcessLinkKey,
				Member: decodeMember(p.ProcessMember)},
			TransactionID: p.TransactionID, TransactionDate: td, Amount: amount, PayType: escott.PayType(p.PayType),
			CompanyCode: p.CompanyCode, ApprovalNumber: p.ApprovalNumber, SecurityCodeResult: p.SecurityCodeResult,
			SalesDate: sd, MerchantFree1: p.MerchantFree1, MerchantFree2: p.MerchantFree2, MerchantFree3: p.MerchantFree3,
			Raw: escott.NewFields(p.Raw),
		}
	}
	return res, nil
}

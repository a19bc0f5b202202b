package escott

import (
	"fmt"
	"io"
	"log/slog"
)

// Member is a stored-card member (クイック決済会員) of the gateway: the
// merchant-chosen KaiinId and KaiinPass. Pass never appears when a Member is
// formatted or logged.
type Member struct {
	ID   string // KaiinId
	Pass Secret // KaiinPass
}

func (Member) cardSource() {}

// String shows the member ID only.
func (m Member) String() string { return "escott.Member{ID:" + m.ID + " Pass:" + m.Pass.String() + "}" }

// GoString is String.
func (m Member) GoString() string { return m.String() }

// Format implements fmt.Formatter, redacting the password with every verb.
func (m Member) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) }

// LogValue implements slog.LogValuer.
func (m Member) LogValue() slog.Value { return slog.StringValue(m.String()) }

// MemberService manages stored-card members (クイック決済, OCRP005). Get it
// from Client.Member.
type MemberService struct{ c *Client }

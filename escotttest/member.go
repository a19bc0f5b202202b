package escotttest

import (
	"fmt"
	"time"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/internal/ascii"
	"github.com/escott-go/escott/internal/jst"
)

// MaxFailedLogins is how many wrong KaiinPass values in a row lock a member
// (KaiinStatus 2, K74 from then on).
const MaxFailedLogins = 5

// member is one stored-card member.
//
// The status model: status holds 0 valid, 1 card invalid, 3 invalid or 4
// deleted; locked (status 2 when answered) is kept apart so that unlocking
// restores the status the member had.
type member struct {
	id, pass string
	card     card
	status   escott.MemberStatus
	locked   bool
	failed   int
	created  time.Time
	enable   time.Time // KaiinEnableDate: registration, or the last revalidation
}

func (m *member) reported() escott.MemberStatus {
	if m.locked {
		return escott.MemberLocked
	}
	return m.status
}

// memberState holds stored-card members by KaiinId. Deleted members stay, so
// that their KaiinId cannot be registered again (docs/protocol.md §6), until
// they expire (Config.MemberLifetime) or the cap (Limits.Members) makes room.
type memberState struct {
	byID  map[string]*member
	order []*member // registration order; members no longer in byID are skipped
	head  int
	max   int
}

func (s *memberState) init(maxMembers int) {
	s.byID = make(map[string]*member)
	s.max = maxMembers
}

// add registers m, then forgets members: the expired ones, and over the cap
// a tenth of it at once (so that the scan stays amortised O(1) per
// registration), deleted and invalid members first, oldest first, then the
// oldest others.
func (s *memberState) add(m *member, now time.Time, lifetime time.Duration) {
	s.byID[m.id] = m
	s.order = append(s.order, m)
	current := func(x *member) bool { return x != nil && s.byID[x.id] == x }
	// Registration order is expiry order: drop from the front.
	for s.head < len(s.order) {
		x := s.order[s.head]
		if current(x) && now.Sub(x.created) < lifetime {
			break
		}
		if current(x) {
			delete(s.byID, x.id)
		}
		s.order[s.head] = nil
		s.head++
	}
	if len(s.byID) > s.max {
		target := s.max - s.max/10
		for i := s.head; i < len(s.order) && len(s.byID) > target; i++ {
			if x := s.order[i]; current(x) && x != m && (x.status == escott.MemberDeleted || x.status == escott.MemberInvalid) {
				delete(s.byID, x.id)
			}
		}
		for s.head < len(s.order) && len(s.byID) > target {
			x := s.order[s.head]
			if x == m {
				break
			}
			if current(x) {
				delete(s.byID, x.id)
			}
			s.order[s.head] = nil
			s.head++
		}
	}
	if s.head > 1024 && s.head > len(s.order)/2 {
		s.order = append(s.order[:0], s.order[s.head:]...)
		s.head = 0
	}
}

func (g *Gateway) memberOps() map[string]opFunc {
	return map[string]opFunc{
		"4MemAdd":      g.memberAdd,
		"4MemChg":      g.memberChange,
		"4MemRef":      func(r *req) (answer, []string) { return g.memberRef(r, false) },
		"4MemRefM":     func(r *req) (answer, []string) { return g.memberRef(r, true) },
		"4MemRefToken": g.memberRefToken,
		"4MemInval":    g.memberInvalidate,
		"4MemUnInval":  g.memberRevalidate,
		"4MemDel":      g.memberDelete,
	}
}

// MemberInfo describes a member held by the fake gateway.
type MemberInfo struct {
	ID           string
	Status       escott.MemberStatus // as KaiinStatus would answer it
	MaskedNumber string              // first 6, asterisks, last 4
	Brand        escott.Brand
	Created      time.Time
	EnableDate   string // KaiinEnableDate, YYYYMMDD (JST)
	FailedLogins int    // wrong passwords since the last correct one
}

// Member returns a member by KaiinId. Members of the test environment that
// have expired (Config.MemberLifetime) are gone and report false.
func (g *Gateway) Member(id string) (MemberInfo, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.findMemberLocked(id, g.nowLocked())
	if m == nil {
		return MemberInfo{}, false
	}
	return MemberInfo{ID: m.id, Status: m.reported(), MaskedNumber: m.card.masked(), Brand: m.card.brand(),
		Created: m.created, EnableDate: jst.Date(m.enable), FailedLogins: m.failed}, true
}

// SetMemberStatus forces a member's status, e.g. escott.MemberCardInvalid to
// test a card the issuer no longer accepts. escott.MemberLocked locks the
// member (keeping its other status); escott.MemberValid also unlocks it.
func (g *Gateway) SetMemberStatus(id string, st escott.MemberStatus) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.findMemberLocked(id, g.nowLocked())
	if m == nil {
		return fmt.Errorf("escotttest: no member %q", id)
	}
	switch st {
	case escott.MemberLocked:
		m.locked = true
	case escott.MemberValid, escott.MemberCardInvalid, escott.MemberInvalid, escott.MemberDeleted:
		m.status, m.locked, m.failed = st, false, 0
	default:
		return fmt.Errorf("escotttest: status %d is not a KaiinStatus", int(st))
	}
	return nil
}

// findMemberLocked returns the member or nil. A member older than
// Config.MemberLifetime has expired, as test-environment members do after
// about two months: it is purged and its KaiinId is free again; the gateway
// answers K71 for it, like for any member it does not know.
func (g *Gateway) findMemberLocked(id string, now time.Time) *member {
	m, ok := g.members.byID[id]
	if !ok {
		return nil
	}
	if now.Sub(m.created) >= g.cfg.MemberLifetime {
		delete(g.members.byID, id)
		return nil
	}
	return m
}

// checkMemberFormat adds K01 for a missing and K45/K46 for a malformed
// KaiinId/KaiinPass. It reports whether both are usable.
func checkMemberFormat(id, pass string, c *codeList) bool {
	n := len(*c)
	if id == "" || pass == "" {
		c.add("K01")
	}
	if id != "" && (!ascii.IsAlnum(id) || len(id) > 20) {
		c.add("K45")
	}
	if pass != "" && (!ascii.IsAlnum(pass) || len(pass) > 20) {
		c.add("K46")
	}
	return len(*c) == n
}

// authMemberLocked finds a member and checks its password: K71 for an
// unknown member or a wrong password (counting failures, which lock the
// member at MaxFailedLogins), K74 for a locked member whatever the password.
// allowLocked lets the references and revalidation see a locked member when
// the password is right.
func (g *Gateway) authMemberLocked(id, pass string, now time.Time, c *codeList, allowLocked bool) *member {
	if !checkMemberFormat(id, pass, c) {
		return nil
	}
	m := g.findMemberLocked(id, now)
	switch {
	case m == nil:
		c.add("K71")
		return nil
	case m.locked && (m.pass != pass || !allowLocked):
		c.add("K74")
		return nil
	case m.pass != pass:
		if m.status != escott.MemberDeleted {
			m.failed++
			if m.failed >= MaxFailedLogins {
				m.locked = true
			}
		}
		c.add("K71")
		return nil
	}
	m.failed = 0
	return m
}

// memberCardLocked resolves KaiinId/KaiinPass to the member's card for
// 1Auth, 1Gathering and 1Check: K71/K74 as authMemberLocked, K72 when the
// card is invalid, K75 when the member is invalid or deleted.
func (g *Gateway) memberCardLocked(id, pass string, now time.Time, c *codeList) (card, bool) {
	m := g.authMemberLocked(id, pass, now, c, false)
	if m == nil {
		return card{}, false
	}
	switch m.status {
	case escott.MemberCardInvalid:
		c.add("K72")
		return card{}, false
	case escott.MemberInvalid, escott.MemberDeleted:
		c.add("K75")
		return card{}, false
	}
	return m.card, true
}

// addMemberLocked registers a member with a card: K45/K46 format, K69 when
// the KaiinId is taken (also by a deleted member). It returns the error
// codes, nil on success. The caller has checked and consumed the card source.
func (g *Gateway) addMemberLocked(id, pass string, cd card, now time.Time) []string {
	var c codeList
	if !checkMemberFormat(id, pass, &c) {
		return c
	}
	if g.findMemberLocked(id, now) != nil {
		return []string{"K69"}
	}
	g.members.add(&member{id: id, pass: pass, card: cd, status: escott.MemberValid, created: now, enable: now}, now, g.cfg.MemberLifetime)
	return nil
}

// changeMemberCardLocked replaces a member's card: K71/K74 as for a payment,
// K75 for an invalid or deleted member. A card-invalid member becomes valid.
// It returns the error codes, nil on success.
func (g *Gateway) changeMemberCardLocked(id, pass string, cd card, now time.Time) []string {
	var c codeList
	m := g.authMemberLocked(id, pass, now, &c, false)
	if m == nil {
		return c
	}
	if m.status == escott.MemberInvalid || m.status == escott.MemberDeleted {
		return []string{"K75"}
	}
	m.card, m.status = cd, escott.MemberValid
	return nil
}

// memberToken checks the request's token without consuming it.
func (g *Gateway) memberToken(r *req, c *codeList) *token {
	if !r.has("Token") {
		c.add("K01")
		return nil
	}
	tk, _ := g.lookupToken(r.get("Token"), r.now, c)
	return tk
}

func (g *Gateway) memberAdd(r *req) (answer, []string) {
	var c codeList
	checkMemberFormat(r.get("KaiinId"), r.get("KaiinPass"), &c)
	tk := g.memberToken(r, &c)
	if len(c) > 0 {
		return nil, c
	}
	if codes := g.addMemberLocked(r.get("KaiinId"), r.get("KaiinPass"), tk.card, r.now); codes != nil {
		return nil, codes // the token stays usable: the card was never looked at
	}
	tk.used = true
	a := answer{}
	a.set("CompanyCd", companyCodes[tk.card.brand()])
	return a, nil
}

// memberChange replaces the member's card (4MemChg) and, when NewKaiinPass
// is sent (SPS's EC-CUBE module does), its password: K47 for a malformed
// NewKaiinPass (same rule as KaiinPass).
func (g *Gateway) memberChange(r *req) (answer, []string) {
	var c codeList
	checkMemberFormat(r.get("KaiinId"), r.get("KaiinPass"), &c)
	newPass := r.get("NewKaiinPass")
	if newPass != "" && (!ascii.IsAlnum(newPass) || len(newPass) > 20) {
		c.add("K47")
	}
	tk := g.memberToken(r, &c)
	if len(c) > 0 {
		return nil, c
	}
	if codes := g.changeMemberCardLocked(r.get("KaiinId"), r.get("KaiinPass"), tk.card, r.now); codes != nil {
		return nil, codes
	}
	if newPass != "" {
		g.members.byID[r.get("KaiinId")].pass = newPass
	}
	tk.used = true
	a := answer{}
	a.set("CompanyCd", companyCodes[tk.card.brand()])
	return a, nil
}

// memberRef answers the stored card: the full number for 4MemRef, the masked
// one for 4MemRefM. A locked, invalid or deleted member is still shown (with
// the right password), so that the merchant can see its KaiinStatus.
func (g *Gateway) memberRef(r *req, masked bool) (answer, []string) {
	var c codeList
	m := g.authMemberLocked(r.get("KaiinId"), r.get("KaiinPass"), r.now, &c, true)
	if m == nil {
		return nil, c
	}
	a := answer{}
	describeCard(&a, m.card, masked)
	a.set("KaiinStatus", fmt.Sprint(int(m.reported())))
	a.set("KaiinEnableDate", jst.Date(m.enable))
	return a, nil
}

// memberRefToken answers the card behind a token (トークン会員参照) without
// consuming the token. There is no member, so no KaiinStatus.
func (g *Gateway) memberRefToken(r *req) (answer, []string) {
	var c codeList
	tk := g.memberToken(r, &c)
	if tk == nil {
		return nil, c
	}
	a := answer{}
	describeCard(&a, tk.card, true)
	return a, nil
}

func describeCard(a *answer, cd card, masked bool) {
	if masked {
		a.set("CardNo", cd.masked())
	} else {
		a.set("CardNo", cd.number)
	}
	a.set("CardExp", cd.expYY+cd.expMM)
	a.set("CompanyCd", companyCodes[cd.brand()])
}

// memberInvalidate: K75 unless the member is valid or card-invalid.
func (g *Gateway) memberInvalidate(r *req) (answer, []string) {
	var c codeList
	m := g.authMemberLocked(r.get("KaiinId"), r.get("KaiinPass"), r.now, &c, false)
	if m == nil {
		return nil, c
	}
	if m.status == escott.MemberInvalid || m.status == escott.MemberDeleted {
		return nil, []string{"K75"}
	}
	m.status = escott.MemberInvalid
	return answer{}, nil
}

// memberRevalidate makes an invalid member valid again and unlocks a locked
// one (the merchant's remedy after repeated wrong passwords): K73 when the
// member is already valid and not locked, K75 when it is deleted.
func (g *Gateway) memberRevalidate(r *req) (answer, []string) {
	var c codeList
	m := g.authMemberLocked(r.get("KaiinId"), r.get("KaiinPass"), r.now, &c, true)
	if m == nil {
		return nil, c
	}
	switch {
	case m.status == escott.MemberDeleted:
		return nil, []string{"K75"}
	case m.locked:
		m.locked = false
	case m.status != escott.MemberInvalid:
		return nil, []string{"K73"}
	}
	if m.status == escott.MemberInvalid {
		m.status = escott.MemberValid
		m.enable = r.now
	}
	a := answer{}
	a.set("CompanyCd", companyCodes[m.card.brand()])
	return a, nil
}

// memberDelete: K70 unless the member was invalidated first, K75 when it is
// already deleted.
func (g *Gateway) memberDelete(r *req) (answer, []string) {
	var c codeList
	m := g.authMemberLocked(r.get("KaiinId"), r.get("KaiinPass"), r.now, &c, false)
	if m == nil {
		return nil, c
	}
	switch m.status {
	case escott.MemberDeleted:
		return nil, []string{"K75"}
	case escott.MemberInvalid:
		m.status = escott.MemberDeleted
		return answer{}, nil
	}
	return nil, []string{"K70"}
}

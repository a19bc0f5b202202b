package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/escott-go/escott"
	policy "github.com/escott-go/escott/shop"
)

// cardView is a stored card as the member pages show it: brand, last four,
// expiry and status from 4MemRefM, never the number.
type cardView struct {
	Label  string // "VISA •••• 1111"
	Masked string // "411111******1111"
	Expiry string // "2031/12", as the Welcart member screen shows it
	Status string
	CanPay bool
	Gone   bool // invalid or deleted at the gateway
}

func newCardView(c *escott.MemberCard) *cardView {
	v := &cardView{
		Label: cardLabel(c.Brand, c.Last4), Masked: c.MaskedNumber,
		Status: memberStatusLabel(c.Status), CanPay: c.Status.CanPay(), Gone: c.Gone(),
	}
	if c.ExpiryYear > 0 && c.ExpiryMonth > 0 {
		v.Expiry = fmt.Sprintf("%04d/%02d", c.ExpiryYear, int(c.ExpiryMonth))
	}
	return v
}

// memberStatusLabel is KaiinStatus in Japanese and English.
func memberStatusLabel(s escott.MemberStatus) string {
	ja := map[escott.MemberStatus]string{
		escott.MemberValid: "有効", escott.MemberCardInvalid: "カード無効", escott.MemberLocked: "ロック",
		escott.MemberInvalid: "会員無効", escott.MemberDeleted: "会員削除",
	}[s]
	if ja == "" {
		return "不明 (" + s.String() + ")"
	}
	return ja
}

// readCard reads the member's card for a page. A K71 answer (the gateway
// does not know the member) is a note, not an error page.
func (s *shop) readCard(r *http.Request, m escott.Member) (*cardView, string) {
	ctx, cancel := gatewayContext(r)
	defer cancel()
	card, err := s.client.Member.GetMasked(ctx, m)
	switch {
	case errors.Is(err, escott.ErrMemberMismatch):
		return nil, "登録カードが見つかりません。"
	case err != nil:
		s.log.Warn("stored card", "member", m, "err", err)
		return nil, "登録カードを確認できません。しばらくしてからお試しください。"
	}
	return newCardView(card), ""
}

// memberPage is the shopper's マイページ: the stored card and a form to
// change it. As in Welcart, shoppers may change their card but not delete
// it: deleting is the operator's (/admin/members/{name}).
func (s *shop) memberPage(w http.ResponseWriter, r *http.Request) {
	s.renderMember(w, r, nil)
}

// memberFailure is a failed card change shown on the member page.
type memberFailure struct{ JA, EN, Field string }

func (s *shop) renderMember(w http.ResponseWriter, r *http.Request, failed *memberFailure) {
	c := s.store.customerOf(sessionID(r))
	if c == nil {
		s.message(w, r, http.StatusUnauthorized, "マイページ", "ログインしてください。 (Please log in.)")
		return
	}
	body := map[string]any{"Name": c.Name, "Failed": failed, "Changed": r.URL.Query().Get("changed") != "", "CardField": ""}
	if failed != nil && failed.Field != "" {
		body["CardField"], body["CardFieldJA"] = failed.Field, fieldMessages[failed.Field].JA
	}
	if c.Member != nil {
		body["Card"], body["Note"] = s.readCard(r, *c.Member)
	}
	tag, err := s.client.Token.ScriptTag("onToken")
	if err != nil {
		s.log.Error("token script", "err", err)
	}
	body["ScriptTag"] = tag
	body["Years"], body["DefaultYear"] = expiryYears(time.Now())
	s.render(w, r, http.StatusOK, "member", "マイページ", body)
}

// changeCard stores the card behind the posted token: 4MemChg for a member,
// 4MemAdd for a customer without one. The token is consumed either way and
// neither is re-sent after an unknown outcome.
func (s *shop) changeCard(w http.ResponseWriter, r *http.Request) {
	c := s.store.customerOf(sessionID(r))
	if c == nil {
		http.Redirect(w, r, "/member", http.StatusSeeOther)
		return
	}
	token := escott.CardToken(r.PostFormValue("token"))
	if token == "" {
		s.message(w, r, http.StatusBadRequest, "カード情報", "カード情報を受け取れませんでした。JavaScript を有効にしてお試しください。 (No card token: the page needs JavaScript.)")
		return
	}
	ctx, cancel := gatewayContext(r)
	defer cancel()
	op, m, err := escott.OpMemberChange, c.Member, error(nil)
	if m != nil {
		_, err = s.client.Member.ChangeCard(ctx, *m, &escott.MemberChangeCardParams{Token: token})
	} else {
		op = escott.OpMemberAdd
		nm := escott.NewMember()
		m = &nm
		_, err = s.client.Member.Register(ctx, nm, &escott.MemberRegisterParams{Token: token})
		if err == nil || isUnknown(err) {
			// After an unknown outcome the member may exist: keep it,
			// and let the next 4MemRefM (K71 or a card) tell.
			s.store.setMember(c.Name, m)
		}
	}
	if err != nil {
		ja, en := s.logFailure(errorEntry{At: time.Now(), Member: c.Name, Op: op}, err)
		s.renderMember(w, r, &memberFailure{JA: ja, EN: en, Field: cardField(err)})
		return
	}
	s.log.Info("stored card changed", "customer", c.Name, "op", op, "member", *m)
	http.Redirect(w, r, "/member?changed=1", http.StatusSeeOther)
}

// memberRow is a customer with a stored card on the admin pages.
type memberRow struct {
	Name     string
	MemberID string
	LastAuth time.Time // last authorisation-only (与信) sale; zero if none
}

func (s *shop) adminMembers(w http.ResponseWriter, r *http.Request) {
	var rows []memberRow
	for _, c := range s.store.customerList() {
		if c.Member != nil {
			rows = append(rows, memberRow{Name: c.Name, MemberID: c.Member.ID, LastAuth: s.store.lastAuthOnlySale(c.Name)})
		}
	}
	s.render(w, r, http.StatusOK, "admin_members", "会員一覧", map[string]any{"Members": rows})
}

// deleteFailure is a failed Member.Delete as the admin page shows it.
type deleteFailure struct {
	Step        string // 4MemInval or 4MemDel
	Invalidated bool
	Detail      string
}

// adminMember is the operator's 会員データ編集 screen for one customer: the
// stored card and the delete action, guarded by the 90-day rule.
func (s *shop) adminMember(w http.ResponseWriter, r *http.Request) {
	s.renderAdminMember(w, r, nil)
}

func (s *shop) renderAdminMember(w http.ResponseWriter, r *http.Request, failed *deleteFailure) {
	c, ok := s.store.customerNamed(r.PathValue("name"))
	if !ok {
		s.message(w, r, http.StatusNotFound, "会員", "この会員はいません。")
		return
	}
	now := time.Now()
	last := s.store.lastAuthOnlySale(c.Name)
	can, from := policy.CanDelete(last, now)
	body := map[string]any{
		"Name": c.Name, "Path": url.PathEscape(c.Name), "LastAuth": last,
		"CanDelete": can, "DeletableFrom": from, "Failed": failed, "Deleted": r.URL.Query().Get("deleted"),
	}
	if c.Member != nil {
		body["MemberID"] = c.Member.ID
		body["Card"], body["Note"] = s.readCard(r, *c.Member)
	}
	s.render(w, r, http.StatusOK, "admin_member", "会員 "+c.Name, body)
}

// deleteMember deletes the customer's member at the gateway (4MemInval,
// then 4MemDel) and forgets it locally. It refuses while the customer had an
// authorisation-only sale in the last 90 days.
func (s *shop) deleteMember(w http.ResponseWriter, r *http.Request) {
	c, ok := s.store.customerNamed(r.PathValue("name"))
	if !ok || c.Member == nil {
		s.message(w, r, http.StatusNotFound, "会員", "この会員の登録カードはありません。")
		return
	}
	if can, from := policy.CanDelete(s.store.lastAuthOnlySale(c.Name), time.Now()); !can {
		s.message(w, r, http.StatusConflict, "会員 "+c.Name,
			"直近90日以内に与信による売上があるため削除できません。"+from.In(jstZone).Format("2006-01-02")+" から削除できます。")
		return
	}
	if r.PostFormValue("confirm") != "1" {
		s.confirm(w, r, confirmation{
			Title: "会員 " + c.Name + " の削除",
			Text: "会員 " + c.Name + " の登録カードをゲートウェイから削除します（会員無効化の後、会員削除）。" +
				"削除した会員は元に戻せません。よろしければ「削除する」を押してください。",
			Action: "/admin/members/" + url.PathEscape(c.Name) + "/delete", Button: "削除する",
			Back: "/admin/members/" + url.PathEscape(c.Name),
		})
		return
	}
	ctx, cancel := gatewayContext(r)
	defer cancel()
	err := s.client.Member.Delete(ctx, *c.Member, nil)
	if err != nil {
		f := &deleteFailure{Step: escott.OpMemberInvalidate, Detail: operatorDetail(err, "")}
		var derr *escott.DeleteMemberError
		if errors.As(err, &derr) {
			f.Step, f.Invalidated = derr.OperateID, derr.Invalidated
		}
		s.logFailure(errorEntry{At: time.Now(), Member: c.Name, Op: f.Step}, err)
		// The member stays recorded: Delete can simply be repeated (an
		// already invalid member goes straight to 4MemDel).
		s.renderAdminMember(w, r, f)
		return
	}
	s.store.setMember(c.Name, nil)
	s.log.Info("member deleted", "customer", c.Name, "member", *c.Member)
	http.Redirect(w, r, "/admin/members/"+url.PathEscape(c.Name)+"?deleted="+url.QueryEscape(c.Member.ID), http.StatusSeeOther)
}

// expiryYears are the expiry-year choices of a card form and the default.
func expiryYears(now time.Time) ([]string, string) {
	now = now.In(jstZone)
	var years []string
	for y := now.Year(); y < now.Year()+10; y++ {
		years = append(years, fmt.Sprintf("%02d", y%100))
	}
	return years, fmt.Sprintf("%02d", (now.Year()+3)%100)
}

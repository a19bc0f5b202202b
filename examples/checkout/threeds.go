package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/escott-go/escott"
)

// Every card payment of the shop runs EMV 3-D Secure (Japan's card-security
// guidelines require it for online card payments since March 2025). The
// operator chooses the mode; the shopper does not choose whether.
//
// All of the shop's 3-D Secure code is in this file.

// threeDSMode is the operator's choice of 3-D Secure flow.
type threeDSMode string

const (
	// threeDSModeB authenticates first (OperateId 3Secure) and authorises
	// from the shop after the return (Authorize): the shop sees the
	// authentication result before any money moves.
	threeDSModeB threeDSMode = "B"
	// threeDSModeA authenticates and authorises in one go: the gateway
	// authorises after authenticating, and the return carries the payment.
	threeDSModeA threeDSMode = "A"
)

// envThreeDSMode selects the mode when the -3ds flag is not given.
const envThreeDSMode = "ESCOTT_DEMO_3DS_MODE"

func parseThreeDSMode(s string) (threeDSMode, error) {
	switch s {
	case "", "B", "b":
		return threeDSModeB, nil
	case "A", "a":
		return threeDSModeA, nil
	}
	return "", fmt.Errorf("3-D Secure mode must be A or B, not %q", s)
}

// Label is the mode as the admin page shows it.
func (m threeDSMode) Label() string {
	if m == threeDSModeA {
		return "方式A: 認証と与信を一括 (3-D Secure with authorisation)"
	}
	return "方式B: 認証後にショップが与信 (authenticate, then authorise)"
}

// threeDSReturnPath is the RedirectUrl: the gateway sends the shopper's
// browser back here with the result.
const threeDSReturnPath = "/3ds/return"

// startThreeDS begins 3-D Secure for an order in the operator's mode and
// answers the page that sends the browser to the gateway (OTDS010).
func (s *shop) startThreeDS(ctx context.Context, w http.ResponseWriter, r *http.Request, o order, p *escott.ThreeDSStartParams) {
	p.Amount = escott.Yen(o.Amount)
	p.RedirectURL = absURL(r, threeDSReturnPath)
	p.Capture, p.LinkKey, p.OrderRef = s.set.Capture, o.LinkKey, o.ID
	if p.PayType == "" {
		p.PayType = escott.PayType(r.PostFormValue("paytype"))
	}
	var form *escott.ThreeDSForm
	var err error
	op := escott.OpThreeDS
	if s.set.ThreeDS == threeDSModeA {
		op = s.payOp()
		form, err = s.client.ThreeDS.StartAuthorize(ctx, p)
	} else {
		form, err = s.client.ThreeDS.Start(ctx, p)
	}
	if err != nil {
		s.completeCard(w, r, o.ID, op, nil, err)
		return
	}
	form.ServeHTTP(w, r)
}

// threeDSReturn is the RedirectUrl. The gateway's page POSTs here from its
// own site, so the request carries no session cookie (SameSite=Lax): this
// handler never renders a page, it sends the browser on to a page of the
// shop, where the cookie is back.
func (s *shop) threeDSReturn(w http.ResponseWriter, r *http.Request) {
	res, err := s.client.ThreeDS.HandleReturn(r, &escott.ThreeDSReturnParams{Record: s.recordThreeDSPayment})
	var failed *escott.AuthenticationError
	switch {
	case errors.As(err, &failed):
		res = failed.Result // the authentication or the gateway's authorisation failed
	case errors.Is(err, escott.ErrReturnInProgress):
		// The same result is being recorded by another request (a double
		// click, or a reload while the first is still working): nothing to
		// do but wait and reload.
		s.message(w, r, http.StatusServiceUnavailable, "処理中",
			"お支払いを処理しています。しばらくしてからページを再読み込みしてください。 (Your payment is being processed; reload this page in a few seconds.)")
		return
	case res == nil:
		s.refusedReturn(w, r, err)
		return
	}
	o, ok := s.store.order(res.Attempt.OrderRef)
	if !ok || o.LinkKey != res.LinkKey {
		s.log.Warn("3-D Secure return for no order of this shop", "link_key", res.LinkKey)
		http.Redirect(w, r, "/3ds/refused", http.StatusSeeOther)
		return
	}
	if res.Duplicate {
		// Mode A: the same result again (Back and resubmit): the order was
		// recorded by the first one.
		http.Redirect(w, r, "/orders/"+o.ID+"?again=1", http.StatusSeeOther)
		return
	}
	if res.Payment != nil {
		// Mode A: the gateway authorised (confirmed by 1Search), and
		// recordThreeDSPayment recorded it before the SDK completed the
		// attempt.
		http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
		return
	}
	_ = s.store.update(o.ID, func(o *order) bool { o.ThreeDS = res.SecureResultCode; return false })
	if err != nil {
		op := escott.OpThreeDS
		if res.OperateID != escott.OpThreeDS {
			op = res.OperateID
		}
		s.completeCard(w, r, o.ID, op, nil, err)
		return
	}
	// Mode B: Authorize sends the authorisation and completes the attempt.
	ctx, cancel := gatewayContext(r)
	defer cancel()
	pay, err := s.client.ThreeDS.Authorize(ctx, res)
	s.completeCard(w, r, o.ID, s.payOp(), pay, err)
}

// errThreeDSNoOrder refuses to record a 3-D Secure payment for no order of
// the shop.
var errThreeDSNoOrder = errors.New("3-D Secure payment for no order of this shop")

// recordThreeDSPayment records a mode A payment on its order. The SDK calls
// it once per payment, before it completes the 3-D Secure attempt (a PostUrl
// handler would take the same function as its onPayment).
func (s *shop) recordThreeDSPayment(_ context.Context, res *escott.ThreeDSResult) error {
	o, ok := s.store.order(res.Attempt.OrderRef)
	if !ok || o.LinkKey != res.LinkKey {
		return errThreeDSNoOrder
	}
	_ = s.store.update(o.ID, func(o *order) bool { o.ThreeDS = res.SecureResultCode; return false })
	s.recordCard(o.ID, res.OperateID, res.Payment, nil)
	return nil
}

// refusedReturn answers a return the SDK refused. A replay of a result
// already used (the shopper pressed Back after paying and sent the page
// again) leads to the order it paid; anything else is refused without
// naming an order.
func (s *shop) refusedReturn(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Warn("3-D Secure return refused", "err", err)
	var rerr *escott.ReturnError
	if errors.As(err, &rerr) && rerr.LinkKey != "" {
		if o, ok := s.store.orderByLinkKey(rerr.LinkKey); ok {
			switch o.Status {
			case statusAuthorized, statusCaptured, statusUnknown:
				// The order page shows it only to the shopper who made it.
				http.Redirect(w, r, "/orders/"+o.ID+"?again=1", http.StatusSeeOther)
				return
			case statusFailed:
				http.Redirect(w, r, "/checkout?order="+o.ID, http.StatusSeeOther)
				return
			}
		}
	}
	http.Redirect(w, r, "/3ds/refused", http.StatusSeeOther)
}

func (s *shop) threeDSRefused(w http.ResponseWriter, r *http.Request) {
	s.message(w, r, http.StatusBadRequest, "カードの本人認証",
		"この認証結果は受け付けられません。お支払いは行われていません。 (This authentication result was refused; nothing was charged.)")
}

package escott

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/escott-go/escott/internal/wire"
)

// Observer is told about every gateway call a Client makes and every inbound
// message its handlers receive, so that a host can trace and count them: the
// module github.com/escott-go/escott/otel implements it with OpenTelemetry
// spans and metrics. Set it with WithObserver; a Client without one does
// nothing more than a nil check per call.
//
// The values an Observer receives describe the call, never its data: they
// hold no secret (merchant password, token, card data, member password,
// ProcessPass, AES key) and no amount — only operation names, link keys
// (the order reference the client also logs), outcomes, response codes and
// statuses, so that they may be exported as they are.
//
// The SDK calls the methods synchronously on the caller's goroutine: keep
// them fast and never block. A panic in one of them is recovered and logged
// with the client's logger at error level, so that an observer cannot cost a
// payment its outcome: the call goes on (or returns its result) as if the
// observer had returned ctx unchanged. Embed NopObserver to implement only
// some of the methods, and to keep compiling when later versions add some.
type Observer interface {
	// StartCall is called before a gateway call is journaled and sent.
	// The context it returns is the call's: the journal, the HTTP request
	// (and so the transport's own spans) and EndCall get it. Derive it from
	// ctx (it must keep ctx's deadline and cancellation), or return ctx
	// itself to add nothing.
	StartCall(ctx context.Context, c Call) context.Context
	// EndCall is called once the call ended, with the context StartCall
	// returned and c completed (Outcome, Attempts, Codes …).
	EndCall(ctx context.Context, c Call)
	// StartInbound is called when a handler starts on an inbound message
	// (a notification, a 3-D Secure return or PostUrl copy). The context it
	// returns is the one the handler runs with: the gateway calls it makes
	// (a confirmation inquiry) and the host's callbacks get it.
	StartInbound(ctx context.Context, in Inbound) context.Context
	// EndInbound is called once the message was handled, with the context
	// StartInbound returned and in completed (Result, Reason …).
	EndInbound(ctx context.Context, in Inbound)
}

// NopObserver is an Observer that does nothing. Embed it in an observer that
// implements only some of the methods.
type NopObserver struct{}

// StartCall returns ctx.
func (NopObserver) StartCall(ctx context.Context, _ Call) context.Context { return ctx }

// EndCall does nothing.
func (NopObserver) EndCall(context.Context, Call) {}

// StartInbound returns ctx.
func (NopObserver) StartInbound(ctx context.Context, _ Inbound) context.Context { return ctx }

// EndInbound does nothing.
func (NopObserver) EndInbound(context.Context, Inbound) {}

// WithObserver sets the observer of the client's gateway calls and of the
// handlers built from it (NotificationHandler, ThreeDS.HandleReturn,
// ThreeDS.PostURLHandler). A nil observer is a configuration error (omit the
// option to observe nothing).
func WithObserver(o Observer) Option {
	return func(opts *options) error {
		if o == nil {
			return errors.New("WithObserver: nil Observer")
		}
		opts.obs = o
		return nil
	}
}

// CallOutcome is how a gateway call ended, as an Observer sees it.
type CallOutcome uint8

// The outcomes of a gateway call.
const (
	// CallSucceeded: the gateway answered OK.
	CallSucceeded CallOutcome = iota + 1
	// CallRefused: the gateway answered with response codes (an *Error).
	CallRefused
	// CallUnknown: the request may have been processed but no answer was
	// read (an *OutcomeUnknownError): reconcile it by its link key.
	CallUnknown
	// CallFailed: no answer, and nothing changed at the gateway because of
	// the call: a read-only call, or a request that never reached the
	// gateway, after its retries (a *TransportError).
	CallFailed
	// CallNotSent: the SDK sent nothing: the journal refused or failed to
	// record the attempt, another request with the link key is in flight,
	// or the deadline passed first. Invalid parameters are refused before
	// a call starts (an *ValidationError, returned without a call to the
	// Observer).
	CallNotSent
)

// String returns "succeeded", "refused", "unknown", "failed" or "not_sent".
func (o CallOutcome) String() string {
	switch o {
	case CallSucceeded:
		return "succeeded"
	case CallRefused:
		return "refused"
	case CallUnknown:
		return "unknown"
	case CallFailed:
		return "failed"
	case CallNotSent:
		return "not_sent"
	}
	return fmt.Sprintf("CallOutcome(%d)", uint8(o))
}

// Call describes one gateway call to an Observer. StartCall gets the first
// four fields; EndCall gets them all. It holds no secret and no amount.
type Call struct {
	// Operation is the OperateId, e.g. OpGathering ("1Gathering").
	Operation string
	// Service is the gateway's API the call goes to: "card" (OAUT002),
	// "member" (OCRP005), "cvs" (OCNV005) or "token" (OATN005).
	Service string
	// LinkKey is the request's MerchantFree1: the order reference that
	// identifies the attempt in the merchant console and the journal. It is
	// not a secret; the client logs it too.
	LinkKey string
	// ReadOnly calls (1Search, 2Ref, 4MemRef*, 1TokenSearch) are retried
	// even after they may have reached the gateway; the others never are.
	ReadOnly bool

	// Outcome is how the call ended.
	Outcome CallOutcome
	// Attempts is the number of requests made: more than 1 only for a
	// retried read-only call or a connection that could not be made; 0
	// when nothing was sent.
	Attempts int
	// Codes are the response codes of a refusal, e.g. ["G12"]; nil
	// otherwise. The slice is shared: do not modify it.
	Codes []string
	// Class is the primary class of the first code of a refusal, else 0.
	Class Class
	// HTTPStatus is the status of the last answer read (200 for every
	// gateway answer), 0 when none was.
	HTTPStatus int
	// Err is the error the call returns, nil on success. The SDK's own
	// messages name the operation, link key and codes, never a secret; the
	// error of a call not sent may wrap the host's journal's error as it is.
	Err error
}

// callNote is what the request path reports to an observed call.
type callNote struct{ attempts int }

// serviceOf names the API of a server endpoint path.
func serviceOf(path string) string {
	switch path {
	case pathCard:
		return "card"
	case pathMember:
		return "member"
	case pathCVS:
		return "cvs"
	case pathToken:
		return "token"
	}
	return path
}

// observeCall runs do for k between the observer's StartCall and EndCall.
func (c *Client) observeCall(ctx context.Context, k call) (*wire.Response, error) {
	info := Call{Operation: k.op, Service: serviceOf(k.path), LinkKey: k.linkKey, ReadOnly: k.read}
	octx := c.startCall(ctx, info)
	n, _ := c.notes.Get().(*callNote) // pooled: k, and so n, escapes
	if n == nil {
		n = new(callNote)
	}
	n.attempts = 0
	k.note = n
	resp, err := c.do(octx, k)
	info.Attempts, info.Err = n.attempts, err
	c.notes.Put(n)
	switch {
	case err == nil:
		info.Outcome, info.HTTPStatus = CallSucceeded, http.StatusOK
	case resp != nil: // a refusal: do returns the answer with its *Error
		info.Outcome, info.HTTPStatus, info.Codes = CallRefused, http.StatusOK, resp.Codes
		if len(resp.Codes) > 0 {
			cd, _ := LookupCode(resp.Codes[0])
			info.Class = cd.Class
		}
	default:
		info.Outcome = outcomeOf(err)
		var hs *HTTPStatusError
		if errors.As(err, &hs) {
			info.HTTPStatus = hs.StatusCode
		}
	}
	c.endCall(octx, info)
	return resp, err
}

// outcomeOf classifies the error of a call that got no answer.
func outcomeOf(err error) CallOutcome {
	switch {
	case errors.Is(err, ErrOutcomeUnknown):
		return CallUnknown
	case errors.Is(err, ErrTransport):
		return CallFailed
	}
	return CallNotSent
}

// startCall is StartCall, recovering a panic.
func (c *Client) startCall(ctx context.Context, info Call) (out context.Context) {
	out = ctx
	defer c.recoverObserver(ctx, "StartCall", &out)
	if got := c.obs.StartCall(ctx, info); got != nil {
		out = got
	}
	return out
}

// endCall is EndCall, recovering a panic.
func (c *Client) endCall(ctx context.Context, info Call) {
	defer c.recoverObserver(ctx, "EndCall", nil)
	c.obs.EndCall(ctx, info)
}

// recoverObserver logs a panic of the observer's method and, for a Start
// method, makes it return ctx unchanged.
func (c *Client) recoverObserver(ctx context.Context, method string, out *context.Context) {
	if v := recover(); v != nil {
		if out != nil {
			*out = ctx
		}
		c.log.ErrorContext(ctx, "escott: observer panicked; the call went on without it",
			"method", method, "panic", fmt.Sprint(v))
	}
}

// InboundKind is the kind of an inbound message.
type InboundKind uint8

// The inbound messages an Observer sees.
const (
	// InboundNotification is a payment-received notification
	// (NotificationHandler).
	InboundNotification InboundKind = iota + 1
	// InboundThreeDSReturn is a 3-D Secure result the shopper's browser
	// brought back (ThreeDSService.HandleReturn).
	InboundThreeDSReturn
	// InboundThreeDSPostURL is the gateway's server-to-server copy of a
	// mode A result (ThreeDSService.PostURLHandler).
	InboundThreeDSPostURL
	// InboundLinkReturn is the result of the gateway's hosted card page the
	// shopper's browser brought back (LinkService.HandleReturn).
	InboundLinkReturn
)

// String returns "notification", "3ds_return", "3ds_post_url" or
// "link_return".
func (k InboundKind) String() string {
	switch k {
	case InboundNotification:
		return "notification"
	case InboundThreeDSReturn:
		return "3ds_return"
	case InboundThreeDSPostURL:
		return "3ds_post_url"
	case InboundLinkReturn:
		return "link_return"
	}
	return fmt.Sprintf("InboundKind(%d)", uint8(k))
}

// InboundResult is how an inbound message was handled.
type InboundResult uint8

// The results of an inbound message.
const (
	// InboundAccepted: processed. A notification reached the subscribers;
	// a 3-D Secure result may go on (mode B, member) or its payment was
	// recorded (mode A).
	InboundAccepted InboundResult = iota + 1
	// InboundDuplicate: already processed (a redelivery, or the second
	// copy of a mode A result): acknowledged without running the host's
	// code again.
	InboundDuplicate
	// InboundRefused: forged, malformed, not for this client, or a replay:
	// refused, nothing done. Reason says why.
	InboundRefused
	// InboundDeclined: a 3-D Secure result whose authentication failed or
	// whose payment the gateway refused (an *AuthenticationError), or a
	// hosted card page's result that the shopper cancelled or the gateway
	// refused (a *LinkError; Reason says which).
	InboundDeclined
	// InboundBusy: another request is handling the same message right now.
	InboundBusy
	// InboundFailed: the host's callback, a store or a confirmation inquiry
	// failed. The gateway redelivers a notification or PostUrl copy; the
	// shopper can reload a return.
	InboundFailed
)

// String returns "accepted", "duplicate", "refused", "declined", "busy" or
// "failed".
func (r InboundResult) String() string {
	switch r {
	case InboundAccepted:
		return "accepted"
	case InboundDuplicate:
		return "duplicate"
	case InboundRefused:
		return "refused"
	case InboundDeclined:
		return "declined"
	case InboundBusy:
		return "busy"
	case InboundFailed:
		return "failed"
	}
	return fmt.Sprintf("InboundResult(%d)", uint8(r))
}

// Inbound describes an inbound message to an Observer. StartInbound gets
// Kind only; EndInbound gets every field known. It holds no secret and no
// amount.
type Inbound struct {
	Kind   InboundKind
	Result InboundResult
	// Event is a notification's kind: "payment" or "other" (an OtherEvent);
	// empty when it was refused before it was read.
	Event string
	// Operation is the OperateId of a 3-D Secure or hosted-page result's
	// attempt: OpThreeDS (mode B), OpAuth or OpGathering (mode A, or a
	// hosted-page payment), OpMemberAdd or OpMemberChange; empty when
	// unknown.
	Operation string
	// LinkKey is the message's MerchantFree1, when it was read.
	LinkKey string
	// Codes are the response codes of a 3-D Secure or hosted-page result
	// that is not OK (P51 … for a shopper who cancelled), or of a
	// notification that is not a payment.
	Codes []string
	// SecureResultCode is a 3-D Secure result's, when it was read.
	SecureResultCode SecureResultCode
	// Status is the HTTP status a handler answered; 0 for HandleReturn.
	Status int
	// Reason says why a message was refused or failed, without the
	// submitted data.
	Reason string
}

// startInbound is StartInbound, recovering a panic: it returns r with the
// observer's context.
func startInbound(o Observer, log *slog.Logger, r *http.Request, kind InboundKind) *http.Request {
	ctx := r.Context()
	out := ctx
	func() {
		defer func() {
			if v := recover(); v != nil {
				out = ctx
				log.ErrorContext(ctx, "escott: observer panicked; the handler went on without it",
					"method", "StartInbound", "panic", fmt.Sprint(v))
			}
		}()
		if got := o.StartInbound(ctx, Inbound{Kind: kind}); got != nil {
			out = got
		}
	}()
	if out == ctx {
		return r
	}
	return r.WithContext(out)
}

// endInbound is EndInbound, recovering a panic.
func endInbound(ctx context.Context, o Observer, log *slog.Logger, in *Inbound) {
	defer func() {
		if v := recover(); v != nil {
			log.ErrorContext(ctx, "escott: observer panicked", "method", "EndInbound", "panic", fmt.Sprint(v))
		}
	}()
	o.EndInbound(ctx, *in)
}

// endInboundIfPanicking, deferred after startInbound, reports the end of an
// inbound message whose handling panicked (the host's callback: Record, a
// subscriber) as failed, so that the observer's span is not left open, and
// lets the panic go on to the host's server. in holds what is known so far.
func endInboundIfPanicking(ctx context.Context, o Observer, log *slog.Logger, in *Inbound) {
	v := recover()
	if v == nil {
		return
	}
	in.Result, in.Reason = InboundFailed, "the host's callback panicked"
	endInbound(ctx, o, log, in)
	panic(v)
}

// endNotification completes in from the handler's answer and reports it.
func (h *NotificationHandler) endNotification(ctx context.Context, in *Inbound, status int) {
	in.Status = status
	if in.Result == 0 {
		switch {
		case status == http.StatusOK:
			in.Result = InboundAccepted
		case status == http.StatusServiceUnavailable:
			in.Result, in.Reason = InboundBusy, "being processed by another request"
		case status >= http.StatusInternalServerError:
			in.Result = InboundFailed
		case status == http.StatusUnprocessableEntity:
			in.Result = InboundRefused
			if in.Reason == "" {
				in.Reason = "the confirmation inquiry contradicts the notification"
			}
		default:
			in.Result = InboundRefused
		}
	}
	endInbound(ctx, h.obs, h.log, in)
}

// observeReturn runs HandleReturn between StartInbound and EndInbound.
func (s *ThreeDSService) observeReturn(r *http.Request, p *ThreeDSReturnParams) (*ThreeDSResult, error) {
	r = startInbound(s.c.obs, s.c.log, r, InboundThreeDSReturn)
	defer endInboundIfPanicking(r.Context(), s.c.obs, s.c.log, &Inbound{Kind: InboundThreeDSReturn})
	res, err := s.handleReturn(r, p)
	in := returnInbound(InboundThreeDSReturn, res, err)
	endInbound(r.Context(), s.c.obs, s.c.log, &in)
	return res, err
}

// observeLinkReturn runs a link-type HandleReturn between StartInbound and
// EndInbound.
func (s *LinkService) observeLinkReturn(r *http.Request, p *LinkReturnParams) (*LinkResult, error) {
	r = startInbound(s.c.obs, s.c.log, r, InboundLinkReturn)
	defer endInboundIfPanicking(r.Context(), s.c.obs, s.c.log, &Inbound{Kind: InboundLinkReturn})
	res, err := s.handleReturn(r, p)
	var in Inbound
	var le *LinkError
	switch {
	case errors.As(err, &le):
		in = Inbound{Kind: InboundLinkReturn, Result: InboundDeclined, Operation: le.OperateID, LinkKey: le.LinkKey,
			Reason: "refused by the gateway"}
		if le.Cancelled() {
			in.Reason = "the shopper cancelled"
		}
		var ge *Error
		if errors.As(le.Err, &ge) {
			for _, c := range ge.Codes {
				in.Codes = append(in.Codes, c.Value)
			}
		}
		if le.Result != nil {
			in.SecureResultCode = le.Result.SecureResultCode
		}
	case res != nil:
		in = Inbound{Kind: InboundLinkReturn, Result: InboundAccepted, Operation: res.OperateID, LinkKey: res.LinkKey,
			SecureResultCode: res.SecureResultCode}
	default:
		in = returnInbound(InboundLinkReturn, nil, err)
	}
	endInbound(r.Context(), s.c.obs, s.c.log, &in)
	return res, err
}

// returnInbound describes the end of a 3-D Secure return or PostUrl copy
// from what HandleReturn (or the PostUrl handler) got.
func returnInbound(kind InboundKind, res *ThreeDSResult, err error) Inbound {
	in := Inbound{Kind: kind}
	var ae *AuthenticationError
	var re *ReturnError
	var ve *ValidationError
	if res == nil && errors.As(err, &ae) {
		res = ae.Result // HandleReturn's failure: the result is in the error
	}
	switch {
	case res != nil && res.Duplicate:
		in.Result = InboundDuplicate
	case res != nil && err == nil && res.Err() == nil:
		in.Result = InboundAccepted
	case res != nil:
		in.Result = InboundDeclined // authentication failed or the gateway refused
	case errors.As(err, &re):
		in.Result, in.LinkKey, in.Reason = InboundRefused, re.LinkKey, re.Reason
	case errors.Is(err, ErrNoAESKey):
		in.Result, in.Reason = InboundRefused, "Config.AESKey and AESIV are not set"
	case errors.Is(err, ErrReturnInProgress):
		in.Result, in.Reason = InboundBusy, "being recorded by another request"
	case errors.As(err, &ve):
		in.Result, in.Operation, in.Reason = InboundFailed, ve.OperateID, "invalid use: "+ve.Error()
	default:
		in.Result, in.Reason = InboundFailed, "not recorded: the host's callback, the store or the confirmation failed"
	}
	if res != nil {
		in.Operation, in.LinkKey, in.SecureResultCode = res.OperateID, res.LinkKey, res.SecureResultCode
		if res.ResponseCode != "OK" {
			in.Codes, _ = wire.SplitCodes(res.ResponseCode)
		}
	}
	if kind == InboundThreeDSPostURL {
		switch in.Result {
		case InboundRefused:
			in.Status = http.StatusBadRequest
		case InboundBusy:
			in.Status = http.StatusServiceUnavailable
		case InboundFailed:
			in.Status = http.StatusInternalServerError
		default:
			in.Status = http.StatusOK
		}
	}
	return in
}

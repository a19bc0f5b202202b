// Package escott is a client for e-SCOTT Smart, Sony Payment Services' (SPS)
// payment gateway for Japanese online shops: card payments by token, stored
// cards (クイック決済), EMV 3-D Secure, online collection (convenience store,
// Pay-easy, net banking, e-money) and the payment-received notifications the
// gateway sends back. Package escotttest is a fake gateway that speaks the same
// protocol, so that everything can be tested offline.
//
// The wire protocol, with the evidence for every field and the decisions this
// package takes where the public sources disagree, is described in
// docs/protocol.md in the repository; doc comments cite it as
// "docs/protocol.md §N". Going live (credentials, notification URL, daily
// reconciliation) is described in docs/going-live.md.
//
// # Construction and configuration
//
// A [Client] is built from the merchant's settings ([Config]) as SPS issues
// them: MerchantID (the same in the test environment and production),
// MerchantPass (different in each), TenantID (0001 for a single shop, and
// always in the test environment), the [Environment], the token auth code for
// the card tokenisation script, and the AES key and IV for 3-D Secure.
// [NewClient] validates the whole configuration and reports every problem at
// once as a [*ConfigError]:
//
//	client, err := escott.NewClient(escott.Config{
//		MerchantID:    "1234567",
//		MerchantPass:  os.Getenv("ESCOTT_MERCHANT_PASS"),
//		Environment:   escott.Production,
//		TokenAuthCode: os.Getenv("ESCOTT_TOKEN_AUTH_CODE"),
//		AESKey:        os.Getenv("ESCOTT_AES_KEY"),
//		AESIV:         os.Getenv("ESCOTT_AES_IV"),
//	}, escott.WithLogger(logger), escott.WithJournal(j))
//
// A Client is safe for concurrent use and reuses connections: create one per
// merchant configuration and keep it. The default HTTP client speaks
// HTTP/1.1 only, as the production clients do. Options: [WithHTTPClient]
// (copied once by NewClient, and the copy follows no redirect; yours is
// never modified), [WithLogger] (debug logs carry operation, link key,
// duration and response codes, never a secret), [WithTimeout] (a bound on the
// whole call, retries and journal included), [WithJournal],
// [WithThreeDSStore], [WithRetryPolicy], [WithClock] and
// [WithLinkKeyGenerator]; an option that cannot apply (a nil journal, logger,
// clock or HTTP client, a negative timeout) is reported by NewClient with the
// Config's problems. Config.BaseURL points the client at a fake gateway.
// A Config, a Client (value or pointer, wherever it is nested), the
// services and every result type print and log with their secrets redacted;
// values that must be stored, such as ProcessPass, are a [Secret] whose
// Reveal method returns them, and json.Marshal refuses a value holding one
// ([ErrSecretInJSON]) rather than lose it. Amounts are decimal.Decimal whole
// yen: write them with [Yen].
//
// All gateway dates are dates in Japan (JST, UTC+9) whatever the host's time
// zone: the client computes TransactionDate and SalesDate in JST, and results
// expose time.Time values in JST together with the raw fields.
//
// # The five services
//
// Each service is a field of the Client and every network method takes a
// context first:
//
//   - [Client.Card] ([CardService]): [CardService.Pay] takes a payment by card
//     token or stored member, as 1Gathering (authorise and record the sale,
//     the default, [CaptureNow]) or 1Auth ([CaptureLater], authorise only);
//     follow-ups are [CardService.Capture], [CardService.ChangeAmount],
//     [CardService.Cancel], [CardService.Reauthorize] (a new Process that
//     keeps the original's capture mode; SalesDate is always sent) and the
//     read-only [CardService.Inquire], each as (ctx, process, *Params);
//     [CardService.Check] checks a card without an amount. Payments and
//     checks can carry authentication-assist data ([AuthAssist]: kana name,
//     birthday, phone digits) and, with a stored card, the security code
//     again (PaymentParams.SecurityCode). [PayTypeChoices] gives the payment
//     divisions (installments, bonus, revolving) to offer for a card number
//     and the merchant's contract; 2-series Mastercard numbers (2221–2720)
//     are Mastercard.
//   - [Client.Member] ([MemberService]): stored-card members. A [Member]
//     (KaiinId and KaiinPass, from [NewMember]) is registered with a token
//     ([MemberService.Register]) and is then a card source for Pay.
//     [MemberService.RegisterAndPay] does both in one checkout;
//     [MemberService.ChangeCard] replaces the card, and the member's password
//     with it when MemberChangeCardParams.NewPass is set; package shop's
//     CanDelete applies the 90-day rule before [MemberService.Delete].
//   - [Client.CVS] ([CVSService]): online collection. [CVSService.Register]
//     (2Add) converts the shopper's name, kana, phone and product names to
//     what the gateway accepts and returns the payment number and the URLs of
//     the payment page; the order stays unpaid until the payment-received
//     notification arrives. shop.FeePolicy computes the shop's fee.
//   - [Client.Token] ([TokenService]): the script tag that loads the
//     gateway's tokenisation script on the checkout page
//     ([TokenService.ScriptTag]), so that the card number never reaches the
//     shop, and the token status inquiry [TokenService.Inquire] (OK only when
//     both ResponseCd and TokenResponseCd are; it does not use the token).
//   - [Client.ThreeDS] ([ThreeDSService]): EMV 3-D Secure, below.
//   - [Client.Link] ([LinkService]): the link type, the gateway's hosted card
//     page, below.
//
// Every operation that moves money returns a [Process] (ProcessId,
// ProcessPass, the link key and the member, if any). Store all of it with the
// order, field by field: follow-ups need it, and ProcessPass is a secret at
// rest. A job rebuilds it with a struct literal (see the Process example).
// Follow-ups share one shape, (ctx, process or member, *XxxParams) with nil
// for the defaults, and each money-moving params struct can carry a LinkKey,
// an OrderRef for the journal and MerchantFree2/3.
//
// # Link keys
//
// Each money-moving request carries a link key in MerchantFree1, shown in the
// gateway's merchant console as 自由領域1 (Welcart calls it 決済ID). Give one
// per order in PaymentParams.LinkKey (1–32 ASCII letters, digits or '-';
// [NewLinkKey] makes one) or let the client generate it, and keep it with
// the order: it is the only way to find a payment whose answer was lost.
// Follow-ups reuse the order's link key.
//
// # Errors and what to do with each
//
// Every error can be tested with errors.Is and errors.As:
//
//   - [*ValidationError] ([ErrValidation]): a parameter is invalid; nothing
//     was sent. Fields names each gateway field. Fix the input.
//   - [*Error]: the gateway answered and refused; no money moved for that
//     request. It matches one error per [Class] of its codes:
//     [ErrDeclined] (ask the shopper for another card), [ErrPaymentOption]
//     (the payment division is not allowed), [ErrTemporary] (system or
//     issuer unavailable: let the shopper try again later), [ErrInvalidRequest]
//     and [ErrMerchant] (a bug or a contract/console setting: alert the
//     operator), [ErrState] (not allowed in the transaction's state),
//     [ErrMember], [ErrToken], [ErrThreeDS] and [ErrAuthAssist] (K41–K44:
//     the authentication-assist data does not match; ask the shopper to
//     check it); and the conditions hosts branch on, generated from the code
//     table: [ErrUnknownProcess], [ErrWrongState] (already captured,
//     cancelled or paid), [ErrMemberMismatch], [ErrMemberLocked],
//     [ErrMemberIDInUse], [ErrTokenUsed], [ErrTokenExpired] and the other
//     member conditions.
//     [Error.ShopperMessage] is safe to show the shopper in Japanese or
//     English; each [Code] carries the operator's message in both languages.
//   - [*OutcomeUnknownError] ([ErrOutcomeUnknown]): a request that moves
//     money or changes state (1Check, 4MemInval, 4MemUnInval and 4MemDel
//     included) may have reached the gateway but no trustworthy answer was
//     read (the connection broke, the deadline passed, a redirect or a
//     non-200 status came back, the answer was not a gateway answer, or it
//     did not echo the OperateId and link key sent: [ErrNotThisAnswer]). The
//     card may have been charged. The client never re-sends such a request,
//     and neither should the host: mark the order "outcome unknown", keep the
//     link key, and reconcile it (see the journal below).
//   - [*TransportError] ([ErrTransport]): no answer for a request that is safe
//     to report as not processed (a read-only call, or a connection that was
//     never made), after the retries allowed. Retry later.
//   - [*InFlightError] (matches [ErrState]): a request for the same link key
//     is still in flight, usually a double submit. Wait for the first.
//   - [*UnresolvedError] (matches [ErrState] and [ErrJournalUnresolved]): the
//     link key's last attempt ended with an unknown outcome that nobody has
//     resolved; nothing was sent. Reconcile it first (Journal.Resolve).
//   - [*AuthenticationError] (matches [ErrThreeDS], or the gateway's
//     [*Error] it wraps): 3-D Secure did not allow the payment; ask for
//     another card. Its Result is the accepted return. [*ReturnError]
//     ([ErrReturnRefused]): a 3-D Secure return was refused (tampered,
//     foreign, replayed); nothing was sent because of it.
//   - [*MemberPaymentError] and [*DeleteMemberError] name the step of a
//     two-step member operation that failed ([Step]) and wrap that step's
//     error.
//
// # Contexts: a charge must not use the request's context
//
// Every call honours its context: when it is cancelled or its deadline
// passes the call returns at once. For a money-moving call whose request has
// already left, that return is an *OutcomeUnknownError, because the gateway
// may still process it. So do not pass an HTTP handler's r.Context() to a
// charge: it is cancelled when the shopper closes the tab or the connection
// drops, which would cut a payment off mid-flight and leave its outcome
// unknown for no reason. Detach it from cancellation and bound it instead:
//
//	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), time.Minute)
//	defer cancel()
//	pay, err := client.Card.Pay(ctx, params)
//
// context.WithoutCancel keeps the request's values (trace IDs, loggers) and
// drops only its cancellation.
//
// # Never charged twice
//
// Requests that move money or change state (1Auth, 1Gathering, 1Capture,
// 1Change, 1Delete, 1ReAuth, 1Check, 4MemAdd, 4MemChg, 4MemInval,
// 4MemUnInval, 4MemDel, 2Add, 2Chg, 2Del and the mode A 3-D Secure start) are
// sent at most once by every layer: only a request whose body was never read
// is retried. The body can be read once and has no GetBody, and redirects
// are never followed, whatever *http.Client the host passes in, so that no
// layer of net/http can replay a payment after an HTTP/2 reset, a GOAWAY or
// a 307/308; an answer a host transport got by sending the request twice is
// an unknown outcome, never a success. Read-only calls (1Search,
// 1TokenSearch, 4MemRef*, 2Ref) are retried with bounded, jittered backoff
// ([RetryPolicy]). Only one request per link key is in flight at a time.
//
// [WithTimeout] and the context bound the whole call, journal included: a
// journal that does not record the attempt in time makes the call return at
// the deadline with nothing sent. The outcome is written detached from
// cancellation (at most [FinishTimeout]); the caller waits for it at most
// [FinishGrace] past its deadline.
//
// # The journal and recovery by link key
//
// Before each money-moving request the client writes the attempt to a
// journal ([Journal]) under its link key, and its outcome after: the
// Go counterpart of the Welcart module's 決済直前ログ. If the journal cannot
// record, nothing is sent. The default is in memory ([MemoryJournal]);
// package journal has a file journal that survives a crash and package
// sqlstore an SQL journal shared by several instances ([WithJournal]). To
// recover, list the attempts that need attention with
// client.Journal().Pending, search each link key in the merchant console
// (自由領域1), and record what you found with Resolve:
//
//	pending, err := client.Journal().Pending(ctx, time.Now().Add(-10*time.Minute))
//	// for each: search a.LinkKey in the console, then
//	err = client.Journal().Resolve(ctx, a.LinkKey, escott.AttemptResult{Outcome: escott.OutcomeSucceeded, ProcessID: id})
//
// # Notifications
//
// Online-collection payments are confirmed by a payment-received
// notification (入金通知) that the gateway POSTs to a URL registered with SPS
// out of band (https, ending in "/"). [Client.NotificationHandler] returns an
// http.Handler to mount there, checking with the client's credentials and
// environment; subscribers receive typed events:
//
//	h, err := client.NotificationHandler() // options: WithDedupeStore, WithTrustedProxies …
//	h.OnPaymentReceived(func(ctx context.Context, p escott.PaymentReceived) error {
//		return orders.MarkPaid(ctx, p.LinkKey, p.Amount) // must be idempotent
//	})
//	mux.Handle("POST /escott/notify/", h)
//
// Each notification is size-capped, strictly parsed and checked before any
// subscriber runs: the source address against the gateway's published list
// for the environment (disaster-recovery addresses included), the MerchantId
// in constant time, and HashCd, an MD5 of ProcessPass, RecvNum and the
// environment's MerchantPass. HashCd is the only authentication of a
// notification and is required by default in both environments; a
// notification without it is refused and logged with the remedy.
// [WithAllowMissingHash] accepts such notifications (each logged as a
// warning) for a contract that SPS confirms does not send it; a HashCd that
// is present is always verified. Bodies are parsed as leniently as PHP's
// parse_str, strictly for the fields that decide the outcome. A
// notification is deduplicated ([DedupeStore]); a subscriber error answers
// 500 so that the gateway redelivers, so subscribers must be idempotent.
// [Client.NotificationParser] compiles the same checks once for hosts with
// their own router. No notification is sent when a pay limit passes: use
// [Expired].
//
// # 3-D Secure
//
// 3-D Secure runs in the shopper's browser. [ThreeDSService.Start] stores the
// attempt under its link key ([ThreeDSStore]) and returns a [ThreeDSForm]
// that auto-submits an AES-encrypted request to the gateway; the issuer may
// show a challenge; the gateway then sends the browser back to the shop's
// RedirectURL, where [ThreeDSService.HandleReturn] decrypts the result,
// validates every field, and accepts it once, only for an attempt this client
// started. It returns the result when the payment may go on, and (nil,
// [*AuthenticationError]) when it may not. In mode B (Start, what the Welcart
// module does) the shop then calls [ThreeDSService.Authorize], which sends
// the usual 1Gathering or 1Auth with the 3-D Secure fields. The decision is
// made on the SecureResultCode alone: 0, 2, 3 and 4 go on to the
// authorisation ([ThreeDSResult.Err] is nil; the U01, U02 or U15 that comes
// with 2, 3 or 4 is kept in ThreeDSResult.Warnings — keep it with the order,
// the liability rules differ); 1, 8, 9 and a missing code stop.
//
// In mode A ([ThreeDSService.StartAuthorize]) the gateway authenticates and
// authorises in one request; the result is a payment, confirmed with 1Search
// before it is handed over, whatever its SecureResultCode says: a missing,
// unknown or failing code sets ThreeDSResult.AuthenticationUnconfirmed
// (money moved; ship or cancel), never a refusal. An optional
// server-to-server copy arrives at PostURL ([ThreeDSService.PostURLHandler],
// with one callback for payments and one for failures), so the outcome is
// known even if the shopper never comes back. The host records a mode A
// payment inside the SDK's call: HandleReturn takes a
// [ThreeDSReturnParams] whose Record is the same function as the PostUrl
// handler's onPayment. Both paths claim the attempt, call the host, and
// complete the attempt (and its journal entry) only after the host returned
// nil, so each payment reaches the host once and none is lost; a delivery
// that finds the attempt claimed gets [ErrReturnInProgress] (PostUrl: 503,
// sent again), one that finds it completed the first result with Duplicate
// set. Record the order atomically and idempotently by its ProcessId: a host
// that dies after committing is called again once the claim's lease
// ([DefaultThreeDSLease]) ran out. In mode B HandleReturn claims the attempt
// and Authorize completes it. Behind a load balancer, give every instance
// the same ThreeDSStore (package sqlstore has one).
//
// The result travels through the shopper's browser in an AES-CBC envelope
// without a MAC, so HandleReturn cannot prove the gateway wrote it: it
// checks every decrypted field's exact format and the echoes of the saved
// attempt, which refuses a tampered return but for a chance of about one in
// 520 million per try. Rate-limit the return endpoints, and never ship goods
// on a return alone; the README of the repository states exactly what is
// and is not guaranteed.
//
// # Link type
//
// With the link type (外部リンク型) the shop never loads the token script:
// [LinkService.Start] (a payment) or [LinkService.StartMember] (a card
// registration) stores the attempt in the same [ThreeDSStore], journals a
// payment, and returns a [LinkRedirect] to the gateway's card page, where
// the card entry, 3-D Secure and the registration happen. The encrypted
// result comes back to RedirectURL; [LinkService.HandleReturn] accepts it
// with the guarantees of 3-D Secure above (every field checked, MerchantId
// inside the envelope, a payment confirmed with 1Search and a registration
// with 4MemRefM, the host's Record called once under a claim, a replay
// refused). After a registration, pay with the card just stored as the
// production plugins do: [LinkService.Start] with Member and the
// registration's ThreeDS. A shopper who cancelled is a [*LinkError] matching
// [ErrCancelled]: no money moved. A payment whose return never came stays in
// the journal; [LinkService.Confirm] settles it with the ProcessId found in
// the console.
//
// # Testing with escotttest
//
// Package escotttest is to this package what net/http/httptest is to
// net/http: a fake gateway with test cards for every class of outcome, fault
// injection (a connection closed after the gateway processed the request,
// latency, HTTP 500, maintenance), 3-D Secure with a challenge page, and
// online collection with a payment page and notifications:
//
//	srv := escotttest.NewServer(escotttest.Config{})
//	defer srv.Close()
//	client, err := escott.NewClient(srv.Config())
//	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{
//		Amount: escott.Yen(1980),
//		Source: srv.MustToken(escotttest.CardVisa),
//	})
//
// # Examples
//
// The runnable examples run against escotttest and are shown with what they
// illustrate. Five are a host's everyday code: charging a token at checkout
// ([CardService.Pay]), capturing from a job after rebuilding a [Process]
// from the database, branching on declined, already-captured and
// unknown-outcome errors ([Error]), subscribing to notifications
// ([Client.NotificationHandler]) and 3-D Secure mode B
// ([ThreeDSService.Authorize]). The others: [NewClient]; [CardService.Pay]
// (a declined card, a payment by stored member), [CardService.Capture],
// [CardService.ChangeAmount], [CardService.Cancel], [CardService.Inquire],
// [CardService.Reauthorize] and [CardService.Check]; [OutcomeUnknownError];
// [PayTypeChoices]; [TokenService.ScriptTag] and [TokenService.Inquire];
// [MemberService.Register], [MemberService.RegisterAndPay],
// [MemberService.ChangeCard] and [MemberService.Delete];
// [CVSService.Register] (with package shop's FeePolicy); and
// [ThreeDSService.Start]. Package escotttest has examples of a 3-D Secure
// test without a browser and of fault injection. Complete programs are in the
// repository's examples directory: a demo shop (examples/checkout) and small
// programs for cards, stored cards, online collection and 3-D Secure.
package escott

// Package escotttest is a fake e-SCOTT Smart gateway for tests, the way
// net/http/httptest is a fake server. It speaks the wire protocol this
// module implements (docs/protocol.md in the repository), keeps state
// (transactions, tokens, members, online-collection payments, 3-D Secure
// attempts), rejects what the real gateway rejects with the same response
// codes, and lets a test inject faults and inspect what it received.
//
// Use it to test a checkout without the real test environment, which is
// closed every Wednesday and may be unavailable outside business hours, and
// whose test cards are not public.
//
// # Starting a fake gateway
//
// [NewServer] starts one on a loopback port ([NewTLSServer] over TLS);
// [Server.Config] is a client configuration pointing at it, and
// [Server.Client] a ready client:
//
//	srv := escotttest.NewServer(escotttest.Config{})
//	defer srv.Close()
//	client, err := escott.NewClient(srv.Config())
//	token := srv.MustToken(escotttest.CardVisa)
//	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{
//		Amount: decimal.NewFromInt(1980), Source: token,
//	})
//
// The zero [Config] is usable: the default merchant ([DefaultMerchantID],
// [DefaultMerchantPass]), token auth code and AES key and IV. [New] returns
// the gateway as an http.Handler to mount yourself; cmd/escott-sim serves it
// as a standalone program for manual tests and clients in other languages.
//
// # Test cards
//
// The card number decides the outcome. [CardVisa], [CardMastercard],
// [CardMastercard2Series], [CardJCB], [CardAmex] and [CardDiners] succeed; [CardDeclined] (G12),
// [CardExpired] (C13), [CardSecurityCode] (G44) and [CardLimitExceeded] (G55)
// are declined; [CardIssuerUnavailable] (G95), [CardCentreClosed] (C80) and
// [CardSystemError] (C02) fail temporarily. [CardAuthAssist] holds
// authentication-assist data ([AuthAssistKanaSei], [AuthAssistKanaMei],
// [AuthAssistBirthDay], [AuthAssistTelNo]): a payment or check that sends
// other values gets K41–K44. The 3-D Secure cards
// ([CardThreeDSFrictionless], [CardThreeDSChallenge], [CardThreeDSFailed],
// [CardThreeDSNotEnrolled], [CardThreeDSIssuerNotParticipating],
// [CardThreeDSAttempt], [CardThreeDSMaintenance]) make the authentication
// answer one SecureResultCode each; 2, 3 and 4 come with ResponseCd U01,
// U02 and U15, as at the real gateway. Any future expiry
// and any 3–4 digit security code work. In a browser, the fake's token script
// at /euser/stn/CdGetJavaScript.do tokenises these numbers; from Go,
// [Gateway.MintToken] and [Gateway.MustToken] do. Tokens are single-use and
// expire after [TokenLifetime] on the fake's clock ([Gateway.Advance]).
//
// # Faults
//
// [Gateway.InjectFault] makes the next requests of one operation fail:
// [FaultCloseAfterProcessing] (the gateway processed the request, then the
// connection closed: the ambiguous case that must end as an outcome-unknown
// error), [FaultCloseBeforeProcessing], [FaultLatency], [FaultHTTP500],
// [FaultMalformed] and [FaultMaintenance].
//
// # 3-D Secure, online collection and notifications
//
// The fake serves OTDS010 with a challenge page, in both modes, and posts
// PostUrl copies in mode A ([Gateway.HoldPostURL] and
// [Gateway.ReleasePostURL] choose which arrival comes first).
// [Server.Authenticate] plays the shopper's browser through it without a
// browser and returns what the gateway's last page POSTs to the shop.
// The K31/K33 checks that an authorisation carries exactly the 3-D Secure
// values the fake issued are the fake's own; at the real gateway K30–K37
// are format checks. Every result echoes ProcNo and carries a
// TransactionId; K89 answers only an exact replay (the same MerchantFree1
// and ProcNo as a completed attempt), so ProcNo 0000000 on every order, as
// SPS's modules send it, is accepted. The 3-D Secure memory is bounded
// ([ThreeDSMemory], [MaxRememberedThreeDS], [MaxKeptThreeDS]), so a
// long-running simulator stays flat.
//
// The link type's hosted card page is served at SSNP005ReferStart.do: it
// decrypts the request (a wrong key or garbage gets an error page), checks
// it, shows a card form (and a member's stored card), runs the test cards'
// 3-D Secure outcomes with the same challenge page, registers a member for
// 4MemAdd/4MemChg, and has a cancel button that returns [LinkCancelCode].
// [Server.PayLink] plays the shopper there without a browser;
// [Gateway.LinkAttempts] lists the requests.
//
// Online collection has a payment page at [PathTestPaymentPage] and
// [PathPaymentPage] where a tester picks a store and pays, or
// [Gateway.Pay] from Go; either POSTs the payment-received notification,
// with HashCd, to Config.NotifyURL and redelivers it ([NotifySettings]) until
// it is accepted: any HTTP 200 whose body is not "1", as at the real
// gateway. Redeliveries follow the fake's clock: with a fixed Config.Now,
// [Gateway.Advance] sends those that become due before it returns (do not
// call it from a notification receiver). [NewNotification] and [NewNotificationRequest] make valid
// notifications for unit tests of a receiver.
//
// # Inspection
//
// [Gateway.Requests], [Gateway.RequestCount], [Gateway.Process],
// [Gateway.Member], [Gateway.CVSPayment], [Gateway.Notifications],
// [Gateway.ThreeDSAttempts] and [Gateway.PostURLDeliveries] show what the
// fake received and holds, so a test can assert, for example, that a payment
// reached the gateway exactly once. They hold secrets as received: this is a
// test tool.
//
// # Bounded memory
//
// Everything the fake remembers is bounded ([Limits] in Config.Limits:
// card transactions, online-collection registrations, members, tokens and
// the request log; the 3-D Secure memory; [MaxKeptNotifications]), so a
// long-running escott-sim stays flat. What it forgot it answers for as the
// real gateway does for what it no longer holds: K12 for a forgotten
// transaction or registration, K71 for a forgotten member (whose KaiinId is
// free again), KI3 for a token it issued but no longer holds. RequestCount
// counts every request whatever the log keeps, under [UnknownOperation] for
// an OperateId the fake does not serve.
package escotttest

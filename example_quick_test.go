package escott_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/shop"
)

// Register a logged-in shopper's card as a stored-card member. Keep the
// member's ID and password (m.Pass.Reveal()) with the customer record.
func ExampleMemberService_Register() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	m := escott.NewMember()                     // 13-digit ID, 12-digit password from crypto/rand
	token := srv.MustToken(escotttest.CardVisa) // from the token script in the shopper's browser
	if _, err := client.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: token}); err != nil {
		panic(err)
	}
	card, err := client.Member.GetMasked(ctx, m)
	if err != nil {
		panic(err)
	}
	fmt.Println(card.Brand, "ending", card.Last4, "-", card.Status)
	fmt.Println(card.MaskedNumber)
	fmt.Printf("%v\n", escott.Member{ID: "C0001", Pass: "secret"})
	// Output:
	// VISA ending 1111 - valid
	// 411111******1111
	// escott.Member{ID:C0001 Pass:[REDACTED]}
}

// Register the card and pay in one checkout: the token goes to 4MemAdd, the
// payment is made by the member.
func ExampleMemberService_RegisterAndPay() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()

	m := escott.NewMember()
	pay, err := client.Member.RegisterAndPay(context.Background(), m, srv.MustToken(escotttest.CardJCB),
		&escott.PaymentParams{Amount: escott.Yen(3980)})
	var mpe *escott.MemberPaymentError
	if errors.As(err, &mpe) && mpe.MemberUpdated {
		fmt.Println("card stored but not paid: keep the member, ask for another payment")
	}
	if err != nil {
		panic(err)
	}
	fmt.Println(pay.OperateID, pay.Amount, pay.Process.Member.ID == m.ID)
	// Output:
	// 1Gathering 3980 true
}

// Pay with a stored card: the member is the card source.
func ExampleCardService_Pay_member() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	m := escott.NewMember()
	if _, err := client.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardMastercard)}); err != nil {
		panic(err)
	}

	pay, err := client.Card.Pay(ctx, &escott.PaymentParams{
		Amount: escott.Yen(1500), Source: m, Capture: escott.CaptureLater,
	})
	if errors.Is(err, escott.ErrMemberMismatch) {
		fmt.Println("the gateway does not know this member: drop the local registration")
		return
	}
	if err != nil {
		panic(err)
	}
	// Follow-ups carry the member (pay.Process.Member): store the whole Process.
	if _, err := client.Card.Capture(ctx, pay.Process, nil); err != nil {
		panic(err)
	}
	info, _ := srv.Process(pay.Process.ID)
	fmt.Println(info.Brand, info.State, info.Amount)
	// Output:
	// Mastercard captured 1500
}

// A shopper changes the stored card (they may change it but not delete it).
func ExampleMemberService_ChangeCard() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	m := escott.NewMember()
	if _, err := client.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)}); err != nil {
		panic(err)
	}

	if _, err := client.Member.ChangeCard(ctx, m, &escott.MemberChangeCardParams{Token: srv.MustToken(escotttest.CardAmex)}); err != nil {
		panic(err)
	}
	card, err := client.Member.GetMasked(ctx, m)
	if err != nil {
		panic(err)
	}
	fmt.Println(card.Brand, card.Last4)
	fmt.Println(card.PayTypeChoices(escott.InstallmentsAndRevolving)[:3])
	// Output:
	// American Express 0005
	// [01 03 05]
}

// Delete a member at the merchant's request, once no authorisation-only sale
// is younger than 90 days.
func ExampleMemberService_Delete() {
	srv := escotttest.NewServer(escotttest.Config{})
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	m := escott.NewMember()
	if _, err := client.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)}); err != nil {
		panic(err)
	}

	lastAuthOnly := srv.Now().AddDate(0, 0, -120) // from the shop's order records
	if ok, _ := shop.CanDelete(lastAuthOnly, srv.Now()); !ok {
		fmt.Println("not yet")
		return
	}
	err := client.Member.Delete(ctx, m, nil) // 4MemInval, then 4MemDel
	var de *escott.DeleteMemberError
	if errors.As(err, &de) {
		fmt.Println("failed at", de.Step)
		return
	}
	info, _ := srv.Member(m.ID)
	fmt.Println(info.Status)
	_, err = client.Member.Register(ctx, m, &escott.MemberRegisterParams{Token: srv.MustToken(escotttest.CardVisa)})
	fmt.Println(errors.Is(err, escott.ErrMember)) // a deleted ID cannot be reused (K69)
	// Output:
	// deleted
	// true
}

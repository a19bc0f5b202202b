// Package shop holds the shop's own policies around e-SCOTT payments: the
// settings of the Welcart module that never reach the gateway. It computes
// the online-collection fee (FeePolicy), decides whether to store a member's
// card at checkout (RegistrationPolicy), applies the 90-day rule before
// deleting a member (CanDelete) and labels payment divisions for a checkout
// page (PayTypeLabel).
//
// The gateway knows nothing of these: the host applies them and passes the
// results to the escott client (the order total including the fee as the
// amount, the member to register, the member to delete). The package depends
// on the standard library and github.com/shopspring/decimal only, so a shop
// can use it in code that never talks to the gateway.
package shop

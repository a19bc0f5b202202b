package escott

import (
	"os"
	"testing"

	"github.com/escott-go/escott/internal/codes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorsGenUpToDate fails when the code table changed without
// `go generate`: errors_gen.go must be what the table generates.
func TestErrorsGenUpToDate(t *testing.T) {
	want, err := codes.GenerateErrors()
	require.NoError(t, err)
	got, err := os.ReadFile("errors_gen.go")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "run go generate in the repository root")
}

// TestClassMatchesTable: the public Class values are the table's.
func TestClassMatchesTable(t *testing.T) {
	pairs := map[Class]codes.Class{
		ClassDeclined: codes.Declined, ClassPaymentOption: codes.PaymentOption,
		ClassInvalidRequest: codes.InvalidRequest, ClassMerchant: codes.Merchant,
		ClassTemporary: codes.Temporary, ClassState: codes.State, ClassAuthAssist: codes.AuthAssist,
		ClassMember: codes.Member, ClassThreeDS: codes.ThreeDS, ClassToken: codes.Token,
		ClassCancelled: codes.Cancelled,
	}
	for pub, internal := range pairs {
		assert.Equal(t, byte(internal), byte(pub))
		assert.Equal(t, internal.String(), pub.String())
	}
	for _, e := range codes.All() {
		c, ok := LookupCode(e.Code)
		require.True(t, ok)
		assert.Equal(t, byte(e.Class), byte(c.Class), e.Code)
	}
}

// TestConditionErrors: an *Error matches the condition errors of its codes
// and no other.
func TestConditionErrors(t *testing.T) {
	mk := func(v ...string) *Error {
		e := &Error{}
		for _, x := range v {
			c, _ := LookupCode(x)
			e.Codes = append(e.Codes, c)
		}
		return e
	}
	assert.ErrorIs(t, mk("K12"), ErrUnknownProcess)
	assert.ErrorIs(t, mk("K14"), ErrWrongState)
	assert.ErrorIs(t, mk("C14"), ErrWrongState)
	assert.ErrorIs(t, mk("K71"), ErrMemberMismatch)
	assert.ErrorIs(t, mk("K71"), ErrMember)
	assert.ErrorIs(t, mk("KI3"), ErrTokenExpired)
	assert.ErrorIs(t, mk("G12", "KI2"), ErrTokenUsed)
	assert.NotErrorIs(t, mk("K14"), ErrUnknownProcess)
	assert.NotErrorIs(t, mk("G12"), ErrWrongState)
}

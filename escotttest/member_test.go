package escotttest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
)

// The helpers the 3-D Secure member registration (OTDS010) uses.
func TestAddAndChangeMemberLocked(t *testing.T) {
	g := New(Config{})
	now := g.Now()
	visa := card{number: CardVisa, expYY: "30", expMM: "01"}
	amex := card{number: CardAmex, expYY: "31", expMM: "02"}

	g.mu.Lock()
	assert.Nil(t, g.addMemberLocked("M1", "P1", visa, now))
	assert.Equal(t, []string{"K69"}, g.addMemberLocked("M1", "other", visa, now))
	assert.Equal(t, []string{"K45"}, g.addMemberLocked("M-2", "P1", visa, now))
	assert.Equal(t, []string{"K46"}, g.addMemberLocked("M2", "P-1", visa, now))
	assert.Equal(t, []string{"K01"}, g.addMemberLocked("", "P1", visa, now))
	assert.Equal(t, []string{"K71"}, g.changeMemberCardLocked("M1", "wrong", amex, now))
	assert.Equal(t, []string{"K71"}, g.changeMemberCardLocked("nobody", "P1", amex, now))
	assert.Nil(t, g.changeMemberCardLocked("M1", "P1", amex, now))
	var c codeList
	cd, ok := g.memberCardLocked("M1", "P1", now, &c)
	g.mu.Unlock()

	require.True(t, ok)
	assert.Equal(t, CardAmex, cd.number)
	info, ok := g.Member("M1")
	require.True(t, ok)
	assert.Equal(t, escott.BrandAmex, info.Brand)
	assert.Equal(t, 0, info.FailedLogins, "a correct password resets the counter")

	require.NoError(t, g.SetMemberStatus("M1", escott.MemberInvalid))
	g.mu.Lock()
	assert.Equal(t, []string{"K75"}, g.changeMemberCardLocked("M1", "P1", visa, now))
	g.mu.Unlock()
	require.Error(t, g.SetMemberStatus("M1", escott.MemberStatus(7)))
	require.Error(t, g.SetMemberStatus("nobody", escott.MemberValid))
}

func TestMemberLifetime(t *testing.T) {
	g := New(Config{MemberLifetime: time.Hour})
	g.mu.Lock()
	require.Nil(t, g.addMemberLocked("M1", "P1", card{number: CardVisa, expYY: "30", expMM: "01"}, g.nowLocked()))
	g.mu.Unlock()
	_, ok := g.Member("M1")
	require.True(t, ok)
	g.Advance(time.Hour)
	_, ok = g.Member("M1")
	assert.False(t, ok)
}

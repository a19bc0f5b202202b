package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott/escotttest"
	"github.com/escott-go/escott/internal/jst"
)

// The -max-* flags bound the fake's memory (escotttest.Config.Limits): with
// room for two card transactions, the first of three answers K12, as one
// past the real gateway's retention does, and the newest still works.
func TestLimitFlags(t *testing.T) {
	origin, banner := startSim(t, io.Discard, "-max-processes", "2", "-max-tokens", "5")
	assert.Contains(t, banner, "memory bounds: 2 card transactions, 50000 online-collection payments, 50000 members, 5 tokens")

	var procs []url.Values
	for i := range 3 {
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), []string{"token", "-sim", origin, escotttest.CardVisa, "12/30", "123"}, &out, io.Discard))
		token := strings.TrimSpace(out.String())
		ans := post(t, origin, "/online/aut/OAUT002.do", url.Values{
			"MerchantId": {escotttest.DefaultMerchantID}, "MerchantPass": {escotttest.DefaultMerchantPass},
			"TransactionDate": {jst.Date(time.Now())}, "OperateId": {"1Auth"}, "MerchantFree1": {"lim" + string(rune('0'+i))},
			"Amount": {"100"}, "PayType": {"01"}, "Token": {token}})
		require.Equal(t, "OK", ans.Get("ResponseCd"), ans)
		procs = append(procs, ans)
	}
	search := func(p url.Values) string {
		return post(t, origin, "/online/aut/OAUT002.do", url.Values{
			"MerchantId": {escotttest.DefaultMerchantID}, "MerchantPass": {escotttest.DefaultMerchantPass},
			"TransactionDate": {jst.Date(time.Now())}, "OperateId": {"1Search"}, "MerchantFree1": {"search"},
			"ProcessId": {p.Get("ProcessId")}, "ProcessPass": {p.Get("ProcessPass")}}).Get("ResponseCd")
	}
	assert.Equal(t, "K12", search(procs[0]), "forgotten beyond -max-processes")
	assert.Equal(t, "OK", search(procs[2]))
}

func TestLimitFlagsRefuseZero(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-max-members", "0"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-max-members must be at least 1")
}

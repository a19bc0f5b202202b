package escott_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// oldFieldsString is how Fields printed when it was a map (before it kept
// the answer's pairs): sorted keys, the secret ones [REDACTED] when set.
func oldFieldsString(m map[string]string) string {
	secret := map[string]bool{"ProcessPass": true, "KaiinPass": true, "MerchantPass": true, "Token": true,
		"EncryptValue": true, "CardNo": true, "SecCd": true, "CardExp": true, "NewKaiinPass": true}
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := m[k]
		if secret[k] && v != "" {
			v = "[REDACTED]"
		}
		b.WriteString(k + ":" + v)
	}
	b.WriteByte(']')
	return b.String()
}

// TestRawFieldsRedactAsBefore: a payment's Raw gives every value as received
// (Get, Lookup, Map) and prints, logs and marshals exactly as the map it used
// to be did, the secret fields redacted.
func TestRawFieldsRedactAsBefore(t *testing.T) {
	srv, c := newTest(t)
	pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(100), Source: srv.MustToken(escotttest.CardVisa)})
	require.NoError(t, err)
	pass := pay.Process.Pass.Reveal()
	require.NotEmpty(t, pass)

	m := pay.Raw.Map()
	assert.Equal(t, pass, m["ProcessPass"])
	assert.Equal(t, pass, pay.Raw.Get("ProcessPass"))
	v, ok := pay.Raw.Lookup("OperateId")
	assert.True(t, ok)
	assert.Equal(t, escott.OpGathering, v)
	_, ok = pay.Raw.Lookup("NoSuchField")
	assert.False(t, ok)
	for k, v := range m {
		assert.Equal(t, v, pay.Raw.Get(k), k)
	}
	m["ProcessPass"] = "changed"
	assert.Equal(t, pass, pay.Raw.Get("ProcessPass"), "Map returns a copy")

	want := oldFieldsString(pay.Raw.Map())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		got := fmt.Sprintf(verb, pay.Raw)
		assert.Equal(t, want, got, verb)
		assert.NotContains(t, got, pass, verb)
	}
	assert.Equal(t, want, pay.Raw.String())
	assert.NotContains(t, fmt.Sprintf("%+v", pay), pass)

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "raw", pay.Raw, "pay", pay)
	assert.NotContains(t, logged.String(), pass)
	assert.Contains(t, logged.String(), strconv.Quote(want))

	js, err := json.Marshal(pay.Raw)
	require.NoError(t, err)
	var back map[string]string
	require.NoError(t, json.Unmarshal(js, &back))
	wantJSON := pay.Raw.Map()
	wantJSON["ProcessPass"] = "[REDACTED]"
	assert.Equal(t, wantJSON, back)

	var f escott.Fields
	require.NoError(t, json.Unmarshal(js, &f))
	assert.Equal(t, wantJSON, f.Map())
	assert.Equal(t, "map[]", escott.Fields{}.String())
	assert.True(t, escott.Fields{}.IsZero())
	assert.False(t, pay.Raw.IsZero())
	type withRaw struct {
		Raw escott.Fields `json:"raw,omitzero"`
	}
	js, err = json.Marshal(withRaw{})
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(js), "an empty Fields is left out, as the empty map was with omitempty")
	assert.Equal(t, escott.NewFields(map[string]string{"A": "1"}), escott.NewFields(map[string]string{"A": "1"}))
}

// keyedAnswers answers every 1Gathering with a ProcessId and a Memo made
// from the request's link key, each answer of a different length, from
// memory.
type keyedAnswers struct{}

func (keyedAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	f, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, err
	}
	key := f.Get("MerchantFree1")
	n, _ := strconv.Atoi(key[len(key)-3:])
	body := "ResponseCd=OK&OperateId=" + f.Get("OperateId") + "&MerchantFree1=" + key + "&ProcessId=" + key +
		"&ProcessPass=P" + key + "&Memo=" + strings.Repeat("m", n%97) + key
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Request: r}, nil
}

// TestRawFieldsOutliveTheCall: a result's Raw does not share memory with
// what later or concurrent calls reuse (the pooled answer buffers): every
// payment's raw fields are still its own answer's once many other calls
// have run, and reading them while other calls run is race-free.
func TestRawFieldsOutliveTheCall(t *testing.T) {
	c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: "testpass", Environment: escott.Test},
		escott.WithHTTPClient(&http.Client{Transport: keyedAnswers{}}))
	require.NoError(t, err)
	const workers, per = 8, 50
	pays := make([][]*escott.Payment, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				key := fmt.Sprintf("K%02d%09d", w, i)
				pay, err := c.Card.Pay(context.Background(), &escott.PaymentParams{Amount: yen(100),
					Source: escott.CardToken("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl"), LinkKey: key})
				if !assert.NoError(t, err) {
					return
				}
				pays[w] = append(pays[w], pay)
				// Read the earlier results of this worker while the others
				// keep calling.
				for _, p := range pays[w] {
					_ = p.Raw.String()
				}
			}
		})
	}
	wg.Wait()
	for w := range workers {
		require.Len(t, pays[w], per)
		for i, pay := range pays[w] {
			key := fmt.Sprintf("K%02d%09d", w, i)
			n, _ := strconv.Atoi(key[len(key)-3:])
			assert.Equal(t, map[string]string{"ResponseCd": "OK", "OperateId": escott.OpGathering, "MerchantFree1": key,
				"ProcessId": key, "ProcessPass": "P" + key, "Memo": strings.Repeat("m", n%97) + key}, pay.Raw.Map())
			assert.Equal(t, key, pay.Process.ID)
		}
	}
}

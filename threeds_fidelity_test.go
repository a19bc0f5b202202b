package escott_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
	"github.com/escott-go/escott/escotttest"
)

// Issue #12.2: mode B decides on SecureResultCode alone. Codes 2, 3 and 4
// come with ResponseCd U01, U02 and U15: the payment goes on, and the U code
// is kept as a warning on the result.
func TestThreeDSModeBContinuesWithUCodes(t *testing.T) {
	for _, tc := range []struct {
		card string
		code escott.SecureResultCode
		warn string
	}{
		{escotttest.CardThreeDSNotEnrolled, escott.SecureNotEnrolled, "U01"},
		{escotttest.CardThreeDSIssuerNotParticipating, escott.SecureIssuerNotParticipating, "U02"},
		{escotttest.CardThreeDSAttempt, escott.SecureAttempt, "U15"},
	} {
		t.Run(string(tc.code), func(t *testing.T) {
			srv, c := newTest(t)
			sh := newShop(t, c)
			form, _ := startB(t, srv, c, sh, tc.card)
			out := sh.deliver(t, authenticate(t, srv, form, nil))
			require.NoError(t, out.err)
			require.NotNil(t, out.res)
			assert.Equal(t, tc.code, out.res.SecureResultCode)
			assert.Equal(t, tc.warn, out.res.ResponseCode)
			require.Len(t, out.res.Warnings, 1)
			assert.Equal(t, tc.warn, out.res.Warnings[0].Value)
			assert.True(t, out.res.Warnings[0].Is(escott.ClassThreeDS))
			pay, err := c.ThreeDS.Authorize(context.Background(), out.res)
			require.NoError(t, err)
			assert.NotEmpty(t, pay.Process.ID)
			sent := srv.Requests()[len(srv.Requests())-1]
			assert.Equal(t, escott.OpGathering, sent.OperateID)
			assert.Equal(t, string(tc.code), sent.Fields.Get("SecureResultCode"))
		})
	}
}

// Issue #12.2: still stop for 1, 8, 9 and a missing code, whatever
// ResponseCd says.
func TestThreeDSModeBStopsForFailureCodes(t *testing.T) {
	for _, tc := range []struct{ name, card, rc, code string }{
		{"1 from the gateway", escotttest.CardThreeDSFailed, "", ""},
		{"8 from the gateway", escotttest.CardThreeDSMaintenance, "", ""},
		{"9 with OK", escotttest.CardVisa, "OK", "9"},
		{"missing with U01", escotttest.CardVisa, "U01", "-"},
		{"1 with U15", escotttest.CardVisa, "U15", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newTest(t)
			sh := newShop(t, c)
			form, _ := startB(t, srv, c, sh, tc.card)
			ret := authenticate(t, srv, form, nil)
			if tc.rc != "" {
				plain, err := testCipher(t).Decrypt(ret.fields.Get("EncryptValue"))
				require.NoError(t, err)
				plain.Set("ResponseCd", tc.rc)
				if tc.code == "-" {
					plain.Del("SecureResultCode")
				} else {
					plain.Set("SecureResultCode", tc.code)
				}
				ret = page{action: ret.action, fields: forge(t, plain)}
			}
			out := sh.deliver(t, ret)
			require.ErrorIs(t, out.err, escott.ErrThreeDS)
			require.NotNil(t, out.res)
			_, err := c.ThreeDS.Authorize(context.Background(), out.res)
			require.Error(t, err)
			assert.Equal(t, 0, srv.RequestCount(escott.OpGathering), "nothing authorised")
		})
	}
}

// Issue #12.7: the result's TransactionId is exposed, TransactionId3D and
// PANCard3D are forwarded to the authorisation, and the echoed ProcNo must
// be the attempt's.
func TestThreeDSResultFieldsForwarded(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	form, _ := startB(t, srv, c, sh, escotttest.CardThreeDSFrictionless)
	ret := authenticate(t, srv, form, nil)
	plain, err := testCipher(t).Decrypt(ret.fields.Get("EncryptValue"))
	require.NoError(t, err)
	require.Equal(t, form.ProcNo, plain.Get("ProcNo"), "the fake echoes ProcNo")

	wrong := url.Values{}
	for k, v := range plain {
		wrong[k] = v
	}
	wrong.Set("ProcNo", "0000000")
	out := sh.deliver(t, page{action: ret.action, fields: forge(t, wrong)})
	require.ErrorIs(t, out.err, escott.ErrReturnRefused, "an echoed ProcNo of another attempt")

	plain.Set("TransactionId3D", "AAECAwQFBgcICQoLDA0ODxAREhM=")
	plain.Set("PANCard3D", "4000000000003105")
	out = sh.deliver(t, page{action: ret.action, fields: forge(t, plain)})
	require.NoError(t, out.err)
	assert.Equal(t, plain.Get("TransactionId"), out.res.TransactionID)
	assert.NotEmpty(t, out.res.TransactionID)
	_, err = c.ThreeDS.Authorize(context.Background(), out.res)
	require.NoError(t, err)
	sent := srv.Requests()[len(srv.Requests())-1]
	assert.Equal(t, "AAECAwQFBgcICQoLDA0ODxAREhM=", sent.Fields.Get("TransactionId3D"))
	assert.Equal(t, "4000000000003105", sent.Fields.Get("PANCard3D"))
}

// Clients disagree on the name of the 3-D Secure 1.0 card field (PANCard3D
// in WooCommerce's messages, PANCardNo3D in SPS's EC-CUBE 4.2 module): a
// result that carries PANCardNo3D has it forwarded under that name.
func TestThreeDSPANCardNo3DForwardedUnderItsName(t *testing.T) {
	srv, c := newTest(t)
	sh := newShop(t, c)
	form, _ := startB(t, srv, c, sh, escotttest.CardThreeDSFrictionless)
	ret := authenticate(t, srv, form, nil)
	plain, err := testCipher(t).Decrypt(ret.fields.Get("EncryptValue"))
	require.NoError(t, err)
	plain.Set("PANCardNo3D", "400000******3105")
	out := sh.deliver(t, page{action: ret.action, fields: forge(t, plain)})
	require.NoError(t, out.err)
	_, err = c.ThreeDS.Authorize(context.Background(), out.res)
	require.NoError(t, err)
	sent := srv.Requests()[len(srv.Requests())-1]
	assert.Equal(t, "400000******3105", sent.Fields.Get("PANCardNo3D"))
	assert.Empty(t, sent.Fields.Get("PANCard3D"))
}

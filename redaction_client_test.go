package escott_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escott-go/escott"
)

// TestClientAndServicesNeverFormatSecrets prints a Client and every service
// as a value, a pointer, in slices, as exported and unexported struct fields
// and as map values, with every verb: none may show the merchant password,
// the token auth code, the AES key or IV (nor their hex forms).
func TestClientAndServicesNeverFormatSecrets(t *testing.T) {
	const pass, tokenCode, key, iv = "MerchPass4242", "TokAuthCode777", "KeyKeyKey1234567", "IvIvIvIv76543210"
	c, err := escott.NewClient(escott.Config{MerchantID: "1234567", MerchantPass: pass, Environment: escott.Test,
		TokenAuthCode: tokenCode, AESKey: key, AESIV: iv})
	require.NoError(t, err)

	type exported struct{ C escott.Client }
	type unexported struct{ c escott.Client }
	shapes := func(v, p any) map[string]any {
		return map[string]any{
			"value": v, "pointer": p, "slice of values": []any{v}, "slice of pointers": []any{p},
			"map value": map[string]any{"k": v}, "map pointer": map[string]any{"k": p},
			"field": struct{ V, P any }{v, p}, "pointer to field": &struct{ V, P any }{v, p},
		}
	}
	cases := map[string]map[string]any{
		"Client":         shapes(*c, c),
		"CardService":    shapes(*c.Card, c.Card),
		"TokenService":   shapes(*c.Token, c.Token),
		"MemberService":  shapes(*c.Member, c.Member),
		"CVSService":     shapes(*c.CVS, c.CVS),
		"ThreeDSService": shapes(*c.ThreeDS, c.ThreeDS),
		"typed": {
			"[]Client":           []escott.Client{*c},
			"[]*Client":          []*escott.Client{c},
			"map[string]Client":  map[string]escott.Client{"k": *c},
			"exported field":     exported{*c},
			"*exported field":    &exported{*c},
			"unexported field":   unexported{*c},
			"*unexported field":  &unexported{*c},
			"[]CardService":      []escott.CardService{*c.Card},
			"[]*CardService":     []*escott.CardService{c.Card},
			"services in struct": struct{ A, B, C, D, E any }{c.Card, c.Token, c.Member, c.CVS, c.ThreeDS},
			"unexported services": struct {
				a *escott.CardService
				b escott.TokenService
				m *escott.MemberService
				v escott.CVSService
				d *escott.ThreeDSService
			}{c.Card, *c.Token, c.Member, *c.CVS, c.ThreeDS},
		},
	}
	for typ, byShape := range cases {
		for shape, v := range byShape {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
				out := fmt.Sprintf(verb, v)
				for _, secret := range []string{pass, tokenCode, key, iv} {
					for _, form := range []string{secret, fmt.Sprintf("%x", secret), fmt.Sprintf("%X", secret)} {
						if strings.Contains(out, form) {
							t.Errorf("%s as %s with %s leaks %q: %.200s", typ, shape, verb, secret, out)
						}
					}
				}
			}
		}
	}
}

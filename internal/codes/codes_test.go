package codes

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wantCodes is every code docs/protocol.md §10 (with §5 and §7.4) names, ranges
// written out by hand, in the order §10 lists them. Kept independent of
// table.go so that a missing or an extra row fails the test.
var wantCodes = strings.Fields(`
K01 K02 K03 K04 K05 K06 K07 K08 K09 K10 K11 K12 K13 K14 K15
K20 K21 K22 K23 K24 K25 K26 K27 K28 K30 K31 K32 K33 K34 K35 K36 K37 K39
K40 K41 K42 K43 K44 K45 K46 K47 K48 K50 K51 K52 K53 K54 K55 K56 K57 K58 K59 K60 K61
K64 K65 K66 K67
K68 K69 K70 K71 K72 K73 K74 K75 K79 K80 K81 K82 K83 K84 K85 K86 K87 K88 K89 K95 K96 K97 K98 K99
KA1 KBX KBY KBZ KE0 KE1 KE2 KE3 KE4 KE5 KE6 KEA KEB KEC KED KEE KEF KG8 KGH KH0 KH4 KHS KHT KHU KHV KHW
KHX KHZ KI1 KI2 KI3 KI4 KI5 KI6 KI0 KI8 KIE KIF KIH KIJ KIK KIL KIN KIW
C01 C02 C03 C10 C11 C12 C13 C14 C15 C16 C17 C18 C70 C71 C80 C98 C99
G12 G22 G30 G42 G44 G45 G54 G55 G56 G60 G61 G65 G68 G72 G74 G75 G78 G83 G84 G85 G92 G94 G95 G96 G97 G98 G99
U01 U02 U03 U04 U05 U06 U07 U08 U09 U10 U11 U12 U13 U14 U15 U95 U96 U99
W01 W02 W03 W04 W05 W06 W99
P51 P52 P55 P56 P62 P63 P64 P65 P69 P70 P53 P54 P57 P58 P60 P66 P67 P68 P71 P72 P74
`)

func TestCompleteness(t *testing.T) {
	want := slices.Clone(wantCodes)
	slices.Sort(want)
	require.Len(t, slices.Compact(slices.Clone(want)), len(want), "wantCodes has a duplicate")

	var got []string
	for _, e := range All() {
		got = append(got, e.Code)
	}
	assert.Equal(t, want, got, "table codes differ from docs/protocol.md §10")
	for _, c := range wantCodes {
		_, ok := Lookup(c)
		assert.True(t, ok, "Lookup(%q)", c)
	}
}

func TestNoDuplicateRows(t *testing.T) {
	// A duplicated row would be silently collapsed by the map; catch it here.
	seen := map[string]bool{}
	for _, e := range entries() {
		assert.False(t, seen[e.Code], "duplicate row %s", e.Code)
		seen[e.Code] = true
	}
}

func containsJapanese(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) {
			return true
		}
	}
	return false
}

func TestEveryEntryWellFormed(t *testing.T) {
	for _, e := range All() {
		assert.Len(t, e.Code, 3, "%s: code length", e.Code)
		assert.NotEmpty(t, strings.TrimSpace(e.EN), "%s: EN", e.Code)
		assert.NotEmpty(t, strings.TrimSpace(e.JA), "%s: JA", e.Code)
		assert.True(t, containsJapanese(e.JA), "%s: JA has no Japanese: %q", e.Code, e.JA)
		assert.False(t, containsJapanese(e.EN), "%s: EN has Japanese: %q", e.Code, e.EN)
		assert.NotEqual(t, "unknown", e.Class.String(), "%s: Class %q", e.Code, e.Class)
		if e.Also != ClassUnknown {
			assert.NotEqual(t, "unknown", e.Also.String(), "%s: Also %q", e.Code, e.Also)
			assert.NotEqual(t, e.Class, e.Also, "%s: Also repeats Class", e.Code)
		}
		assert.NotEqual(t, "unknown", e.Group.String(), "%s: Group %d", e.Code, e.Group)
	}
}

// TestFormatErrorsNameTheirField checks that the codes §10 gives per field
// name that field, so an operator knows which value to fix.
func TestFormatErrorsNameTheirField(t *testing.T) {
	fields := map[string]string{
		"K02": "MerchantId", "K03": "MerchantPass", "K04": "TenantId", "K05": "TransactionDate",
		"K06": "OperateId", "K07": "MerchantFree1", "K08": "MerchantFree2", "K09": "MerchantFree3",
		"K10": "ProcessId", "K11": "ProcessPass",
		"K20": "CardNo", "K21": "CardExp", "K22": "PayType", "K23": "Amount", "K24": "SecCd",
		"K25": "KanaSei", "K26": "KanaMei", "K27": "BirthDay", "K28": "TelNo",
		"K30": "MessageVersionNo3D", "K31": "TransactionId3D", "K32": "EncodeXId3D", "K33": "TransactionStatus3D",
		"K34": "CAVVAlgorithm3D", "K35": "CAVV3D", "K36": "ECI3D", "K37": "PANCard3D", "K39": "SalesDate",
		"K45": "KaiinId", "K46": "KaiinPass", "K47": "NewKaiinPass", "K48": "EnableCheckUseKbn",
		"K50": "PayLimit", "K51": "NameKanji", "K52": "NameKana", "K53": "ShouhinName", "K54": "Free1",
		"K55": "Comment", "K56": "Free8", "K57": "Free17", "K58": "Free18", "K59": "Free19",
		"K60": "ReturnURL", "K61": "authorisation flag", "K64": "refund type", "K65": "card company code",
		"K66": "approval number", "K67": "capture date", "K86": "ProcNo", "K87": "PostUrl", "KA1": "CurrencyId",
		"KH4": "PageLanguage", "KHS": "SuccessURL", "KHT": "ErrorURL", "KHU": "StatusNoticeURL",
		"KIW": "KaiinIdAutoRiyoFlg",
	}
	for code, field := range fields {
		e, ok := Lookup(code)
		require.True(t, ok, code)
		assert.Contains(t, e.EN, field, code)
	}
}

func TestSpotChecks(t *testing.T) {
	tests := []struct {
		code  string
		class Class
		also  Class
		group Group
	}{
		{"K01", InvalidRequest, ClassUnknown, GroupContactShop},
		{"K12", State, ClassUnknown, GroupContactShop},
		{"K13", Merchant, ClassUnknown, GroupContactShop},
		{"K15", Member, ClassUnknown, GroupContactShop},
		{"K20", InvalidRequest, ClassUnknown, GroupCardNumber},
		{"K21", InvalidRequest, ClassUnknown, GroupExpiry},
		{"K23", InvalidRequest, ClassUnknown, GroupContactShop},
		{"K24", InvalidRequest, ClassUnknown, GroupSecurityCode},
		{"K27", InvalidRequest, ClassUnknown, GroupContactShop},
		{"K28", InvalidRequest, ClassUnknown, GroupCustomerData},
		{"K33", ThreeDS, ClassUnknown, GroupThreeDS},
		{"K40", AuthAssist, ClassUnknown, GroupSecurityCode},
		{"K44", AuthAssist, ClassUnknown, GroupContactShop},
		{"K45", InvalidRequest, Member, GroupContactShop},
		{"K48", InvalidRequest, Member, GroupContactShop},
		{"K52", InvalidRequest, ClassUnknown, GroupCustomerData},
		{"K71", Member, ClassUnknown, GroupContactShop},
		{"K82", Declined, ClassUnknown, GroupCardNumber},
		{"K83", Declined, ClassUnknown, GroupExpiry},
		{"K96", Temporary, ClassUnknown, GroupContactShop},
		{"KBX", State, ClassUnknown, GroupContactShop},
		{"KEF", AuthAssist, ClassUnknown, GroupContactShop},
		{"KHW", ThreeDS, ClassUnknown, GroupContactShop},
		{"KI2", Token, ClassUnknown, GroupContactShop},
		{"KIJ", State, ClassUnknown, GroupContactShop},
		{"C10", PaymentOption, ClassUnknown, GroupAmountOrInstallments},
		{"C13", Declined, ClassUnknown, GroupExpiry},
		{"C17", Declined, ClassUnknown, GroupCardNumber},
		{"C70", Merchant, ClassUnknown, GroupContactShop},
		{"G12", Declined, ClassUnknown, GroupCardUnusable},
		{"G42", Declined, ClassUnknown, GroupCardUnusable},
		{"G44", Declined, ClassUnknown, GroupSecurityCode},
		{"G55", Declined, ClassUnknown, GroupLimit},
		{"G68", Declined, ClassUnknown, GroupAmountOrInstallments},
		{"G78", PaymentOption, ClassUnknown, GroupAmountOrInstallments},
		{"G84", Temporary, ClassUnknown, GroupContactShop},
		{"G99", Declined, Temporary, GroupCardUnusable},
		{"U01", ThreeDS, ClassUnknown, GroupThreeDS},
		{"U03", ThreeDS, Temporary, GroupThreeDS},
		{"U04", ThreeDS, Declined, GroupThreeDS},
		{"U12", ThreeDS, Merchant, GroupThreeDS},
		{"U99", ThreeDS, Temporary, GroupThreeDS},
		{"W05", InvalidRequest, ClassUnknown, GroupContactShop},
		{"W06", Temporary, ClassUnknown, GroupContactShop},
		{"P51", Cancelled, ClassUnknown, GroupCancelled},
		{"P53", Declined, ClassUnknown, GroupCardUnusable},
		{"P74", Temporary, ClassUnknown, GroupContactShop},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			e, ok := Lookup(tt.code)
			require.True(t, ok)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.class, e.Class, "class %s", e.Class)
			assert.Equal(t, tt.also, e.Also, "also %s", e.Also)
			assert.Equal(t, tt.group, e.Group, "group %s", e.Group)
		})
	}
}

// TestGroupRules re-derives every entry's group from the lists at the end of
// docs/protocol.md §10, written out here by hand, and the fallback rules.
func TestGroupRules(t *testing.T) {
	explicit := map[Group][]string{
		GroupCardNumber:           strings.Fields("K20 K82 C16 C17 G65"),
		GroupExpiry:               strings.Fields("K21 K83 C13 G83"),
		GroupSecurityCode:         strings.Fields("K24 K40 G44 G45"),
		GroupCardUnusable:         strings.Fields("G12 G22 G30 G56 G60 G61 G96 G97"),
		GroupLimit:                strings.Fields("G54 G55"),
		GroupAmountOrInstallments: strings.Fields("G68 G72 G74 G75 C15"),
		GroupCustomerData:         strings.Fields("K25 K26 K28 K51 K52"),
		GroupThreeDS:              strings.Fields("K30 K31 K32 K33 K34 K35 K36 K37"),
	}
	expected := func(e Entry) Group {
		for g, codes := range explicit {
			if slices.Contains(codes, e.Code) {
				return g
			}
		}
		switch {
		case strings.HasPrefix(e.Code, "U"):
			return GroupThreeDS
		case e.Class == Cancelled:
			return GroupCancelled
		case e.Class == Declined:
			return GroupCardUnusable
		case e.Class == PaymentOption:
			return GroupAmountOrInstallments
		default:
			return GroupContactShop
		}
	}
	for _, e := range All() {
		assert.Equal(t, expected(e), e.Group, "%s (%s)", e.Code, e.Class)
	}
}

func TestClassesOfRanges(t *testing.T) {
	// Ranges §10 classifies as one block, plus the project's decisions for P.
	blocks := map[Class]string{
		InvalidRequest: "K02 K03 K04 K05 K06 K07 K08 K09 K10 K11 K20 K21 K22 K23 K24 K25 K26 K27 K28 " +
			"K50 K51 K52 K53 K54 K55 K56 K57 K58 K59 K64 K65 K66 K67 K45 K46 K47 K48 KH4 KHS KHT KHU KIE KIF KIH",
		AuthAssist: "K40 K41 K42 K43 K44 KE0 KE1 KE2 KE3 KE4 KE5 KE6 KEA KEB KEC KED KEE KEF",
		Token:      "KHX KHZ KI1 KI2 KI3 KI4 KI5 KI6",
		Cancelled:  "P51 P52 P55 P56 P62 P63 P64 P65 P69 P70",
		Declined:   "P53 P54 P57 P58 P60 P66 P67 P68 P71 P72",
		ThreeDS:    "K30 K31 K32 K33 K34 K35 K36 K37 KHW U01 U15 U95",
		Member:     "K15 K69 K70 K71 K72 K73 K74 K75 K79 K84 K85",
	}
	for class, codes := range blocks {
		for _, c := range strings.Fields(codes) {
			e, ok := Lookup(c)
			if assert.True(t, ok, c) {
				assert.Equal(t, class, e.Class, "%s: %s", c, e.Class)
			}
		}
	}
	// Every two-class code §10 names, and no other.
	wantAlso := map[string]Class{
		"K45": Member, "K46": Member, "K47": Member, "K48": Member, "G99": Temporary,
		"U03": Temporary, "U04": Declined, "U10": Temporary, "U12": Merchant, "U14": Temporary,
		"U95": Temporary, "U96": Temporary, "U99": Temporary,
	}
	for _, e := range All() {
		assert.Equal(t, wantAlso[e.Code], e.Also, "%s", e.Code)
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, c := range []string{"", "K00", "k23", "K23 ", "KHY", "P59", "U16", "X01", "K2"} {
		_, ok := Lookup(c)
		assert.False(t, ok, "Lookup(%q)", c)
	}
}

func TestIs(t *testing.T) {
	assert.True(t, Is("U03", ThreeDS))
	assert.True(t, Is("U03", Temporary))
	assert.False(t, Is("U03", Declined))
	assert.True(t, Is("G99", Declined))
	assert.True(t, Is("G99", Temporary))
	assert.True(t, Is("K46", Member))
	assert.True(t, Is("K46", InvalidRequest))
	assert.True(t, Is("G12", Declined))
	assert.False(t, Is("G12", Temporary))
	assert.False(t, Is("G12", ClassUnknown), "ClassUnknown never matches")
	assert.False(t, Is("ZZZ", ClassUnknown))
	assert.False(t, Is("ZZZ", Declined))
}

func TestAllSortedAndCopy(t *testing.T) {
	all := All()
	require.NotEmpty(t, all)
	assert.True(t, slices.IsSortedFunc(all, func(a, b Entry) int { return strings.Compare(a.Code, b.Code) }))

	before, ok := Lookup(all[0].Code)
	require.True(t, ok)
	all[0].EN = "mutated"
	all[0].Class = Cancelled
	all[1] = Entry{Code: "ZZZ"}

	after, ok := Lookup(before.Code)
	require.True(t, ok)
	assert.Equal(t, before, after)
	again := All()
	assert.Equal(t, before, again[0])
	assert.NotEqual(t, "ZZZ", again[1].Code)
	_, ok = Lookup("ZZZ")
	assert.False(t, ok)
}

func TestClassString(t *testing.T) {
	want := map[Class]string{
		Declined: "declined", PaymentOption: "payment option", InvalidRequest: "invalid request",
		Merchant: "merchant settings", Temporary: "temporary", State: "state",
		AuthAssist: "authentication assist", Member: "member", ThreeDS: "3-D Secure",
		Token: "token", Cancelled: "cancelled", ClassUnknown: "unknown", Class('Z'): "unknown",
	}
	for c, s := range want {
		assert.Equal(t, s, c.String(), "%q", byte(c))
	}
}

func TestShopperMessages(t *testing.T) {
	groups := []Group{
		GroupContactShop, GroupCardNumber, GroupExpiry, GroupSecurityCode, GroupCardUnusable,
		GroupLimit, GroupAmountOrInstallments, GroupCustomerData, GroupThreeDS, GroupCancelled,
	}
	seenEN, seenJA := map[string]Group{}, map[string]Group{}
	for _, g := range groups {
		en, ja := g.ShopperMessage("en"), g.ShopperMessage("ja")
		assert.NotEmpty(t, en, g.String())
		assert.False(t, containsJapanese(en), "%s EN: %q", g, en)
		assert.True(t, containsJapanese(ja), "%s JA: %q", g, ja)
		assert.Equal(t, en, g.ShopperMessage(""), "anything but ja is English")
		assert.Equal(t, en, g.ShopperMessage("fr"), "anything but ja is English")
		assert.NotEqual(t, "unknown", g.String())

		// Each group says something different, and nothing internal leaks.
		if prev, dup := seenEN[en]; dup {
			t.Errorf("%s and %s share the English message", prev, g)
		}
		if prev, dup := seenJA[ja]; dup {
			t.Errorf("%s and %s share the Japanese message", prev, g)
		}
		seenEN[en], seenJA[ja] = g, g
		for _, e := range All() {
			assert.NotContains(t, en, e.Code, g.String())
			assert.NotContains(t, ja, e.Code, g.String())
		}
	}
	assert.Equal(t, GroupContactShop.ShopperMessage("ja"), Group(99).ShopperMessage("ja"))
	assert.Equal(t, GroupContactShop.ShopperMessage("en"), Group(-1).ShopperMessage("en"))
	assert.Equal(t, "unknown", Group(99).String())
}

func BenchmarkLookup(b *testing.B) {
	for b.Loop() {
		if _, ok := Lookup("G99"); !ok {
			b.Fatal("G99 not found")
		}
	}
}

package shop

import "strconv"

// PayTypeLabel returns the Japanese label a checkout page shows for a
// payment division (支払区分, an escott.PayType): 一括払い, ボーナス一括払い,
// リボルビング払い or "N回払い" for N installments. Any other value is
// returned as it is.
func PayTypeLabel[P ~string](p P) string {
	s := string(p)
	switch s {
	case "01":
		return "一括払い"
	case "80":
		return "ボーナス一括払い"
	case "88":
		return "リボルビング払い"
	}
	if len(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' {
		if n, _ := strconv.Atoi(s); n > 1 {
			return strconv.Itoa(n) + "回払い"
		}
	}
	return s
}

package main

import (
	"errors"
	"slices"
	"strings"

	"github.com/escott-go/escott"
)

// opNames are the gateway operations in the words of the merchant console;
// the pages show the wire name small beside them.
var opNames = map[string]string{
	escott.OpCheck:            "有効性チェック",
	escott.OpAuth:             "与信",
	escott.OpGathering:        "与信売上計上",
	escott.OpCapture:          "売上計上",
	escott.OpChange:           "金額変更",
	escott.OpDelete:           "取消",
	escott.OpSearch:           "取引参照",
	escott.OpReAuth:           "再与信",
	escott.OpMemberAdd:        "カード登録",
	escott.OpMemberChange:     "登録カード変更",
	escott.OpMemberRefMasked:  "登録カード参照",
	escott.OpMemberInvalidate: "会員無効化",
	escott.OpMemberDelete:     "会員削除",
	escott.OpCVSRegister:      "オンライン収納 決済登録",
	escott.OpCVSChange:        "オンライン収納 データ変更",
	escott.OpCVSCancel:        "オンライン収納 取消",
	escott.OpCVSInquire:       "オンライン収納 取引参照",
	escott.OpThreeDS:          "3-Dセキュア認証",
	opNotification:            "入金通知",
}

// opNotification marks history entries made by a payment-received
// notification (not a request of the shop).
const opNotification = "notification"

// opName is an operation in words ("与信"), or the wire name when unknown.
func opName(op string) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	return op
}

// operatorDetail describes a failed operation for the operator in Japanese:
// the gateway's codes with their messages, never a Go error string.
func operatorDetail(err error, linkKey string) string {
	var gwErr *escott.Error
	var authErr *escott.AuthenticationError
	var valErr *escott.ValidationError
	switch {
	case errors.As(err, &gwErr):
		parts := make([]string, 0, len(gwErr.Codes))
		for _, c := range gwErr.Codes {
			parts = append(parts, c.Value+" "+c.MessageJA)
		}
		return strings.Join(parts, " / ")
	case errors.Is(err, escott.ErrOutcomeUnknown):
		return "結果不明: 再実行せず、管理画面でリンクキー " + linkKey + " の取引を確認してください。"
	case errors.As(err, &authErr):
		return "3-Dセキュア認証不成立 (SecureResultCode " + string(authErr.SecureResultCode) + ")"
	case errors.As(err, &valErr):
		fields := make([]string, 0, len(valErr.Fields))
		for _, f := range valErr.Fields {
			fields = append(fields, f.Field)
		}
		return "入力値エラーのため送信していません: " + strings.Join(fields, ", ")
	case errors.Is(err, escott.ErrReturnRefused):
		return "3-Dセキュアの戻りを拒否しました (再送・改ざん・他の取引)"
	case errors.Is(err, escott.ErrJournalUnresolved):
		return "送信していません: リンクキー " + linkKey + " に結果不明の処理が残っています。管理画面で取引を確認し、ジャーナルで解決してから実行してください。"
	case errors.Is(err, escott.ErrState):
		return "送信していません: リンクキー " + linkKey + " の処理が実行中です。完了を待ってください。"
	}
	return "ゲートウェイと通信できませんでした。送信されていないため、再実行できます。"
}

// Shopper-side form fields.
const (
	fieldName     = "name"
	fieldKana     = "kana"
	fieldPhone    = "phone"
	fieldNumber   = "number"
	fieldExpiry   = "expiry"
	fieldSecurity = "cvc"
)

// cvsFieldOf maps the SDK's field names of an online-collection request to
// the checkout form's fields.
var cvsFieldOf = map[string]string{
	"NameKanji": fieldName,
	"NameKana":  fieldKana,
	"TelNo":     fieldPhone,
}

// fieldMessages are what the shopper reads next to a refused field.
var fieldMessages = map[string]struct{ JA, EN string }{
	fieldName:     {"お名前を全角で入力してください（姓と名の間は空白）。", "Enter your name (full-width, family and given name)."},
	fieldKana:     {"フリガナをカタカナ（またはひらがな）で入力してください。", "Enter the reading of your name in katakana or hiragana."},
	fieldPhone:    {"電話番号を数字で入力してください（例: 03-1234-5678）。", "Enter your phone number in digits (e.g. 03-1234-5678)."},
	fieldNumber:   {"カード番号をご確認ください。", "Please check the card number."},
	fieldExpiry:   {"有効期限をご確認ください。", "Please check the expiry date."},
	fieldSecurity: {"セキュリティコードをご確認ください。", "Please check the security code."},
}

// shopperFields returns the checkout fields a validation error is about,
// and whether every problem is the shopper's own input (so that nothing
// went wrong on the shop's side).
func shopperFields(err error) (map[string]bool, bool) {
	var valErr *escott.ValidationError
	if !errors.As(err, &valErr) || len(valErr.Fields) == 0 {
		return nil, false
	}
	out := map[string]bool{}
	for _, f := range valErr.Fields {
		name, ok := cvsFieldOf[f.Field]
		if !ok {
			return nil, false
		}
		out[name] = true
	}
	return out, true
}

// cardCodeFields are the gateway codes about one field of the card form.
var cardCodeFields = map[string][]string{
	fieldNumber:   {"K20", "K82", "C16", "G65"},
	fieldExpiry:   {"K21", "K83", "C13", "G83"},
	fieldSecurity: {"K24", "K40", "G44", "G45"},
}

// cardField is the card-form field a gateway refusal is about, or "".
func cardField(err error) string {
	var gwErr *escott.Error
	if !errors.As(err, &gwErr) {
		return ""
	}
	for _, c := range gwErr.Codes {
		for field, codes := range cardCodeFields {
			if slices.Contains(codes, c.Value) {
				return field
			}
		}
	}
	return ""
}

// threeDSLabel is a 3-D Secure result as the shopper reads it.
func threeDSLabel(c escott.SecureResultCode) string {
	switch c {
	case "":
		return ""
	case escott.SecureAuthenticated:
		return "本人認証済み"
	case escott.SecureNotEnrolled, escott.SecureIssuerNotParticipating, escott.SecureAttempt:
		return "本人認証の対象外"
	}
	return "本人認証できませんでした"
}

// normalizePhone accepts what shoppers type: full-width digits, spaces,
// hyphens of any kind, parentheses, and the +81 country code ("+81 3 1234
// 5678" is 03-1234-5678 dialled from abroad).
func normalizePhone(s string) string {
	p := escott.NormalizePhone(s)
	for _, cc := range []string{"+81-", "+81", "＋81"} {
		if strings.HasPrefix(p, cc) {
			return "0" + strings.TrimLeft(strings.TrimPrefix(p, cc), "-0")
		}
	}
	return p
}

#!/bin/sh
# Regenerates vectors.json: EncryptValue golden vectors made with the openssl command line, an implementation
# independent of the Go code under test. Each plaintext and its expected fields are written by hand below; openssl
# computes the ciphertext (AES-128-CBC, PKCS#7 padding, standard Base64 on one line). Needs openssl and jq.
# Run from anywhere: sh testdata/envelope/gen.sh
set -eu
cd "$(dirname "$0")"

hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }

out=vectors.json.tmp
: > "$out"

# vec NAME KEY IV CANONICAL PLAINTEXT FIELDS_JSON
# CANONICAL=true means PLAINTEXT is exactly what url.Values.Encode makes from FIELDS (keys sorted, all escaped).
vec() {
	ct=$(printf '%s' "$5" | openssl enc -aes-128-cbc -K "$(hex "$2")" -iv "$(hex "$3")" -base64 -A)
	jq -n --arg name "$1" --arg key "$2" --arg iv "$3" --argjson canonical "$4" \
		--arg plaintext "$5" --arg ciphertext "$ct" --argjson fields "$6" \
		'{name: $name, key: $key, iv: $iv, canonical: $canonical, plaintext: $plaintext, ciphertext: $ciphertext, fields: $fields}' >> "$out"
}

K1='0123456789abcdef'; I1='fedcba9876543210'
K2='ABCDEFGHIJKLMNOP'; I2='1234567890123456'
K3='k3Y!@#$%^&*()_+x'; I3='~iv.{}[]<>?:;|-Z'
K4='Zx9Qw8Er7Ty6Ui5O'; I4='Pa4Sd3Fg2Hj1Kl0M'

vec typical_mode_b_return "$K1" "$I1" true \
	'CAVV3D=AAABBBcc%2Bdd%2Fee%3D%3D&CAVVAlgorithm3D=2&DSTransactionId=f25084f0-5b16-4c0a-ae5d-b24808a95e4b&ECI3D=05&EncodeXId3D=MDAwMDAwMDAwMDAwMDAwMDAwMDE%3D&MerchantFree1=202401230001&MerchantFree2=&MerchantFree3=&MessageVersionNo3D=2.2.0&OperateId=3Secure&ResponseCd=OK&SecureResultCode=0&ThreeDSServerTransactionId=8a880dc0-d2d2-4067-bcb1-b08d1690b26e&TransactionStatus3D=Y' \
	'{"CAVV3D":"AAABBBcc+dd/ee==","CAVVAlgorithm3D":"2","DSTransactionId":"f25084f0-5b16-4c0a-ae5d-b24808a95e4b","ECI3D":"05","EncodeXId3D":"MDAwMDAwMDAwMDAwMDAwMDAwMDE=","MerchantFree1":"202401230001","MerchantFree2":"","MerchantFree3":"","MessageVersionNo3D":"2.2.0","OperateId":"3Secure","ResponseCd":"OK","SecureResultCode":"0","ThreeDSServerTransactionId":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e","TransactionStatus3D":"Y"}'

vec cavv_raw_plus "$K2" "$I2" false \
	'ResponseCd=OK&SecureResultCode=0&CAVV3D=AAABBBcc+dd/ee==&EncodeXId3D=AbCd+/Ef+gH/iJ==&ECI3D=02&MerchantFree1=A1B2C3' \
	'{"ResponseCd":"OK","SecureResultCode":"0","CAVV3D":"AAABBBcc+dd/ee==","EncodeXId3D":"AbCd+/Ef+gH/iJ==","ECI3D":"02","MerchantFree1":"A1B2C3"}'

vec japanese_percent_encoded "$K3" "$I3" true \
	'BillingFullName=TARO+YAMADA&MerchantFree3=%E3%83%86%E3%82%B9%E3%83%88%E6%B3%A8%E6%96%87&OperateId=1Auth&ResponseCd=OK' \
	'{"BillingFullName":"TARO YAMADA","MerchantFree3":"テスト注文","OperateId":"1Auth","ResponseCd":"OK"}'

vec japanese_raw_utf8 "$K4" "$I4" false \
	'MerchantFree3=ソニー太郎様の注文&MerchantFree2=東京都千代田区&ResponseCd=OK' \
	'{"MerchantFree3":"ソニー太郎様の注文","MerchantFree2":"東京都千代田区","ResponseCd":"OK"}'

vec empty_single_field "$K1" "$I1" true \
	'MerchantFree2=' \
	'{"MerchantFree2":""}'

vec exactly_one_block "$K2" "$I2" true \
	'Amount=12345&Z=1' \
	'{"Amount":"12345","Z":"1"}'

vec long_mode_a_return "$K3" "$I3" false \
	'ResponseCd=OK&OperateId=1Auth&ProcessId=1234567890ABCDEF1234567890ABCDEF&ProcessPass=FEDCBA0987654321FEDCBA0987654321&TransactionId=20240123000000012345&CompanyCd=2a99662&ApproveNo=0123456&SecureResultCode=0&MessageVersionNo3D=2.2.0&TransactionStatus3D=Y&CAVVAlgorithm3D=2&ECI3D=05&CAVV3D=kBMI%2FqBy0bJ8AAAAAAAAAAAAAAA%3D&EncodeXId3D=ZGVmZ2hpamtsbW5vcHFyc3R1dnc%3D&DSTransactionId=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0&ThreeDSServerTransactionId=a1b2c3d4-e5f6-4789-9abc-def012345678&MerchantFree1=LK000000000042&MerchantFree2=order%2F2024%2F0042%3Fa%3Db&MerchantFree3=%E3%81%94%E6%B3%A8%E6%96%87%E3%81%82%E3%82%8A%E3%81%8C%E3%81%A8%E3%81%86%E3%81%94%E3%81%96%E3%81%84%E3%81%BE%E3%81%99+%EF%BC%88%E6%A0%AA%EF%BC%89%E3%82%B5%E3%83%B3%E3%83%97%E3%83%AB%E5%95%86%E4%BA%8B' \
	'{"ResponseCd":"OK","OperateId":"1Auth","ProcessId":"1234567890ABCDEF1234567890ABCDEF","ProcessPass":"FEDCBA0987654321FEDCBA0987654321","TransactionId":"20240123000000012345","CompanyCd":"2a99662","ApproveNo":"0123456","SecureResultCode":"0","MessageVersionNo3D":"2.2.0","TransactionStatus3D":"Y","CAVVAlgorithm3D":"2","ECI3D":"05","CAVV3D":"kBMI/qBy0bJ8AAAAAAAAAAAAAAA=","EncodeXId3D":"ZGVmZ2hpamtsbW5vcHFyc3R1dnc=","DSTransactionId":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","ThreeDSServerTransactionId":"a1b2c3d4-e5f6-4789-9abc-def012345678","MerchantFree1":"LK000000000042","MerchantFree2":"order/2024/0042?a=b","MerchantFree3":"ご注文ありがとうございます （株）サンプル商事"}'

vec mode_b_request "$K4" "$I4" true \
	'Amount=1980&BillingEmail=hanako%2Btest%40example.jp&BillingFullName=HANAKO+SATO&MerchantFree1=LK000000000043&MerchantPass=pass1234&OperateId=3Secure&ProcNo=0000043&RedirectUrl=https%3A%2F%2Fshop.example.jp%2F3ds%2Freturn%3Forder%3D43%26lang%3Dja&TenantId=0001&Token=a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6&TransactionDate=20240123' \
	'{"Amount":"1980","BillingEmail":"hanako+test@example.jp","BillingFullName":"HANAKO SATO","MerchantFree1":"LK000000000043","MerchantPass":"pass1234","OperateId":"3Secure","ProcNo":"0000043","RedirectUrl":"https://shop.example.jp/3ds/return?order=43&lang=ja","TenantId":"0001","Token":"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6","TransactionDate":"20240123"}'

vec invalid_escape_kept_raw "$K1" "$I1" false \
	'MerchantFree2=100%off+sale&MerchantFree1=a=b=c&ResponseCd=OK' \
	'{"MerchantFree2":"100%off+sale","MerchantFree1":"a=b=c","ResponseCd":"OK"}'

vec base64_values_mixed "$K2" "$I2" false \
	'CAVV3D=jJ81HADVRtXfCBATEp01CJUAAAA%3D&EncodeXId3D=Zm9v%2BYmFy/baz+cXV4==&MerchantFree3=a+b%2Bc/d=e&ResponseCd=OK' \
	'{"CAVV3D":"jJ81HADVRtXfCBATEp01CJUAAAA=","EncodeXId3D":"Zm9v+YmFy/baz+cXV4==","MerchantFree3":"a b+c/d=e","ResponseCd":"OK"}'

jq -s . "$out" > vectors.json
rm -f "$out"

module github.com/escott-go/escott

go 1.26

require (
	github.com/google/go-querystring v1.1.0 // indirect
	github.com/shopspring/decimal v1.4.0 // indirect
	github.com/stretchr/testify v1.11.1 // indirect
)

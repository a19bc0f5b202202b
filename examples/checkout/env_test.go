package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// realEnv is a complete set of the real gateway's variables.
func realEnv() map[string]string {
	return map[string]string{
		"ESCOTT_MERCHANT_ID":     "1234567",
		"ESCOTT_MERCHANT_PASS":   "testpass",
		"ESCOTT_TOKEN_AUTH_CODE": "AUTHCODE1",
		"ESCOTT_AES_KEY":         "0123456789abcdef",
		"ESCOTT_AES_IV":          "fedcba9876543210",
		// A real gateway needs the operator's sign-in too.
		"ESCOTT_DEMO_ADMIN_USER":     "operator",
		"ESCOTT_DEMO_ADMIN_PASSWORD": "correct-horse-battery",
	}
}

func startWithEnv(t *testing.T, env map[string]string) error {
	t.Helper()
	d, err := startDemo(t.Context(), demoConfig{
		Addr:   "127.0.0.1:0",
		Getenv: func(k string) string { return env[k] },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err == nil {
		d.Close()
	}
	return err
}

// The demo names the variable it is missing, not the Config field.
func TestDemoNamesMissingVariable(t *testing.T) {
	for _, missing := range []string{"ESCOTT_MERCHANT_PASS", "ESCOTT_TOKEN_AUTH_CODE", "ESCOTT_AES_KEY", "ESCOTT_AES_IV"} {
		env := realEnv()
		delete(env, missing)
		err := startWithEnv(t, env)
		require.Error(t, err, missing)
		assert.Contains(t, err.Error(), missing+" is not set")
	}
	// A credential without the merchant ID is a half-done set-up, not the
	// fake gateway.
	env := realEnv()
	delete(env, "ESCOTT_MERCHANT_ID")
	err := startWithEnv(t, env)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ESCOTT_MERCHANT_ID is not set")
}

func TestDemoEnvironmentVariables(t *testing.T) {
	require.NoError(t, startWithEnv(t, realEnv()), "test is the default environment")

	env := realEnv()
	env["ESCOTT_ENVIRONMENT"] = "staging"
	err := startWithEnv(t, env)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ESCOTT_ENVIRONMENT must be test or production")

	env = realEnv()
	env["ESCOTT_ENV"] = "production" // the old name
	err = startWithEnv(t, env)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ESCOTT_ENVIRONMENT")

	env = realEnv()
	env["ESCOTT_BASE_URL"] = "http://gateway.example.com" // https only, unless loopback
	err = startWithEnv(t, env)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ESCOTT_BASE_URL")

	env = realEnv()
	env["ESCOTT_TENANT_ID"] = "0002"
	env["ESCOTT_BASE_URL"] = "http://127.0.0.1:9"
	require.NoError(t, startWithEnv(t, env))
}

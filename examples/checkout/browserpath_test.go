package main

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBrowserPathFindsChromeAndChromium(t *testing.T) {
	installed := func(names ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, n := range names {
				if n == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	noEnv := func(string) string { return "" }
	assert.Equal(t, "/usr/bin/google-chrome", findBrowser(installed("google-chrome"), noEnv))
	assert.Equal(t, "/usr/bin/google-chrome-stable", findBrowser(installed("google-chrome-stable"), noEnv))
	assert.Equal(t, "/usr/bin/chromium-browser", findBrowser(installed("chromium-browser"), noEnv))
	assert.Equal(t, "/usr/bin/chromium", findBrowser(installed("google-chrome", "chromium"), noEnv), "Chromium first")
	assert.Empty(t, findBrowser(installed(), noEnv))

	env := func(k string) string {
		if k == browserEnv {
			return "my-chrome"
		}
		return ""
	}
	assert.Equal(t, "/usr/bin/my-chrome", findBrowser(installed("chromium", "my-chrome"), env), "the variable wins")
	assert.Empty(t, findBrowser(installed("chromium"), env), "a variable naming a missing browser finds none")
}

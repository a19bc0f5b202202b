package escott_test

import (
	"net/http"

	"github.com/escott-go/escott"
)

// notifyCfg is a notification receiver's setting as the tests vary it: the
// credentials and environment become the client's Config, the rest
// NotifyOptions.
type notifyCfg struct {
	MerchantID, MerchantPass string
	Environment              escott.Environment
	AllowMissingHash         bool
	AllowedSources           []string
	DisableSourceCheck       bool
	TrustedProxies           []string
	MaxBody                  int64
}

// client is a client with the receiver's credentials.
func (c notifyCfg) client() (*escott.Client, error) {
	return escott.NewClient(escott.Config{MerchantID: c.MerchantID, MerchantPass: c.MerchantPass, Environment: c.Environment})
}

// options are the receiver's settings as options, before opts.
func (c notifyCfg) options(opts []escott.NotifyOption) []escott.NotifyOption {
	var o []escott.NotifyOption
	if c.AllowMissingHash {
		o = append(o, escott.WithAllowMissingHash())
	}
	if c.AllowedSources != nil {
		o = append(o, escott.WithNotifySources(c.AllowedSources...))
	}
	if c.DisableSourceCheck {
		o = append(o, escott.WithoutSourceCheck())
	}
	if c.TrustedProxies != nil {
		o = append(o, escott.WithTrustedProxies(c.TrustedProxies...))
	}
	if c.MaxBody != 0 {
		o = append(o, escott.WithMaxBody(c.MaxBody))
	}
	return append(o, opts...)
}

// newNotifyHandler is Client.NotificationHandler for cfg.
func newNotifyHandler(cfg notifyCfg, opts ...escott.NotifyOption) (*escott.NotificationHandler, error) {
	c, err := cfg.client()
	if err != nil {
		return nil, err
	}
	return c.NotificationHandler(cfg.options(opts)...)
}

// parseNotification is Client.NotificationParser for cfg, then Parse.
func parseNotification(r *http.Request, cfg notifyCfg) (*escott.Notification, error) {
	c, err := cfg.client()
	if err != nil {
		return nil, err
	}
	p, err := c.NotificationParser(cfg.options(nil)...)
	if err != nil {
		return nil, err
	}
	return p.Parse(r)
}

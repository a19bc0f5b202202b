package escott

import "net/http"

// DefaultTransportForTest returns the transport of the client's default HTTP
// client (nil when the host supplied its own), so that a test can make it
// trust a test certificate.
func DefaultTransportForTest(c *Client) *http.Transport {
	if c.userHTTP {
		return nil
	}
	tr, _ := c.hc.Transport.(*http.Transport)
	return tr
}

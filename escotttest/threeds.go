package escotttest

import "net/http"

// tdsState holds 3-D Secure attempts.
type tdsState struct{}

func (s *tdsState) init() {}

// routeBrowser adds the pages a shopper's browser visits.
func (g *Gateway) routeBrowser(mux *http.ServeMux) {}

// checkThreeDSFieldsLocked checks the 3-D Secure fields of an authorisation
// against what OTDS010 issued. It reports whether 3-D Secure data was sent.
func (g *Gateway) checkThreeDSFieldsLocked(r *req) (bool, []string) {
	return false, nil
}

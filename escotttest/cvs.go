package escotttest

// cvsState holds online-collection payments.
type cvsState struct{}

func (s *cvsState) init() {}

func (g *Gateway) cvsOps() map[string]opFunc { return map[string]opFunc{} }

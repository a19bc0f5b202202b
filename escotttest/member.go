package escotttest

import "time"

// memberState holds stored-card members.
type memberState struct{}

func (s *memberState) init() {}

func (g *Gateway) memberOps() map[string]opFunc { return map[string]opFunc{} }

// memberCardLocked resolves KaiinId/KaiinPass to the member's card.
func (g *Gateway) memberCardLocked(id, pass string, now time.Time, c *codeList) (card, bool) {
	c.add("K68") // member function not contracted (until members are implemented)
	return card{}, false
}

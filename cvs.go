package escott

// CVSService registers and manages online-collection payments (convenience
// store, Pay-easy, net banking, e-money; OCNV005). Get it from Client.CVS.
type CVSService struct{ c *Client }

package escott

// ThreeDSService runs EMV 3-D Secure authentication through OTDS010. Get it
// from Client.ThreeDS.
type ThreeDSService struct{ c *Client }

// Package escott is a client for e-SCOTT Smart, Sony Payment Services' payment
// gateway for Japanese online shops.
package escott

package chaos

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"net"
	"sync"
)

// HTTP/2 frame types and codes used here (RFC 9113 §6).
const (
	frameData      = 0x0
	frameRSTStream = 0x3
	frameGoAway    = 0x7

	flagEndStream = 0x1
	flagPadded    = 0x8

	errCodeNo       = 0x0
	errCodeProtocol = 0x1

	clientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
)

// conn is one client connection of the proxy. It is never a *tls.Conn, so
// that the http.Server sees the TLS plaintext and serves HTTP/2 on it as
// "unencrypted HTTP/2": the proxy can then read the client's frames and
// write frames of its own between the server's.
type conn struct {
	net.Conn              // the TLS connection, or the TCP one for plain HTTP/1.1
	tcp      *net.TCPConn // the socket under it, to reset

	hsOnce sync.Once
	hsErr  error
	h2     bool // ALPN chose h2: parse frames

	// read side (client → server), only touched by the server's reader
	rin     []byte // bytes not yet parsed into a whole frame
	prefLen int    // preface bytes seen
	bodies  map[uint32][]byte

	mu      sync.Mutex
	streams map[string]uint32 // request body → stream id, once the body ended
	// write side (server → client): frame boundary tracking for injection
	hdr     [9]byte
	hdrN    int
	remain  int
	pending [][]byte
}

func newConn(c net.Conn, tcp *net.TCPConn) *conn {
	return &conn{Conn: c, tcp: tcp, bodies: make(map[uint32][]byte), streams: make(map[string]uint32)}
}

func (c *conn) handshake() error {
	c.hsOnce.Do(func() {
		tc, ok := c.Conn.(*tls.Conn)
		if !ok {
			return
		}
		c.hsErr = tc.HandshakeContext(context.Background())
		c.h2 = c.hsErr == nil && tc.ConnectionState().NegotiatedProtocol == "h2"
	})
	return c.hsErr
}

// Read implements net.Conn, parsing HTTP/2 frames on the way.
func (c *conn) Read(p []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if n > 0 && c.h2 {
		c.parseIn(p[:n])
	}
	return n, err
}

// Write implements net.Conn; frames queued by inject go out at the next frame
// boundary.
func (c *conn) Write(p []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.Conn.Write(p)
	if !c.h2 {
		return n, err
	}
	c.trackOut(p[:n])
	if err == nil && c.hdrN == 0 && c.remain == 0 {
		err = c.flushPendingLocked()
	}
	return n, err
}

func (c *conn) trackOut(p []byte) {
	for len(p) > 0 {
		if c.remain > 0 {
			k := min(c.remain, len(p))
			c.remain -= k
			p = p[k:]
			continue
		}
		k := copy(c.hdr[c.hdrN:], p)
		c.hdrN += k
		p = p[k:]
		if c.hdrN == 9 {
			c.remain = int(c.hdr[0])<<16 | int(c.hdr[1])<<8 | int(c.hdr[2])
			c.hdrN = 0
		}
	}
}

func (c *conn) flushPendingLocked() error {
	for len(c.pending) > 0 {
		f := c.pending[0]
		c.pending = c.pending[1:]
		if _, err := c.Conn.Write(f); err != nil {
			return err
		}
	}
	return nil
}

// inject writes a frame of the proxy's own between two frames of the server.
func (c *conn) inject(f []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append(c.pending, f)
	if c.hdrN == 0 && c.remain == 0 {
		_ = c.flushPendingLocked()
	}
}

func (c *conn) parseIn(p []byte) {
	if c.prefLen < len(clientPreface) {
		k := min(len(clientPreface)-c.prefLen, len(p))
		c.prefLen += k
		p = p[k:]
	}
	c.rin = append(c.rin, p...)
	for len(c.rin) >= 9 {
		n := int(c.rin[0])<<16 | int(c.rin[1])<<8 | int(c.rin[2])
		if len(c.rin) < 9+n {
			return
		}
		typ, flags := c.rin[3], c.rin[4]
		id := binary.BigEndian.Uint32(c.rin[5:9]) & 0x7fffffff
		payload := c.rin[9 : 9+n]
		if typ == frameData {
			if flags&flagPadded != 0 && len(payload) > 0 {
				pad := int(payload[0])
				payload = payload[1:]
				if pad <= len(payload) {
					payload = payload[:len(payload)-pad]
				}
			}
			c.bodies[id] = append(c.bodies[id], payload...)
			if flags&flagEndStream != 0 {
				c.mu.Lock()
				c.streams[string(c.bodies[id])] = id
				c.mu.Unlock()
				delete(c.bodies, id)
			}
		}
		c.rin = append(c.rin[:0], c.rin[9+n:]...)
	}
}

// streamOf returns the HTTP/2 stream whose request body was body.
func (c *conn) streamOf(body []byte) (uint32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.streams[string(body)]
	delete(c.streams, string(body))
	return id, ok
}

// reset closes the socket with a TCP RST.
func (c *conn) reset() {
	_ = c.tcp.SetLinger(0)
	_ = c.tcp.Close()
}

func frame(typ byte, stream uint32, payload []byte) []byte {
	f := make([]byte, 9+len(payload))
	n := len(payload)                                   // at most 8 bytes here
	f[0], f[1], f[2] = byte(n>>16), byte(n>>8), byte(n) //nolint:gosec // a 24-bit length, by construction in range
	f[3] = typ
	binary.BigEndian.PutUint32(f[5:9], stream)
	copy(f[9:], payload)
	return f
}

// rstStream is RST_STREAM(PROTOCOL_ERROR) for stream: the code Go's HTTP/2
// client treats as "retry the request".
func rstStream(stream uint32) []byte {
	return frame(frameRSTStream, stream, binary.BigEndian.AppendUint32(nil, errCodeProtocol))
}

// goAway is GOAWAY(NO_ERROR) whose last processed stream is the one before
// stream, so the client thinks stream (and later ones) were never processed.
func goAway(stream uint32) []byte {
	last := uint32(0)
	if stream > 2 {
		last = stream - 2
	}
	p := binary.BigEndian.AppendUint32(nil, last)
	return frame(frameGoAway, 0, binary.BigEndian.AppendUint32(p, errCodeNo))
}

// listener hands out conns; with cfg it speaks TLS (ALPN h2, http/1.1).
type listener struct {
	net.Listener
	cfg *tls.Config
}

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tcp, _ := c.(*net.TCPConn)
	if l.cfg == nil {
		return newConn(c, tcp), nil
	}
	return newConn(tls.Server(c, l.cfg), tcp), nil
}

package aliyuntest

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serve answers on ln until ctx is done: plain HTTP and, when ca is not nil,
// HTTPS on the same port (told apart by the first byte of each connection),
// direct requests ("POST /?Action=...") as well as proxy requests, both
// absolute-form ("POST http://ecs.aliyuncs.com/?...") and CONNECT tunnels
// (the SDK's HTTPS_PROXY), whose inner connection is served the same way.
// Every request is answered by the emulator itself; nothing is forwarded.
// Serve closes ln and returns nil after ctx is done, or the error that
// stopped the listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener, ca *CertificateAuthority) error {
	ml := &muxListener{ln: ln, conns: make(chan net.Conn), done: make(chan struct{})}
	if ca != nil {
		ml.tls = ca.TLSConfig()
	}
	hs := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveProxy(ml, w, r) }),
		ReadHeaderTimeout: 30 * time.Second,
		// Connection-level errors (a client that distrusts the CA) go to
		// the server's logger at debug level.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ml) }()
	select {
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := hs.Shutdown(shutdownCtx)
		<-errc
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	case err := <-errc:
		_ = ml.Close()
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// serveProxy opens CONNECT tunnels and serves everything else.
func (s *Server) serveProxy(ml *muxListener, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		s.ServeHTTP(w, r)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "CONNECT is not supported on this connection", http.StatusMethodNotAllowed)
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	// Bytes the client sent after the CONNECT request stay readable.
	var c net.Conn = conn
	if n := rw.Reader.Buffered(); n > 0 {
		c = &prefixConn{Conn: conn, r: io.MultiReader(io.LimitReader(rw.Reader, int64(n)), conn)}
	}
	ml.inject(c)
}

// muxListener yields accepted connections, TLS-wrapped when they start with
// a TLS handshake, and tunnels opened by CONNECT.
type muxListener struct {
	ln    net.Listener
	tls   *tls.Config
	conns chan net.Conn

	once sync.Once
	done chan struct{}

	startOnce sync.Once
}

func (m *muxListener) start() {
	m.startOnce.Do(func() {
		go func() {
			for {
				c, err := m.ln.Accept()
				if err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						continue
					}
					m.Close()
					return
				}
				m.inject(c)
			}
		}()
	})
}

// inject sniffs c in its own goroutine, so a slow client holds up no other.
func (m *muxListener) inject(c net.Conn) {
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(c)
		first, err := br.Peek(1)
		_ = c.SetReadDeadline(time.Time{})
		if err != nil {
			c.Close()
			return
		}
		var out net.Conn = &prefixConn{Conn: c, r: br}
		if first[0] == 0x16 { // TLS handshake record
			if m.tls == nil {
				c.Close()
				return
			}
			out = tls.Server(out, m.tls)
		}
		select {
		case m.conns <- out:
		case <-m.done:
			c.Close()
		}
	}()
}

func (m *muxListener) Accept() (net.Conn, error) {
	m.start()
	select {
	case c := <-m.conns:
		return c, nil
	case <-m.done:
		return nil, net.ErrClosed
	}
}

func (m *muxListener) Close() error {
	var err error
	m.once.Do(func() {
		close(m.done)
		err = m.ln.Close()
	})
	return err
}

func (m *muxListener) Addr() net.Addr { return m.ln.Addr() }

// prefixConn reads through r (which holds bytes already read from Conn).
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (p *prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }

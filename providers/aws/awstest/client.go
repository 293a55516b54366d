package awstest

import (
	"io"
	"net/http"
)

// HTTPClient returns an HTTP client for the SDK's HTTPClient option that
// avoids a client-side race seen only against a server that answers within
// microseconds, as this one does. net/http writes a request body, then
// copies what is left of it to io.Discard to find its end. smithy-go closes
// the body as soon as the response headers arrive, and its body wrapper's
// WriteTo answers (0, io.EOF) once closed; io.Copy passes that EOF on as an
// error (WriteTo should not return EOF, golang/go#44411), and the
// transport's write loop then closes the connection under the response
// being read: "use of closed network connection" on a large answer (about
// one run in five of an instance-type pager under -race, traced with a
// logging body). Hiding WriteTo behind a plain reader ends it: a Read after
// close answers EOF, which io.Copy takes for the end. The SDK's own client
// works too, with that race. The client is safe for concurrent use.
func (s *Server) HTTPClient() *http.Client { return NewHTTPClient() }

// NewHTTPClient is Server.HTTPClient for code that has no *Server at hand,
// such as a program talking to cmd/cloudemu on a loopback port.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: plainBodyTransport{http.DefaultTransport}}
}

type plainBodyTransport struct{ rt http.RoundTripper }

// plainBody hides every method of a request body but Read and Close.
type plainBody struct{ io.ReadCloser }

func (t plainBodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r2 := r.Clone(r.Context())
		r2.Body = plainBody{r.Body}
		return t.rt.RoundTrip(r2)
	}
	return t.rt.RoundTrip(r)
}

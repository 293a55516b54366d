package awstest

import (
	"io"
	"net/http"
)

// HTTPClient returns an HTTP client for the SDK's HTTPClient option that
// avoids a race between aws-sdk-go-v2 and net/http seen only against a
// server that answers within microseconds, as this one does: the SDK closes
// a request's body as soon as the response headers arrive, while the
// transport's write loop may still be finishing that body; the transport
// then closes the connection under the response being read, and a large
// response fails with "use of closed network connection" (seen in about
// one run in five of a DescribeInstanceTypes pager under -race; the
// connection is closed from the transport's write loop). Hiding the body's
// type behind a plain reader (the SDK's body also offers WriteTo) made the
// failure go away in every run since (1,000 pages under -race, several
// times); the exact interleaving is not pinned down. The SDK's own client
// works too, without that observation behind it. The client is safe for
// concurrent use.
func (s *Server) HTTPClient() *http.Client {
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

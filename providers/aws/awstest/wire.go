package awstest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
)

// Namespaces of the XML services.
const (
	ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// API versions served.
const (
	EC2Version = "2016-11-15"
	STSVersion = "2011-06-15"
)

// apiError is an error answer in a service's wire format.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errInvalidParameterValue(msg string) *apiError {
	return &apiError{Status: 400, Code: "InvalidParameterValue", Message: msg}
}

func errMissingParameter(name string) *apiError {
	return &apiError{Status: 400, Code: "MissingParameter", Message: "The request must contain the parameter " + name}
}

// ec2AuthError maps a refused signature to EC2's codes. EC2's error page
// lists AuthFailure, SignatureDoesNotMatch, IncompleteSignature,
// MissingAuthenticationToken and RequestExpired; the statuses are the AWS
// common-errors ones where that page gives them (IncompleteSignature 400,
// MissingAuthenticationToken 403, RequestExpired 400). AuthFailure 401 and
// SignatureDoesNotMatch 403 are commonly observed, not confirmed in AWS docs.
func ec2AuthError(a *authError) *apiError {
	switch a.fault {
	case authMissing:
		return &apiError{Status: 403, Code: "MissingAuthenticationToken", Message: a.msg}
	case authIncomplete:
		return &apiError{Status: 400, Code: "IncompleteSignature", Message: a.msg}
	case authUnknownKey, authBadToken:
		return &apiError{Status: 401, Code: "AuthFailure", Message: "AWS was not able to validate the provided access credentials"}
	case authExpired:
		return &apiError{Status: 400, Code: "RequestExpired", Message: a.msg}
	default:
		return &apiError{Status: 403, Code: "SignatureDoesNotMatch", Message: a.msg}
	}
}

// stsAuthError maps a refused signature to STS's codes (AWS common errors:
// InvalidClientTokenId 403, IncompleteSignature 400, MissingAuthenticationToken
// 403, RequestExpired 400; SignatureDoesNotMatch 403 is not confirmed).
func stsAuthError(a *authError) *apiError {
	switch a.fault {
	case authMissing:
		return &apiError{Status: 403, Code: "MissingAuthenticationToken", Message: a.msg}
	case authIncomplete:
		return &apiError{Status: 400, Code: "IncompleteSignature", Message: a.msg}
	case authUnknownKey, authBadToken:
		return &apiError{Status: 403, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
	case authExpired:
		return &apiError{Status: 400, Code: "RequestExpired", Message: a.msg}
	default:
		return &apiError{Status: 403, Code: "SignatureDoesNotMatch", Message: a.msg}
	}
}

// jsonAuthError maps a refused signature to the codes JSON-protocol services
// use: UnrecognizedClientException for an unknown key and
// InvalidSignatureException for a bad or expired signature, both 400 (the
// general AWS JSON behaviour; not in the Price List API's own reference, so
// not confirmed for it). MissingAuthenticationToken is 403 as in the common
// errors.
func jsonAuthError(a *authError) *apiError {
	switch a.fault {
	case authMissing:
		return &apiError{Status: 403, Code: "MissingAuthenticationTokenException", Message: a.msg}
	case authIncomplete:
		return &apiError{Status: 400, Code: "IncompleteSignatureException", Message: a.msg}
	case authUnknownKey, authBadToken:
		return &apiError{Status: 400, Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}
	case authExpired:
		return &apiError{Status: 400, Code: "InvalidSignatureException", Message: "Signature expired: " + a.msg}
	default:
		return &apiError{Status: 400, Code: "InvalidSignatureException", Message: a.msg}
	}
}

// ec2Meta is embedded first in every EC2 response body.
type ec2Meta struct {
	RequestID string `xml:"requestId"`
}

func (m *ec2Meta) setRequestID(id string) { m.RequestID = id }

type withRequestID interface{ setRequestID(string) }

// set is an EC2 XML list: every element is an <item>.
type set[T any] struct {
	Items []T `xml:"item"`
}

func newSet[T any](items []T) set[T] { return set[T]{Items: items} }

// writeEC2 answers an EC2 action with <{Action}Response xmlns=...> and
// requestId first, as the reference's examples show.
func writeEC2(w http.ResponseWriter, action, reqID string, body withRequestID) {
	body.setRequestID(reqID)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ec2Namespace}}}
	if err := enc.EncodeElement(body, start); err != nil {
		writeEC2Error(w, reqID, &apiError{Status: 500, Code: "InternalError", Message: "An internal error has occurred"})
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// writeEC2Error writes the documented EC2 error envelope:
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
func writeEC2Error(w http.ResponseWriter, reqID string, e *apiError) {
	type xmlErr struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type envelope struct {
		XMLName   xml.Name `xml:"Response"`
		Errors    []xmlErr `xml:"Errors>Error"`
		RequestID string   `xml:"RequestID"`
	}
	b, _ := xml.Marshal(envelope{Errors: []xmlErr{{e.Code, e.Message}}, RequestID: reqID})
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(append([]byte(xml.Header), b...))
}

// writeSTS answers an STS (awsquery) action: <{Action}Response xmlns=...>
// <{Action}Result>...</{Action}Result><ResponseMetadata><RequestId/>.
func writeSTS(w http.ResponseWriter, action, reqID string, result any) {
	type meta struct {
		RequestID string `xml:"RequestId"`
	}
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: stsNamespace}}}
	err := enc.EncodeToken(start)
	if err == nil {
		err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(meta{reqID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(start.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		writeSTSError(w, reqID, &apiError{Status: 500, Code: "InternalFailure", Message: "internal failure"})
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// writeSTSError writes the awsquery error envelope:
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
func writeSTSError(w http.ResponseWriter, reqID string, e *apiError) {
	type xmlErr struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type envelope struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     xmlErr   `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	b, _ := xml.Marshal(envelope{Xmlns: stsNamespace, Error: xmlErr{typ, e.Code, e.Message}, RequestID: reqID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// writeJSON answers an awsJson1_1 action.
func writeJSON(w http.ResponseWriter, reqID string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeJSONError(w, reqID, &apiError{Status: 500, Code: "InternalErrorException", Message: "internal error"})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeJSONError writes the awsJson1_1 error body {"__type":..., "Message":...}
// (the shape of the pricing SDK's response snapshots).
func writeJSONError(w http.ResponseWriter, reqID string, e *apiError) {
	b, _ := json.Marshal(map[string]string{"__type": e.Code, "Message": e.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

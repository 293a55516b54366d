package awstest

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// roleARN is arn:aws:iam::<account>:role/<path/name>.
var roleARN = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$`)

// sessionName is STS's RoleSessionName pattern, 2 to 64 characters.
var sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

type callerIdentity struct {
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type assumeRoleResult struct {
	Credentials     stsCredentials  `xml:"Credentials"`
	AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
}

// serveSTS answers GetCallerIdentity and AssumeRole (STS 2011-06-15, the
// awsquery protocol).
func (s *Server) serveSTS(w http.ResponseWriter, c *call) {
	if v := c.params.str("Version"); v != STSVersion {
		writeSTSError(w, c.reqID, &apiError{Status: 400, Code: "InvalidParameterValue", Message: "Unsupported API version '" + v + "'"})
		return
	}
	switch c.action {
	case "GetCallerIdentity":
		writeSTS(w, c.action, c.reqID, callerIdentity{Account: c.account.ID, Arn: c.cred.arn, UserID: c.cred.userID})
	case "AssumeRole":
		res, e := s.assumeRole(c)
		if e != nil {
			writeSTSError(w, c.reqID, e)
			return
		}
		writeSTS(w, c.action, c.reqID, res)
	default:
		writeSTSError(w, c.reqID, &apiError{Status: 400, Code: "InvalidAction", Message: "Could not find operation " + c.action + " for version " + STSVersion})
	}
}

// assumeRole issues temporary credentials for a role of any account the
// server knows (trust policies are not modelled: every known caller may
// assume every role of a known account). The credentials act as the role's
// account.
func (s *Server) assumeRole(c *call) (assumeRoleResult, *apiError) {
	arn := c.params.str("RoleArn")
	session := c.params.str("RoleSessionName")
	if arn == "" {
		return assumeRoleResult{}, errMissingParameter("RoleArn")
	}
	if session == "" {
		return assumeRoleResult{}, errMissingParameter("RoleSessionName")
	}
	if !sessionName.MatchString(session) {
		// STS answers constraint violations as ValidationError.
		return assumeRoleResult{}, &apiError{Status: 400, Code: "ValidationError", Message: "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint"}
	}
	m := roleARN.FindStringSubmatch(arn)
	if m == nil {
		return assumeRoleResult{}, &apiError{Status: 400, Code: "ValidationError", Message: "1 validation error detected: Value at 'roleArn' failed to satisfy constraint"}
	}
	dur := s.opts.AssumeRoleDuration
	if n, ok, e := c.params.integer("DurationSeconds"); e != nil {
		return assumeRoleResult{}, e
	} else if ok {
		// STS: DurationSeconds 900 to 43200 (the role's maximum session
		// duration, default one hour, is not modelled).
		if n < 900 || n > 43200 {
			return assumeRoleResult{}, &apiError{Status: 400, Code: "ValidationError", Message: "1 validation error detected: Value '" + strconv.Itoa(n) + "' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200"}
		}
		dur = time.Duration(n) * time.Second
	}
	var target *Account
	for i := range s.opts.Accounts {
		if s.opts.Accounts[i].ID == m[1] {
			target = &s.opts.Accounts[i]
		}
	}
	if target == nil {
		return assumeRoleResult{}, &apiError{Status: 403, Code: "AccessDenied", Message: "User: " + c.cred.arn + " is not authorized to perform: sts:AssumeRole on resource: " + arn}
	}
	roleID := "AROA" + randomID(17)
	cred := &credential{
		account:      target,
		secret:       randomSecret(30),
		sessionToken: randomSecret(96),
		expires:      s.opts.Now().Add(dur),
		arn:          "arn:aws:sts::" + target.ID + ":assumed-role/" + m[2] + "/" + session,
		userID:       roleID + ":" + session,
	}
	akid := "ASIA" + randomID(16)
	s.mu.Lock()
	s.creds[akid] = cred
	s.mu.Unlock()
	return assumeRoleResult{
		Credentials: stsCredentials{
			AccessKeyID: akid, SecretAccessKey: cred.secret, SessionToken: cred.sessionToken,
			Expiration: cred.expires.UTC().Format(time.RFC3339),
		},
		AssumedRoleUser: assumedRoleUser{AssumedRoleID: cred.userID, Arn: cred.arn},
	}, nil
}

// randomID is n upper-case letters and digits, as AWS key and role IDs are.
func randomID(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.TrimRight(base64.StdEncoding.EncodeToString(b), "=")
}

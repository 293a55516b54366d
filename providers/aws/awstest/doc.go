// Package awstest emulates the AWS EC2 Query API (2016-11-15), the Price List
// Query API and STS on an httptest server, with SigV4 checks.
package awstest

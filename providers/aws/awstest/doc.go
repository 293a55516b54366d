// Package awstest emulates the AWS EC2 Query API (2016-11-15), the Price List
// Query API, STS and CloudTrail's LookupEvents on an httptest server, as a face of the shared simulated
// cloud (providers/sim), so that code built on aws-sdk-go-v2 runs against it
// unmodified.
//
// # Pointing the SDK at it
//
// One server answers every service on one URL; the signature's service
// name tells them apart. Give the URL as BaseEndpoint of each client, with
// the server's credentials and an explicit Region:
//
//	srv := awstest.New()
//	defer srv.Close()
//	creds := credentials.NewStaticCredentialsProvider(awstest.DefaultAccessKeyID, awstest.DefaultSecretAccessKey, "")
//	ec := ec2.New(ec2.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{}})
//	pc := pricing.New(pricing.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL())})
//	sc := sts.New(sts.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL())})
//	ct := cloudtrail.New(cloudtrail.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL())})
//
// or aws.Config.BaseEndpoint / AWS_ENDPOINT_URL for every client at once.
// Tests that read large answers under -race should also set
// HTTPClient: srv.HTTPClient() (see Server.HTTPClient for why).
// The Region of the signature is the Region a call acts in (one endpoint per
// Region on AWS); an empty or unknown Region is refused.
//
// # What is checked
//
// Every request must carry a valid Signature Version 4 Authorization header
// (verified against the published test-suite vectors in testdata/sigv4),
// signed within 15 minutes of the server's clock, by a key of one of
// Options.Accounts or of credentials from AssumeRole (with its session
// token). Refusals use each service's documented codes: EC2 AuthFailure,
// SignatureDoesNotMatch, RequestExpired, MissingAuthenticationToken; STS
// InvalidClientTokenId; the Price List API UnrecognizedClientException and
// InvalidSignatureException. Secrets never appear in an answer or a log.
//
// EC2 answers in its XML namespace with requestId first and errors in the
// documented Response/Errors/Error envelope with 4xx or 5xx statuses; lists
// are Name.N, filters Filter.N.Name/Value.M with '*' and '?' wildcards and
// tag:<key>, tag-key and tag-value; NextToken/MaxResults follow each
// action's documented bounds. Each served action answers with the elements
// of its documented response table (testdata/documented/ec2.json).
//
// # The simulated cloud and its knobs
//
// Options.Cloud (default NewCloud()) holds the state: Server.Cloud() gives
// its knobs in sim's vocabulary: SetStock (InsufficientInstanceCapacity),
// SetQuota (InstanceLimitExceeded, VcpuLimitExceeded, VpcLimitExceeded,
// AddressLimitExceeded), SetPrice (the Price List's USD prices),
// InjectFault (errors, throttling, resets, lost, slow and garbled answers),
// SetLatency, SetTransitionDelay and a ManualClock for instance states, the
// call log and change events. The face's own knobs are Options.DescribeDelay
// (EC2's eventual consistency: a new instance is InvalidInstanceID.NotFound
// to describes for that long), Options.RequestBuckets (EC2's documented
// per-action token buckets, RequestLimitExceeded), Account.ZoneNames (each
// account maps zone names to zone IDs its own way) and Server.SetOffered
// (a type not offered in a zone is Unsupported there).
//
// CloudTrail's LookupEvents answers the EC2 write calls the server recorded
// as the simulated cloud's change events, per account and Region, newest
// first, once Cloud.SetEventDelay has passed.
//
// The emulator has no default VPC: RunInstances needs a subnet and
// CreateSecurityGroup a VPC (VPCIdNotSpecified otherwise).
package awstest

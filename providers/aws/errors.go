package aws

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/multicloud-ecs/multicloud"
)

// codeRule is the portable class of an EC2 (or Price List, STS) error
// code, and the message to report; an empty message keeps the API's.
type codeRule struct {
	class   multicloud.Code
	message string
}

// codeRules classifies the codes of the EC2 error code reference
// ("Error codes for the Amazon EC2 API") for the actions this provider
// calls: RunInstances, Describe*, Start/Stop/Reboot/TerminateInstances,
// CreateVpc, CreateSubnet, CreateSecurityGroup,
// AuthorizeSecurityGroupIngress, CreateInternetGateway,
// AttachInternetGateway, CreateRoute, AllocateAddress, AssociateAddress,
// DisassociateAddress, ReleaseAddress, DeleteVpc, DeleteSubnet,
// DeleteSecurityGroup, DeleteInternetGateway, DetachInternetGateway, and
// the Price List's GetProducts and STS's GetCallerIdentity. The HTTP status
// of each code is not documented (only the 4xx/5xx split): classification
// goes by code, and by status only for codes not listed here.
var codeRules = map[string]codeRule{
	// Throttling: the Client retries with backoff.
	"RequestLimitExceeded":         {multicloud.CodeThrottled, "request throttled"},
	"Throttling":                   {multicloud.CodeThrottled, "request throttled"},
	"ThrottlingException":          {multicloud.CodeThrottled, "request throttled"},
	"BandwidthLimitExceeded":       {multicloud.CodeThrottled, "bandwidth limit exceeded"},
	"RequestResourceCountExceeded": {multicloud.CodeThrottled, "too many resources requested at once"},
	"ConcurrentTagAccess":          {multicloud.CodeThrottled, "concurrent tag access"},

	// Transient server failures.
	"InternalError":      {multicloud.CodeUnavailable, "internal server error"},
	"InternalFailure":    {multicloud.CodeUnavailable, "internal server error"},
	"ServerInternal":     {multicloud.CodeUnavailable, "internal server error"},
	"ServiceUnavailable": {multicloud.CodeUnavailable, "service unavailable"},
	"Unavailable":        {multicloud.CodeUnavailable, "service unavailable"},
	// The signature is made again on the next try.
	"RequestExpired": {multicloud.CodeUnavailable, "request expired (check the clock)"},

	// Capacity: the Client fails over to another placement.
	"InsufficientInstanceCapacity":           {multicloud.CodeNoStock, "insufficient instance capacity in the zone"},
	"InsufficientCapacity":                   {multicloud.CodeNoStock, "insufficient capacity"},
	"InsufficientHostCapacity":               {multicloud.CodeNoStock, "insufficient host capacity"},
	"InsufficientReservedInstanceCapacity":   {multicloud.CodeNoStock, "insufficient reserved instance capacity"},
	"InsufficientVolumeCapacity":             {multicloud.CodeNoStock, "insufficient volume capacity"},
	"InsufficientAddressCapacity":            {multicloud.CodeNoStock, "no public address available"},
	"InsufficientFreeAddressesInSubnet":      {multicloud.CodeNoStock, "no free address in the subnet"},
	"InsufficientCapacityOnOutpost":          {multicloud.CodeNoStock, "insufficient capacity on the outpost"},
	"Unsupported":                            {multicloud.CodeNoStock, "instance type not offered in the zone"},
	"UnfulfillableCapacity":                  {multicloud.CodeNoStock, "capacity cannot be fulfilled"},
	"SpotMaxPriceTooLow":                     {multicloud.CodeNoStock, "spot price too low"},
	"InvalidAvailabilityZone":                {multicloud.CodeNoStock, "zone not available"},
	"InvalidInstanceType":                    {multicloud.CodeNoStock, "instance type not available"},
	"InsufficientInstanceCapacityInDuration": {multicloud.CodeNoStock, "insufficient capacity for the duration"},

	// Quotas.
	"InstanceLimitExceeded":              {multicloud.CodeQuotaExceeded, "instance quota exceeded"},
	"VcpuLimitExceeded":                  {multicloud.CodeQuotaExceeded, "vcpu quota exceeded"},
	"MaxSpotInstanceCountExceeded":       {multicloud.CodeQuotaExceeded, "spot instance quota exceeded"},
	"AddressLimitExceeded":               {multicloud.CodeQuotaExceeded, "elastic ip quota exceeded"},
	"VpcLimitExceeded":                   {multicloud.CodeQuotaExceeded, "vpc quota exceeded"},
	"SubnetLimitExceeded":                {multicloud.CodeQuotaExceeded, "subnet quota exceeded"},
	"InternetGatewayLimitExceeded":       {multicloud.CodeQuotaExceeded, "internet gateway quota exceeded"},
	"SecurityGroupLimitExceeded":         {multicloud.CodeQuotaExceeded, "security group quota exceeded"},
	"RulesPerSecurityGroupLimitExceeded": {multicloud.CodeQuotaExceeded, "security group rule quota exceeded"},
	"RouteLimitExceeded":                 {multicloud.CodeQuotaExceeded, "route quota exceeded"},
	"RouteTableLimitExceeded":            {multicloud.CodeQuotaExceeded, "route table quota exceeded"},
	"TagLimitExceeded":                   {multicloud.CodeQuotaExceeded, "tag quota exceeded"},
	"ResourceLimitExceeded":              {multicloud.CodeQuotaExceeded, "resource quota exceeded"},
	"ResourceCountExceeded":              {multicloud.CodeQuotaExceeded, "too many resources in one request"},
	"VolumeLimitExceeded":                {multicloud.CodeQuotaExceeded, "volume quota exceeded"},
	"NetworkInterfaceLimitExceeded":      {multicloud.CodeQuotaExceeded, "network interface quota exceeded"},

	// Credentials and permissions.
	"AuthFailure":                 {multicloud.CodePermissionDenied, "credentials not accepted"},
	"UnauthorizedOperation":       {multicloud.CodePermissionDenied, "not authorized (IAM)"},
	"AccessDenied":                {multicloud.CodePermissionDenied, "not authorized (IAM)"},
	"AccessDeniedException":       {multicloud.CodePermissionDenied, "not authorized (IAM)"},
	"SignatureDoesNotMatch":       {multicloud.CodePermissionDenied, "secret access key does not match (signature mismatch)"},
	"IncompleteSignature":         {multicloud.CodePermissionDenied, "incomplete signature"},
	"InvalidClientTokenId":        {multicloud.CodePermissionDenied, "access key id not found"},
	"UnrecognizedClientException": {multicloud.CodePermissionDenied, "access key id not found"},
	"MissingAuthenticationToken":  {multicloud.CodePermissionDenied, "no credentials sent"},
	"ExpiredToken":                {multicloud.CodePermissionDenied, "session token expired"},
	"OptInRequired":               {multicloud.CodePermissionDenied, "account not subscribed to the service or region"},
	"Blocked":                     {multicloud.CodePermissionDenied, "account blocked"},
	"PendingVerification":         {multicloud.CodePermissionDenied, "account pending verification"},
	"AccountDisabled":             {multicloud.CodePermissionDenied, "account disabled"},
	"InvalidAMIID.Unavailable":    {multicloud.CodeInvalidArgument, "image not available"},

	// Idempotency.
	"IdempotentParameterMismatch":  {multicloud.CodeIdempotency, "client token reused with other parameters"},
	"IdempotentInstanceTerminated": {multicloud.CodeIdempotency, "client token of a terminated instance"},

	// State conflicts: waited out inside flows, final otherwise.
	"IncorrectInstanceState":      {multicloud.CodeConflict, "instance state does not allow the operation"},
	"IncorrectState":              {multicloud.CodeConflict, "resource state does not allow the operation"},
	"InvalidState":                {multicloud.CodeConflict, "resource state does not allow the operation"},
	"DependencyViolation":         {multicloud.CodeConflict, "dependent resources still exist"},
	"Resource.AlreadyAssociated":  {multicloud.CodeConflict, "resource already associated"},
	"InvalidIPAddress.InUse":      {multicloud.CodeConflict, "address in use"},
	"Gateway.NotAttached":         {multicloud.CodeConflict, "internet gateway not attached to the vpc"},
	"OperationNotPermitted":       {multicloud.CodeConflict, "operation not permitted in this state"},
	"InvalidAddress.Locked":       {multicloud.CodeConflict, "address locked"},
	"InvalidAddress.InUse":        {multicloud.CodeConflict, "address in use"},
	"InvalidInstanceID":           {multicloud.CodeConflict, "instance cannot take the address in its state"},
	"InvalidSubnet.Conflict":      {multicloud.CodeConflict, "subnet block overlaps another"},
	"InvalidSubnet.Range":         {multicloud.CodeInvalidArgument, "subnet block outside the vpc"},
	"DefaultVpcAlreadyExists":     {multicloud.CodeAlreadyExists, "default vpc exists"},
	"InvalidGroup.Duplicate":      {multicloud.CodeAlreadyExists, "security group name in use"},
	"InvalidPermission.Duplicate": {multicloud.CodeAlreadyExists, "rule exists already"},
	"RouteAlreadyExists":          {multicloud.CodeAlreadyExists, "route exists already"},
	"Resource.AlreadyAttached":    {multicloud.CodeAlreadyExists, "gateway attached already"},
	"UnsupportedOperation":        {multicloud.CodeInvalidArgument, "operation not supported"},

	// Bad input.
	"InvalidParameterValue":       {multicloud.CodeInvalidArgument, ""},
	"InvalidParameter":            {multicloud.CodeInvalidArgument, ""},
	"InvalidParameterCombination": {multicloud.CodeInvalidArgument, ""},
	"MissingParameter":            {multicloud.CodeInvalidArgument, ""},
	"UnknownParameter":            {multicloud.CodeInvalidArgument, ""},
	"InvalidAction":               {multicloud.CodeInvalidArgument, ""},
	"InvalidFilter":               {multicloud.CodeInvalidArgument, ""},
	"InvalidNextToken":            {multicloud.CodeInvalidArgument, "page token expired or invalid"},
	"InvalidPaginationToken":      {multicloud.CodeInvalidArgument, "page token expired or invalid"},
	"InvalidMaxResults":           {multicloud.CodeInvalidArgument, ""},
	"FilterLimitExceeded":         {multicloud.CodeInvalidArgument, "too many filter values"},
	"InvalidInput":                {multicloud.CodeInvalidArgument, ""},
	"InvalidParameterException":   {multicloud.CodeInvalidArgument, ""},
	"ValidationException":         {multicloud.CodeInvalidArgument, ""},
	"DryRunOperation":             {multicloud.CodeInvalidArgument, "dry run passed"},
	"NotFoundException":           {multicloud.CodeNotFound, ""},
	"ExpiredNextTokenException":   {multicloud.CodeInvalidArgument, "page token expired"},
	"InvalidNextTokenException":   {multicloud.CodeInvalidArgument, "page token invalid"},
	"InternalErrorException":      {multicloud.CodeUnavailable, "internal server error"},
}

// classifyCode returns the portable class of an AWS error code and the
// message to report, given the HTTP status of the response.
func classifyCode(code string, status int) (multicloud.Code, string) {
	// The troubleshooting guide writes codes with their fault as a prefix
	// ("Client.UnauthorizedOperation"); the error codes page without.
	if c, ok := strings.CutPrefix(code, "Client."); ok {
		code = c
	} else if c, ok := strings.CutPrefix(code, "Server."); ok {
		code = c
	}
	if r, ok := codeRules[code]; ok {
		return r.class, r.message
	}
	switch {
	case strings.HasSuffix(code, ".NotFound"):
		return multicloud.CodeNotFound, ""
	case strings.HasSuffix(code, ".Malformed"), strings.HasPrefix(code, "Invalid"):
		return multicloud.CodeInvalidArgument, ""
	case strings.HasSuffix(code, "LimitExceeded"):
		return multicloud.CodeQuotaExceeded, "quota exceeded"
	case strings.HasPrefix(code, "Insufficient"):
		return multicloud.CodeNoStock, "insufficient capacity"
	case status >= 500:
		return multicloud.CodeUnavailable, "server error"
	case status == 429:
		return multicloud.CodeThrottled, "request throttled"
	case status == 401 || status == 403:
		return multicloud.CodePermissionDenied, ""
	case status == 404:
		return multicloud.CodeNotFound, ""
	}
	return multicloud.CodeUnknown, ""
}

// classify turns an SDK error of op into a *multicloud.Error: the portable
// code from the API's error code (or the transport failure), with the
// code and request ID kept and the SDK error as the cause, so that
// errors.As still reaches smithy.APIError. Texts pass through
// multicloud.Redact: SDK errors may carry URLs.
func classify(op, region string, err error) error {
	if err == nil {
		return nil
	}
	var me *multicloud.Error
	if errors.As(err, &me) {
		return err
	}
	e := &multicloud.Error{Op: op, Provider: ProviderCode, Region: region}
	var api smithy.APIError
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		e.RequestID = re.ServiceRequestID()
		status = re.HTTPStatusCode()
	}
	switch {
	case errors.As(err, &api):
		e.ProviderCode = api.ErrorCode()
		var msg string
		e.Code, msg = classifyCode(api.ErrorCode(), status)
		e.Message = msg
		if msg == "" {
			e.Message = multicloud.Redact(lowerFirst(api.ErrorMessage()))
		}
		e.Err = apiError{api: api, all: err}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		e.Code, e.Err = multicloud.CodeCanceled, multicloud.RedactError(err)
		if !ctxEnded(err) {
			// A call's own timeout, not the caller's context.
			e.Code, e.Message = multicloud.CodeUnavailable, "request timed out"
		}
	case isNetError(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		e.Code, e.Message, e.Err = multicloud.CodeUnavailable, "cannot reach the api or connection lost", multicloud.RedactError(err)
	case isDeserialize(err):
		e.Code, e.Message, e.Err = multicloud.CodeUnavailable, "unreadable response", multicloud.RedactError(err)
	case isCredentials(err):
		e.Code, e.Message, e.Err = multicloud.CodePermissionDenied, "no usable credentials", multicloud.RedactError(err)
	case status >= 500:
		e.Code, e.Err = multicloud.CodeUnavailable, multicloud.RedactError(err)
	default:
		e.Code, e.Err = multicloud.CodeUnknown, multicloud.RedactError(err)
	}
	return e
}

// ctxEnded reports whether err carries a caller's context ending, joined
// in by call (errors.Join(err, ctx.Err())); a bare deadline inside the
// SDK's chain is the per-call timeout.
func ctxEnded(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if e == context.Canceled || e == context.DeadlineExceeded {
				return true
			}
		}
	}
	return err == context.Canceled || err == context.DeadlineExceeded
}

// apiError is the API's error in one line ("aws Code: message"); Unwrap
// reaches the SDK's whole chain (smithy.OperationError, the response
// error, smithy.APIError).
type apiError struct {
	api smithy.APIError
	all error
}

func (a apiError) Error() string {
	return multicloud.Redact("aws " + a.api.ErrorCode() + ": " + a.api.ErrorMessage())
}

func (a apiError) Unwrap() error { return a.all }

func isNetError(err error) bool {
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue)
}

func isDeserialize(err error) bool {
	var de *smithy.DeserializationError
	return errors.As(err, &de)
}

func isCredentials(err error) bool {
	s := err.Error()
	return strings.Contains(s, "credential") || strings.Contains(s, "Credential")
}

func lowerFirst(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// canceled is the error of a call whose context had ended.
func canceled(op, region string, err error) error {
	return &multicloud.Error{Op: op, Provider: ProviderCode, Region: region, Code: multicloud.CodeCanceled, Err: err}
}

// errorf returns a classified error the provider makes itself.
func errorf(op, region string, code multicloud.Code, providerCode, format string, args ...any) *multicloud.Error {
	e := multicloud.Errorf(code, format, args...)
	e.Op, e.Provider, e.Region, e.ProviderCode = op, ProviderCode, region, providerCode
	return e
}

// providerCode returns the AWS error code an error carries, if any.
func providerCode(err error) string {
	var e *multicloud.Error
	if errors.As(err, &e) {
		return e.ProviderCode
	}
	return ""
}

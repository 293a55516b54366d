package aliyun

import (
	"strings"
	"testing"

	"github.com/multicloud-ecs/multicloud"
)

// TestClassifyCode covers every code of the reference's error table
// (aliyun-api.md §5) and the fallbacks.
func TestClassifyCode(t *testing.T) {
	tests := []struct {
		code    string
		status  int
		want    multicloud.Code
		message string // a part the message must contain
	}{
		{"Throttling", 400, multicloud.CodeThrottled, "throttled"},
		{"Throttling.User", 400, multicloud.CodeThrottled, ""},
		{"Throttling.Api", 400, multicloud.CodeThrottled, ""},
		{"Rejected.Throttling", 400, multicloud.CodeThrottled, ""},
		{"Throttling.ConcurrentLimitExceeded", 429, multicloud.CodeThrottled, ""},
		{"ServiceUnavailable", 503, multicloud.CodeUnavailable, ""},
		{"ServiceUnavailable.RegionMaintaining", 503, multicloud.CodeUnavailable, ""},
		{"InternalError", 500, multicloud.CodeUnavailable, ""},
		{"UnknownError", 400, multicloud.CodeUnavailable, ""},
		{"SomethingNew", 502, multicloud.CodeUnavailable, ""},
		{"OperationConflict", 409, multicloud.CodeConflict, ""},
		{"LastTokenProcessing", 400, multicloud.CodeConflict, ""},
		{"TaskConflict", 400, multicloud.CodeConflict, ""},
		{"SystemBusy", 400, multicloud.CodeConflict, ""},
		{"IncorrectStatus", 400, multicloud.CodeConflict, ""},
		{"IncorrectInstanceStatus.Initializing", 403, multicloud.CodeConflict, ""},
		{"OperationDenied.NoStock", 403, multicloud.CodeNoStock, "no stock"},
		{"Zone.NotOnSale", 403, multicloud.CodeNoStock, ""},
		{"Zone.NotOpen", 403, multicloud.CodeNoStock, ""},
		{"OperationDenied.ZoneNotAllowed", 403, multicloud.CodeNoStock, ""},
		{"InvalidInstanceType.ZoneNotSupported", 403, multicloud.CodeNoStock, ""},
		{"InvalidVpcZone.NotSupported", 403, multicloud.CodeNoStock, ""},
		{"ResourceNotAvailable", 403, multicloud.CodeNoStock, ""},
		{"InstanceType.Offline", 403, multicloud.CodeNoStock, ""},
		{"QuotaExceed.ElasticQuota", 403, multicloud.CodeQuotaExceeded, "quota"},
		{"QuotaExceed.AfterpayInstance", 403, multicloud.CodeQuotaExceeded, ""},
		{"QuotaExceeded", 400, multicloud.CodeQuotaExceeded, ""},
		{"QuotaExceeded.PrivateIpAddress", 400, multicloud.CodeQuotaExceeded, ""},
		{"QuotaExceed.Tags", 400, multicloud.CodeQuotaExceeded, ""},
		{"InvalidTagCount", 400, multicloud.CodeQuotaExceeded, ""},
		{"QuotaExceeded.Vpc", 400, multicloud.CodeQuotaExceeded, ""},
		{"QuotaExceeded.Eip", 400, multicloud.CodeQuotaExceeded, ""},
		{"InvalidAccessKeyId.NotFound", 404, multicloud.CodePermissionDenied, "access key id not found"},
		{"SignatureDoesNotMatch", 400, multicloud.CodePermissionDenied, "secret does not match"},
		{"IncompleteSignature", 400, multicloud.CodePermissionDenied, "signature"},
		{"InvalidTimeStamp.Expired", 400, multicloud.CodeUnavailable, "timestamp"},
		{"SignatureNonceUsed", 400, multicloud.CodeUnavailable, "nonce"},
		{"Forbidden.RAM", 403, multicloud.CodePermissionDenied, "RAM"},
		{"Forbidden", 403, multicloud.CodePermissionDenied, "RAM"},
		{"Forbbiden", 403, multicloud.CodePermissionDenied, "RAM"},
		{"Forbidden.Unauthorized", 403, multicloud.CodePermissionDenied, "RAM"},
		{"Forbidden.SubUser", 403, multicloud.CodePermissionDenied, ""},
		{"Forbidden.RiskControl", 403, multicloud.CodePermissionDenied, ""},
		{"Forbidden.NotSupportRAM", 403, multicloud.CodePermissionDenied, ""},
		{"Forbidden.AccessKeyDisabled", 403, multicloud.CodePermissionDenied, "disabled"},
		{"NoPermission", 403, multicloud.CodePermissionDenied, "RAM"},
		{"InvalidParameter", 400, multicloud.CodeInvalidArgument, ""},
		{"MissingParameter", 400, multicloud.CodeInvalidArgument, ""},
		{"UnsupportedParameter", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidParameter.Mismatch", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidPassword.Malformed", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidInstanceType.ValueNotSupported", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidInstanceType.ValueUnauthorized", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidInstanceType.NotSupported", 403, multicloud.CodeInvalidArgument, ""},
		{"InvalidAction", 403, multicloud.CodeInvalidArgument, ""},
		{"InvalidAction.NotFound", 404, multicloud.CodeInvalidArgument, ""},
		{"IdempotentParameterMismatch", 400, multicloud.CodeIdempotency, "client token"},
		{"IncorrectInstanceStatus", 403, multicloud.CodeConflict, ""},
		{"IncorrectVpcStatus", 400, multicloud.CodeConflict, ""},
		{"IncorrectVSwitchStatus", 400, multicloud.CodeConflict, ""},
		{"IncorrectEipStatus", 400, multicloud.CodeConflict, ""},
		{"InvalidBindingStatus", 400, multicloud.CodeConflict, ""},
		{"DependencyViolation", 400, multicloud.CodeConflict, ""},
		{"DependencyViolation.VSwitch", 400, multicloud.CodeConflict, ""},
		{"DependencyViolation.SecurityGroup", 403, multicloud.CodeConflict, ""},
		{"DependencyViolation.RouteEntry", 400, multicloud.CodeConflict, ""},
		{"DependencyViolation.SLBConfiguring", 400, multicloud.CodeConflict, ""},
		{"InvalidImageId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidInstanceId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidSecurityGroupId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidVSwitchId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidAllocationId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidVpcID.NotFound", 404, multicloud.CodeNotFound, ""},
		{"Forbidden.VpcNotFound", 403, multicloud.CodeNotFound, ""},
		{"InvalidRegionId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidZoneId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidSystemDiskCategory.ValueNotSupported", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidDiskCategory.NotSupported", 400, multicloud.CodeInvalidArgument, ""},
		{"CategoryNotSupported", 400, multicloud.CodeInvalidArgument, ""},
		{"OperationDenied.ZoneSystemCategoryNotMatch", 403, multicloud.CodeInvalidArgument, ""},
		{"OperationDenied.CloudSSDNotSupported", 403, multicloud.CodeInvalidArgument, ""},
		{"InvalidSystemDiskSize.LessThanImageSize", 404, multicloud.CodeInvalidArgument, ""},
		{"InvalidSystemDiskSize.LessThanMinSize", 404, multicloud.CodeInvalidArgument, ""},
		{"InvalidSystemDiskSize.MoreThanMaxSize", 404, multicloud.CodeInvalidArgument, ""},
		{"InvalidInstanceName.Malformed", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidHostName.Malformed", 400, multicloud.CodeInvalidArgument, ""},
		{"HOSTNAME_ILLEGAL", 404, multicloud.CodeInvalidArgument, ""},
		{"InvalidTagKey.Malformed", 400, multicloud.CodeInvalidArgument, ""},
		{"Duplicate.TagKey", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidPeriod", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidAutoRenewPeriod.ValueNotSupported", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidPayMethod", 403, multicloud.CodeInvalidArgument, ""},
		{"InsufficientBalance", 403, multicloud.CodePermissionDenied, "balance"},
		{"Account.Arrearage", 403, multicloud.CodePermissionDenied, ""},
		{"InvalidAccountStatus.NotEnoughBalance", 403, multicloud.CodePermissionDenied, ""},
		{"InvalidAssociation.Duplicated", 400, multicloud.CodeConflict, ""},
		{"Forbidden.ChargeTypeIsPrepaid", 400, multicloud.CodeConflict, "prepaid"},
		{"InstanceLockedForSecurity", 403, multicloud.CodePermissionDenied, ""},
		// Findings: codes that were misread before.
		{"InvalidIdempotenceParameter.Mismatch", 400, multicloud.CodeIdempotency, "client token"},
		{"InvalidOperation.PublicIpAddressNoStock", 403, multicloud.CodeNoStock, "public ip"},
		{"OperationDenied.ResourceControl", 403, multicloud.CodeNoStock, "not available now"},
		{"OperationDenied.InsufficientResource", 403, multicloud.CodeNoStock, ""},
		{"OperationDenied.NotEnoughResource", 403, multicloud.CodeNoStock, ""},
		// RunInstances.
		{"InvalidResourceType.NotSupported", 403, multicloud.CodeNoStock, ""},
		{"Invalid.PrivatePoolOptions.NoStock", 400, multicloud.CodeNoStock, ""},
		{"LackResource", 400, multicloud.CodeNoStock, ""},
		{"OperationDenied.NoVSwitch", 403, multicloud.CodeInvalidArgument, ""},
		{"InvalidNetworkType.Mismatch", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidVSwitchId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidInstance.UnPaidOrder", 403, multicloud.CodeConflict, ""},
		{"OperationDenied.Processing", 403, multicloud.CodeConflict, ""},
		// DescribeInstances, DescribePrice, DescribeZones, DescribeAvailableResource.
		{"InvalidPriceUnit.ValueNotSupported", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidDestinationResource.ValueNotSupported", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidInstanceIds.Malformed", 400, multicloud.CodeInvalidArgument, ""},
		// StartInstance, StopInstance, RebootInstance, DeleteInstance.
		{"IncorrectInstanceStatus.Initializing", 403, multicloud.CodeConflict, "initializing"},
		{"InvalidInstanceId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidOperation.DeletionProtection", 403, multicloud.CodeConflict, "deletion protection"},
		// CreateSecurityGroup, AuthorizeSecurityGroup, DescribeSecurityGroups, TagResources.
		{"InvalidSecurityGroupId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"QuotaExceed.SecurityGroupRule", 403, multicloud.CodeQuotaExceeded, ""},
		{"InvalidIpPortRange.Malformed", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidResourceId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"InvalidResourceType.NotFound", 404, multicloud.CodeNotFound, ""},
		// CreateVpc, CreateVSwitch, DescribeVpcs, DescribeVSwitches.
		{"InvalidVpcStatus", 400, multicloud.CodeConflict, ""},
		{"InvalidCidrBlock.Malformed", 400, multicloud.CodeInvalidArgument, ""},
		{"InvalidCidrBlock.Overlapped", 400, multicloud.CodeInvalidArgument, ""},
		{"QuotaExceeded.VSwitch", 400, multicloud.CodeQuotaExceeded, ""},
		{"OperationConflict.Vpc", 400, multicloud.CodeConflict, ""},
		{"ResourceInUse.VSwitch", 400, multicloud.CodeConflict, ""},
		// AllocateEipAddress, AssociateEipAddress, UnassociateEipAddress,
		// ReleaseEipAddress, DescribeEipAddresses.
		{"QuotaExceeded.Eip", 400, multicloud.CodeQuotaExceeded, ""},
		{"InvalidBandwidth", 400, multicloud.CodeInvalidArgument, ""},
		{"OperationDenied.PublicIpAddressNoStock", 400, multicloud.CodeNoStock, ""},
		{"IncorrectEipStatus", 400, multicloud.CodeConflict, ""},
		{"InvalidIpStatus.HasBeenUsedBySnatTable", 400, multicloud.CodeConflict, ""},
		{"OperationDenied.EipInUse", 400, multicloud.CodeConflict, ""},
		{"TaskConflict.AssociateGlobalAccelerationInstance", 400, multicloud.CodeConflict, ""},
		{"InvalidAllocationId.NotFound", 404, multicloud.CodeNotFound, ""},
		{"Duplicated.ClientToken", 400, multicloud.CodeIdempotency, ""},
		{"IdempotenceProcessing", 400, multicloud.CodeConflict, ""},
		{"PAY.INSUFFICIENT_BALANCE", 400, multicloud.CodePermissionDenied, "balance"},
		{"PAY.PAY_ORDER_FAILED", 400, multicloud.CodePermissionDenied, ""},
		{"UnauthorizedZone", 403, multicloud.CodePermissionDenied, ""},
		{"SomethingElse", 400, multicloud.CodeUnknown, ""},
		{"SomethingElse", 403, multicloud.CodePermissionDenied, ""},
	}
	for _, tc := range tests {
		got, msg := classifyCode(tc.code, tc.status)
		if got != tc.want {
			t.Errorf("classifyCode(%q, %d): got %s, want %s", tc.code, tc.status, got, tc.want)
		}
		if !strings.Contains(msg, tc.message) {
			t.Errorf("classifyCode(%q, %d) message: got %q, want it to contain %q", tc.code, tc.status, msg, tc.message)
		}
	}
}

package fake

import (
	"errors"

	"github.com/multicloud-ecs/multicloud"
	"github.com/multicloud-ecs/multicloud/network"
	"github.com/multicloud-ecs/multicloud/providers/sim"
)

// This file maps the simulated cloud's face-neutral vocabulary (classes
// of state errors, states, charge modes, rules) onto the portable one the
// fake presents. The provider codes are the Aliyun codes the fake has
// always answered with, so that tests reading them keep working.

// FaultKind is how a Fault fails a call (sim's FaultKind).
type FaultKind = sim.FaultKind

// The kinds of fault.
const (
	// FaultError fails the call before it is processed: nothing happens.
	// A fault with neither Class nor Code only adds its Latency.
	FaultError = sim.FaultError
	// FaultReset resets the connection before the call is processed:
	// nothing happens, and the caller gets an ErrUnavailable error that
	// does not say so (as a client seeing a reset cannot know).
	FaultReset = sim.FaultReset
	// FaultLost processes the call, then loses its response: the call
	// takes effect and the caller gets an ErrUnavailable error instead of
	// the result.
	FaultLost = sim.FaultLost
	// FaultSlow processes the call, then holds its response for
	// Fault.Latency (default 1s): a caller whose context ends meanwhile
	// gets ErrCanceled, and the call takes effect all the same.
	FaultSlow = sim.FaultSlow
	// FaultGarbled processes the call and answers with a response that
	// cannot be read: the call takes effect and the caller gets an
	// ErrUnavailable error.
	FaultGarbled = sim.FaultGarbled
)

// classCode is the portable code of a class of state error.
func classCode(c sim.Class) multicloud.Code {
	switch c {
	case sim.ClassNotFound:
		return multicloud.CodeNotFound
	case sim.ClassIncorrectState, sim.ClassConflict, sim.ClassDependencyViolation:
		return multicloud.CodeConflict
	case sim.ClassQuotaExceeded:
		return multicloud.CodeQuotaExceeded
	case sim.ClassNoStock:
		return multicloud.CodeNoStock
	case sim.ClassInvalidParameter:
		return multicloud.CodeInvalidArgument
	case sim.ClassIdempotentMismatch:
		return multicloud.CodeIdempotency
	case sim.ClassThrottled:
		return multicloud.CodeThrottled
	case sim.ClassUnavailable, sim.ClassInternal:
		return multicloud.CodeUnavailable
	}
	return multicloud.CodeUnknown
}

// notFoundCodes are the provider codes of ClassNotFound by resource.
var notFoundCodes = map[sim.Kind]string{
	sim.KindRegion: "InvalidRegionId.NotFound", sim.KindZone: "InvalidZoneId.NotFound",
	sim.KindInstance: "InvalidInstanceId.NotFound", sim.KindVPC: "InvalidVpcId.NotFound",
	sim.KindSubnet: "InvalidVSwitchId.NotFound", sim.KindSecurityGroup: "InvalidSecurityGroupId.NotFound",
	sim.KindAddress: "InvalidAllocationId.NotFound",
}

// stateCodes are the provider codes of ClassIncorrectState by resource.
var stateCodes = map[sim.Kind]string{
	sim.KindInstance: "IncorrectInstanceStatus", sim.KindVPC: "IncorrectVpcStatus",
	sim.KindSubnet: "IncorrectVSwitchStatus", sim.KindAddress: "IncorrectEipStatus",
}

// providerCode is the fake's provider code of a state error.
func providerCode(e *sim.Error) (multicloud.Code, string) {
	code := classCode(e.Class)
	switch e.Class {
	case sim.ClassNotFound:
		return code, notFoundCodes[e.Resource]
	case sim.ClassIncorrectState:
		if e.Reason == "Initializing" {
			return code, "IncorrectInstanceStatus.Initializing"
		}
		return code, stateCodes[e.Resource]
	case sim.ClassConflict:
		switch e.Reason {
		case "CIDROverlap":
			return multicloud.CodeInvalidArgument, "InvalidCidrBlock.Overlapped"
		case "AddressBound":
			return code, "InvalidAssociation.Duplicated"
		case "NoFreeAddress":
			return code, "InvalidVSwitchId.IpNotEnough"
		}
		return code, "Conflict"
	case sim.ClassQuotaExceeded:
		switch e.Resource {
		case sim.KindVPC:
			return code, "QuotaExceeded.Vpc"
		case sim.KindAddress:
			return code, "QuotaExceeded.Eip"
		}
		if e.Reason == string(sim.QuotaVCPUs) {
			return code, "QuotaExceed.Cores"
		}
		return code, "QuotaExceed.Instances"
	case sim.ClassNoStock:
		return code, "OperationDenied.NoStock"
	case sim.ClassInvalidParameter:
		if e.Resource == sim.KindZone {
			return code, "InvalidZoneId.NotFound"
		}
		return code, "InvalidParameter"
	case sim.ClassIdempotentMismatch:
		return code, "IdempotentParameterMismatch"
	case sim.ClassDependencyViolation:
		return code, "DependencyViolation"
	case sim.ClassThrottled:
		return code, "Throttling"
	case sim.ClassUnavailable:
		return code, "ServiceUnavailable"
	case sim.ClassInternal:
		return code, "InternalError"
	}
	return code, ""
}

// simError returns err, an error of the simulated cloud, as the fake's
// *multicloud.Error of op in region, the state error kept as its cause;
// any other error is classified as is.
func (p *Provider) simError(op, region string, err error) error {
	if err == nil {
		return nil
	}
	var e *sim.Error
	if !errors.As(err, &e) {
		return p.classify(op, region, err)
	}
	code, pc := providerCode(e)
	return &multicloud.Error{Op: op, Provider: p.code, Region: region, Code: code, ProviderCode: pc, Err: e}
}

// instanceStatus is the portable status of a simulated instance state;
// Deleting shows as Deleted.
func instanceStatus(s sim.InstanceState) multicloud.Status {
	switch s {
	case sim.StatePending:
		return multicloud.StatusPending
	case sim.StateStarting:
		return multicloud.StatusStarting
	case sim.StateRunning:
		return multicloud.StatusRunning
	case sim.StateStopping:
		return multicloud.StatusStopping
	case sim.StateStopped:
		return multicloud.StatusStopped
	case sim.StateDeleting, sim.StateDeleted:
		return multicloud.StatusDeleted
	}
	return multicloud.StatusUnknown
}

// deleted reports whether an instance in s is deleted or being deleted.
func deleted(s sim.InstanceState) bool { return s == sim.StateDeleting || s == sim.StateDeleted }

// simState is the simulated state of a portable status, for filters.
func simState(s multicloud.Status) sim.InstanceState {
	switch s {
	case multicloud.StatusPending:
		return sim.StatePending
	case multicloud.StatusStarting:
		return sim.StateStarting
	case multicloud.StatusRunning:
		return sim.StateRunning
	case multicloud.StatusStopping:
		return sim.StateStopping
	case multicloud.StatusStopped:
		return sim.StateStopped
	case multicloud.StatusDeleted:
		return sim.StateDeleted
	}
	return sim.InstanceState(s)
}

// addressStatus is the portable status of an address state.
func addressStatus(s sim.AddressState) network.Status {
	switch s {
	case sim.AddressAssociating, sim.AddressUnassociating:
		return network.StatusBusy
	case sim.AddressInUse:
		return network.StatusInUse
	}
	return network.StatusAvailable
}

// netStatus is the portable status of a VPC or switch state.
func netStatus(s sim.NetState) network.Status {
	if s == sim.NetPending {
		return network.StatusPending
	}
	return network.StatusAvailable
}

// simMode is the simulated charge mode of a portable one (OnDemand when
// empty).
func simMode(m multicloud.ChargeMode) sim.ChargeMode {
	if m == multicloud.Prepaid {
		return sim.Prepaid
	}
	return sim.OnDemand
}

// chargeMode is the portable charge mode of a simulated one.
func chargeMode(m sim.ChargeMode) multicloud.ChargeMode {
	if m == sim.Prepaid {
		return multicloud.Prepaid
	}
	return multicloud.OnDemand
}

// simRule is the simulated rule of a port rule.
func simRule(r network.PortRule) sim.Rule {
	return sim.Rule{Protocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort, SourceCIDR: r.SourceCIDR, Policy: "accept"}
}

// portRule is the port rule of a simulated rule.
func portRule(r sim.Rule) network.PortRule {
	return network.PortRule{Protocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort, SourceCIDR: r.SourceCIDR}
}

// stockStatus is the portable stock status of a stock category.
func stockStatus(c sim.StockCategory) multicloud.StockStatus {
	return multicloud.StockStatus(c) // the four categories are spelt alike
}

package sim

import (
	"errors"
	"fmt"
)

// Class is the face-neutral class of a state error. The set is closed:
// each face maps every class to its own error codes and statuses.
type Class string

// The classes of state errors.
const (
	// ClassNotFound: the resource does not exist (in that region).
	ClassNotFound Class = "NotFound"
	// ClassIncorrectState: the resource's state does not allow the
	// operation (start a running instance, release a bound address).
	ClassIncorrectState Class = "IncorrectState"
	// ClassConflict: the request collides with existing state (an
	// overlapping CIDR block, an address bound elsewhere).
	ClassConflict Class = "Conflict"
	// ClassQuotaExceeded: a per-region quota would be exceeded.
	ClassQuotaExceeded Class = "QuotaExceeded"
	// ClassNoStock: the zone has no stock of the type in the charge mode.
	ClassNoStock Class = "NoStock"
	// ClassInvalidParameter: a parameter is malformed or names something
	// unusable (an unknown zone, a CIDR outside its VPC).
	ClassInvalidParameter Class = "InvalidParameter"
	// ClassIdempotentMismatch: a client token was reused with other
	// parameters.
	ClassIdempotentMismatch Class = "IdempotentMismatch"
	// ClassThrottled: the call was refused by flow control.
	ClassThrottled Class = "Throttled"
	// ClassDependencyViolation: the resource is still used by others (a
	// VPC with subnets, a group with instances).
	ClassDependencyViolation Class = "DependencyViolation"
	// ClassUnavailable: the service failed transiently.
	ClassUnavailable Class = "Unavailable"
	// ClassInternal: the service failed.
	ClassInternal Class = "Internal"
)

// Kind names a kind of resource. Faces may use their own kinds for their
// own resources (see Extra).
type Kind string

// The kinds of resource the state model holds.
const (
	KindRegion        Kind = "region"
	KindZone          Kind = "zone"
	KindInstance      Kind = "instance"
	KindInstanceType  Kind = "instanceType"
	KindVPC           Kind = "vpc"
	KindSubnet        Kind = "subnet"
	KindSecurityGroup Kind = "securityGroup"
	KindAddress       Kind = "address"
	KindDisk          Kind = "disk"
	KindRule          Kind = "rule"
	KindToken         Kind = "clientToken"
)

// Error is a state error: its Class, the resource it concerns and a
// message. Faults fill Code and Status when the test asked for a face's
// own code and HTTP status; state errors leave them empty and each face
// maps the Class (with Resource and Reason) to its own.
type Error struct {
	Class    Class
	Resource Kind   // the resource concerned; "" when none
	ID       string // its ID (or name, for regions, zones and types)
	// Reason refines the class for faces that tell cases apart, e.g.
	// "Initializing" for an instance still pending, "Protected" for
	// deletion protection, "CIDROverlap"; "" when none.
	Reason  string
	Message string
	// Code and Status are a face's own error code and HTTP status, set
	// by a Fault that names them; "" and 0 otherwise.
	Code   string
	Status int
}

// Error returns "<class>: <resource> <id>: <message>".
func (e *Error) Error() string {
	s := string(e.Class)
	if e.Resource != "" {
		s += ": " + string(e.Resource)
		if e.ID != "" {
			s += " " + e.ID
		}
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is reports whether target is an *Error of the same Class whose other
// non-empty fields (Resource, ID, Reason) equal e's, so that
// errors.Is(err, ErrNotFound) and errors.Is(err, &Error{Class:
// ClassNotFound, Resource: KindVPC}) both work.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.Class != e.Class {
		return false
	}
	return (t.Resource == "" || t.Resource == e.Resource) && (t.ID == "" || t.ID == e.ID) && (t.Reason == "" || t.Reason == e.Reason)
}

// Sentinels for errors.Is, one per Class.
var (
	ErrNotFound            = &Error{Class: ClassNotFound}
	ErrIncorrectState      = &Error{Class: ClassIncorrectState}
	ErrConflict            = &Error{Class: ClassConflict}
	ErrQuotaExceeded       = &Error{Class: ClassQuotaExceeded}
	ErrNoStock             = &Error{Class: ClassNoStock}
	ErrInvalidParameter    = &Error{Class: ClassInvalidParameter}
	ErrIdempotentMismatch  = &Error{Class: ClassIdempotentMismatch}
	ErrThrottled           = &Error{Class: ClassThrottled}
	ErrDependencyViolation = &Error{Class: ClassDependencyViolation}
	ErrUnavailable         = &Error{Class: ClassUnavailable}
	ErrInternal            = &Error{Class: ClassInternal}
)

// ClassOf returns the Class of the *Error in err's chain, or "" when
// there is none.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}

func errorf(class Class, kind Kind, id, format string, args ...any) *Error {
	return &Error{Class: class, Resource: kind, ID: id, Message: fmt.Sprintf(format, args...)}
}

func notFound(kind Kind, id string) *Error {
	return &Error{Class: ClassNotFound, Resource: kind, ID: id, Message: "does not exist"}
}

func incorrectState(kind Kind, id string, state any) *Error {
	return &Error{Class: ClassIncorrectState, Resource: kind, ID: id, Message: fmt.Sprintf("state %v does not allow the operation", state)}
}

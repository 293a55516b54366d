package sim

import (
	"net/netip"
	"slices"
)

// A subnet hands out the private address of a deleted instance again, as
// a cloud does: without it, a subnet would fill up after as many
// instances as it has addresses, deleted or not.

// release gives the private address a back to the subnet; an address
// outside what the subnet handed out is ignored.
func (s *subnet) release(a netip.Addr) {
	if !a.IsValid() || !a.Is4() || !s.CIDR.Contains(a) {
		return
	}
	b := s.CIDR.Masked().Addr().As4()
	base := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	x := a.As4()
	ip := uint32(x[0])<<24 | uint32(x[1])<<16 | uint32(x[2])<<8 | uint32(x[3])
	if ip < base+3 || ip-base-3 >= s.allocated {
		return
	}
	off := ip - base - 3
	if i, found := slices.BinarySearch(s.freed, off); !found {
		s.freed = slices.Insert(s.freed, i, off)
	}
}

// reuse takes the lowest released offset, if any.
func (s *subnet) reuse() (uint32, bool) {
	if len(s.freed) == 0 {
		return 0, false
	}
	off := s.freed[0]
	s.freed = s.freed[1:]
	return off, true
}

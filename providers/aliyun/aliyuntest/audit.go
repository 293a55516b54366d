package aliyuntest

// OwnerTagKey is the tag key Audit groups resources by.
const OwnerTagKey = "Owner"

// Audit is a snapshot of what exists in the emulator, across all regions,
// for leak checks after a test. Maps keyed by owner use the value of the
// OwnerTagKey tag; resources without it are counted under "".
type Audit struct {
	Instances             int
	InstancesByStatus     map[string]int
	VPCs                  int
	VPCsByOwner           map[string]int
	VSwitches             int
	SecurityGroups        int
	SecurityGroupsByOwner map[string]int
	EIPs                  int
	EIPsByOwner           map[string]int
	EIPsByStatus          map[string]int
	// UnassociatedEIPs counts EIPs in status Available (allocated but unused).
	UnassociatedEIPs int
}

func ownerOf(tags []tag) string {
	for _, t := range tags {
		if t.Key == OwnerTagKey {
			return t.Value
		}
	}
	return ""
}

// Audit counts resources by owner and status. It is safe for concurrent use.
func (s *Server) Audit() Audit {
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := s.now()
	a := Audit{
		InstancesByStatus:     map[string]int{},
		VPCsByOwner:           map[string]int{},
		SecurityGroupsByOwner: map[string]int{},
		EIPsByOwner:           map[string]int{},
		EIPsByStatus:          map[string]int{},
	}
	for _, in := range s.st.instances {
		a.Instances++
		a.InstancesByStatus[in.life.at(now, s.delay()).String()]++
	}
	for _, v := range s.st.vpcs {
		a.VPCs++
		a.VPCsByOwner[ownerOf(v.tags)]++
	}
	a.VSwitches = len(s.st.vswitches)
	for _, g := range s.st.sgs {
		a.SecurityGroups++
		a.SecurityGroupsByOwner[ownerOf(g.tags)]++
	}
	for _, e := range s.st.eips {
		a.EIPs++
		a.EIPsByOwner[ownerOf(e.tags)]++
		st := e.life.at(now, s.delay())
		a.EIPsByStatus[st.String()]++
		if st == phAvailable {
			a.UnassociatedEIPs++
		}
	}
	return a
}

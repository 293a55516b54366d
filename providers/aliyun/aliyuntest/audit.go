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
	v := s.view(now)
	for _, rg := range s.st.regionList {
		for _, in := range v.instancesOf(rg) {
			a.Instances++
			a.InstancesByStatus[in.life.at(now, v.d).String()]++
		}
		for _, x := range v.vpcsOf(rg) {
			a.VPCs++
			a.VPCsByOwner[ownerOf(x.tags)]++
		}
		a.VSwitches += len(v.vswitchesOf(rg))
		for _, g := range v.sgsOf(rg) {
			a.SecurityGroups++
			a.SecurityGroupsByOwner[ownerOf(g.tags)]++
		}
		for _, e := range v.eipsOf(rg) {
			a.EIPs++
			a.EIPsByOwner[ownerOf(e.tags)]++
			st := e.life.at(now, v.d)
			a.EIPsByStatus[st.String()]++
			if st == phAvailable {
				a.UnassociatedEIPs++
			}
		}
	}
	return a
}

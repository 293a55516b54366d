package aliyuntest

// EIPTags returns the tags of every elastic IP in the emulator, across all
// regions, keyed by allocation ID: for leak checks that look past the
// Owner tag Audit groups by (for instance, that every address carries the
// token of the create it came from). The maps are copies. It is safe for
// concurrent use.
func (s *Server) EIPTags() map[string]map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]map[string]string{}
	for _, a := range s.cloud.Addresses("") {
		m := make(map[string]string, len(a.Tags))
		for k, v := range a.Tags {
			m[k] = v
		}
		out[a.ID] = m
	}
	return out
}

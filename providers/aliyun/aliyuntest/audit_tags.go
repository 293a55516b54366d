package aliyuntest

// EIPTags returns the tags of every elastic IP in the emulator, across all
// regions, keyed by allocation ID: for leak checks that look past the
// Owner tag Audit groups by (for instance, that every address carries the
// token of the create it came from). The maps are copies. It is safe for
// concurrent use.
func (s *Server) EIPTags() map[string]map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]map[string]string, len(s.st.eips))
	for id, e := range s.st.eips {
		m := make(map[string]string, len(e.tags))
		for _, t := range e.tags {
			m[t.Key] = t.Value
		}
		out[id] = m
	}
	return out
}

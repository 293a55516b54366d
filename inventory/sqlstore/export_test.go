package sqlstore

// SetDriveLimit sets the most assets a tag filter may select for a query
// to start from the tag; -1 makes every tag an EXISTS probe.
func SetDriveLimit(s *Store, n int64) { s.driveLimit = n }

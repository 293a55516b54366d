package aliyuntest

import "sync"

// regionImages holds the images withdrawn from single regions: public
// images are published per region, and a dated build can be missing from
// (or retired in) one region while others still have it.
type regionImages struct {
	mu        sync.Mutex
	withdrawn map[[2]string]bool // region, image ID
}

// WithdrawImage removes imageID from region: DescribeImages there no
// longer lists it and RunInstances there fails with InvalidImageId.NotFound
// (404), as for an image that does not exist. Other regions keep it.
func (s *Server) WithdrawImage(region, imageID string) {
	s.regionImgs.mu.Lock()
	defer s.regionImgs.mu.Unlock()
	if s.regionImgs.withdrawn == nil {
		s.regionImgs.withdrawn = map[[2]string]bool{}
	}
	s.regionImgs.withdrawn[[2]string{region, imageID}] = true
}

// RestoreImage undoes WithdrawImage.
func (s *Server) RestoreImage(region, imageID string) {
	s.regionImgs.mu.Lock()
	defer s.regionImgs.mu.Unlock()
	delete(s.regionImgs.withdrawn, [2]string{region, imageID})
}

// imageIn reports whether region has imageID (a known image not withdrawn).
func (s *Server) imageIn(region, imageID string) bool {
	s.regionImgs.mu.Lock()
	defer s.regionImgs.mu.Unlock()
	return !s.regionImgs.withdrawn[[2]string{region, imageID}]
}

package aliyuntest

import (
	"time"

	"github.com/multicloud-ecs/multicloud/providers/sim"
)

var (
	errIncorrectInstanceStatus = errCode(403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
	errInstanceNotFound        = errCode(404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist.")
)

// instanceOp is a state change: check validates it against the settled phase
// of the instance's view, apply performs it on the simulated cloud and
// returns the phase it set. Both run under the write lock.
type instanceOp struct {
	check func(in *instance, ph phase) error
	apply func(s *Server, in *instance) (string, error)
}

func startOp() instanceOp {
	return instanceOp{
		check: func(in *instance, ph phase) error {
			if ph != phStopped {
				return errIncorrectInstanceStatus
			}
			return nil
		},
		apply: func(s *Server, in *instance) (string, error) {
			_, err := s.cloud.StartInstance(in.rg.id, in.id)
			return phStarting.String(), err
		},
	}
}

func stopOp() instanceOp {
	return instanceOp{
		check: func(in *instance, ph phase) error {
			if ph != phRunning {
				return errIncorrectInstanceStatus
			}
			return nil
		},
		apply: func(s *Server, in *instance) (string, error) {
			_, err := s.cloud.StopInstance(in.rg.id, in.id)
			return phStopping.String(), err
		},
	}
}

// rebootOp: Running only; the instance goes through Starting again.
func rebootOp() instanceOp {
	return instanceOp{
		check: func(in *instance, ph phase) error {
			if ph != phRunning {
				return errIncorrectInstanceStatus
			}
			return nil
		},
		apply: func(s *Server, in *instance) (string, error) {
			_, err := s.cloud.RebootInstance(in.rg.id, in.id)
			return phStarting.String(), err
		},
	}
}

// deleteOp: Stopped, or Running/Stopping with force; never while Pending.
func deleteOp(force, terminate bool, now time.Time) instanceOp {
	return instanceOp{
		check: func(in *instance, ph phase) error {
			switch {
			case in.deletionProtection:
				return errCode(403, "InvalidOperation.DeletionProtection", "The instance has deletion protection enabled.")
			case in.prepaid && in.expired > now.Unix() && !terminate:
				return errCode(403, "ChargeTypeViolation", "The operation is not permitted due to charge type of the instance.")
			case ph == phPending:
				return errCode(403, "IncorrectInstanceStatus.Initializing", "The instance is being initialized.")
			case ph == phStopped, force && (ph == phRunning || ph == phStopping || ph == phStarting):
				return nil
			}
			return errIncorrectInstanceStatus
		},
		apply: func(s *Server, in *instance) (string, error) {
			_, err := s.cloud.DeleteInstance(in.rg.id, in.id, sim.DeleteOptions{Force: true, IgnoreProtection: true})
			if err == nil {
				delete(s.st.ecs, in.id)
			}
			return "Deleted", err
		},
	}
}

// opError is the answer to a state change the simulated cloud refused
// after the view allowed it (another face changed the instance meanwhile).
func opError(err error) error {
	switch sim.ClassOf(err) {
	case sim.ClassNotFound:
		return errInstanceNotFound
	case sim.ClassIncorrectState:
		return errIncorrectInstanceStatus
	}
	return apiErrorOf(err)
}

// single runs op on the InstanceId parameter.
func (s *Server) single(c *call, op instanceOp) (response, error) {
	id, err := c.p.required("InstanceId")
	if err != nil {
		return nil, err
	}
	dry, err := c.p.boolv("DryRun")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.view(c.now).instanceIn(c.region, id)
	if in == nil {
		return nil, errInstanceNotFound
	}
	if err := op.check(in, in.life.at(c.now, s.delay())); err != nil {
		return nil, err
	}
	if dry {
		return nil, errDryRun
	}
	if _, err := op.apply(s, in); err != nil {
		return nil, opError(err)
	}
	return &respBase{}, nil
}

func (s *Server) startInstance(c *call) (response, error)  { return s.single(c, startOp()) }
func (s *Server) stopInstance(c *call) (response, error)   { return s.single(c, stopOp()) }
func (s *Server) rebootInstance(c *call) (response, error) { return s.single(c, rebootOp()) }

func (s *Server) deleteInstance(c *call) (response, error) {
	force, err := c.p.boolv("Force")
	if err != nil {
		return nil, err
	}
	term, err := c.p.boolv("TerminateSubscription")
	if err != nil {
		return nil, err
	}
	return s.single(c, deleteOp(force, term, c.now))
}

type instanceResponseJSON struct {
	InstanceId     string `json:"InstanceId"`
	Code           string `json:"Code"`
	Message        string `json:"Message"`
	PreviousStatus string `json:"PreviousStatus"`
	CurrentStatus  string `json:"CurrentStatus"`
}

type batchResp struct {
	respBase
	InstanceResponses struct {
		InstanceResponse []instanceResponseJSON `json:"InstanceResponse"`
	} `json:"InstanceResponses"`
}

// batch runs op on InstanceId.N. With BatchOptimization=AllTogether (the
// default) any failing instance fails the call and nothing changes; with
// SuccessFirst each instance reports its own result.
func (s *Server) batch(c *call, op instanceOp) (*batchResp, error) {
	ids := c.p.list("InstanceId")
	if len(ids) == 0 {
		return nil, errMissing("InstanceId.1")
	}
	if len(ids) > 100 {
		return nil, errCode(400, "InvalidParameter", "At most 100 InstanceId.N may be specified.")
	}
	dry, err := c.p.boolv("DryRun")
	if err != nil {
		return nil, err
	}
	successFirst := false
	switch b := c.p.str("BatchOptimization"); b {
	case "", "AllTogether":
	case "SuccessFirst":
		successFirst = true
	default:
		return nil, errInvalid("BatchOptimization", b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.view(c.now)
	r := &batchResp{}
	r.InstanceResponses.InstanceResponse = []instanceResponseJSON{}
	ins := make([]*instance, len(ids))
	errs := make([]error, len(ids))
	for i, id := range ids {
		in := st.instanceIn(c.region, id)
		if in == nil {
			errs[i] = errInstanceNotFound
			continue
		}
		ins[i] = in
		errs[i] = op.check(in, in.life.at(c.now, st.d))
		if errs[i] != nil && !successFirst {
			return nil, errs[i]
		}
	}
	if dry {
		return nil, errDryRun
	}
	for i, in := range ins {
		res := instanceResponseJSON{InstanceId: ids[i], Code: "200", Message: "success"}
		if in != nil {
			res.PreviousStatus = in.life.at(c.now, st.d).String()
		}
		err := errs[i]
		if err == nil {
			var cur string
			if cur, err = op.apply(s, in); err != nil {
				err = opError(err)
			}
			res.CurrentStatus = cur
		}
		if e, ok := err.(*apiError); ok {
			res.Code, res.Message = e.code, e.msg
			res.CurrentStatus = res.PreviousStatus
		}
		r.InstanceResponses.InstanceResponse = append(r.InstanceResponses.InstanceResponse, res)
	}
	return r, nil
}

func (s *Server) startInstances(c *call) (response, error)  { return s.batch(c, startOp()) }
func (s *Server) stopInstances(c *call) (response, error)   { return s.batch(c, stopOp()) }
func (s *Server) rebootInstances(c *call) (response, error) { return s.batch(c, rebootOp()) }

type deleteInstancesResp struct {
	respBase
}

func (s *Server) deleteInstances(c *call) (response, error) {
	force, err := c.p.boolv("Force")
	if err != nil {
		return nil, err
	}
	term, err := c.p.boolv("TerminateSubscription")
	if err != nil {
		return nil, err
	}
	if _, err := s.batch(c, deleteOp(force, term, c.now)); err != nil {
		return nil, err
	}
	return &deleteInstancesResp{}, nil
}

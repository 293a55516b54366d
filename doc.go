// Package multicloud creates and manages virtual machines on several clouds
// through one portable API, with the tenant's network, image, instance type
// and price worked out for the caller.
//
// A Client validates a CreateInstanceRequest, injects the reserved tenant
// tags, asks a Scheduler for placements and drives a Provider (a driver:
// Alibaba Cloud in providers/aliyun, an in-memory cloud in providers/fake)
// with retries, failover and idempotency written once, here.
package multicloud

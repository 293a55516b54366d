// Package conformance holds the cross-face test of the simulated cloud:
// one scenario (create, stop, start, delete, quotas, stock, token replay
// with other parameters, faults) runs against every face of package sim
// (the in-process fake, the Aliyun emulator through the Aliyun provider,
// the AWS emulator through the AWS provider) and must give the same
// portable results. The package has no API; its
// test imports every face, which no face's own package can do without an
// import cycle.
package conformance

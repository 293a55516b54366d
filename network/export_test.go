package network

// Allocate lets the external tests run a request's address allocation
// alone.
var Allocate = (*Provisioner).allocate

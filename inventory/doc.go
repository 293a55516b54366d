// Package inventory discovers, synchronizes, queries and summarizes cloud
// assets (ECS instances first) and the cloud accounts they belong to.
//
// A Service drives provider Discoverers through a rate-limited, retrying,
// bounded sync engine and keeps the result in a Store: NewMemStore in
// memory, or inventory/sqlstore on SQLite or PostgreSQL. The package never
// imports a provider; providers implement Discoverer and are handed to New
// as Connectors.
package inventory

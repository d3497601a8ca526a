// Package bench is the end-to-end performance comparison that `make bench`
// runs: jokebox's cached-manifest skill behind `jokebox serve` against the
// naive design that lists the bucket on every request.
//
// Everything runs on this machine: one moto_server holds the bucket
// (started by internal/motoserver), the reverse proxy of internal/faultproxy
// in front of it counts every AWS call both designs make, and a load generator drives each design with the same Alexa
// LaunchRequest from the same number of clients for the same time. Run
// starts and stops every process it needs; Render turns the measurements
// into the markdown table committed as bench/results.md.
package bench

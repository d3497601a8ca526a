// Package faults is jokebox's fault and abuse suite: the indexer, rotator
// and skill run for real against moto_server, behind internal/faultproxy,
// while the tests duplicate and reorder S3 events, poison the queue, run
// writers concurrently, take the backend down, send hostile Alexa requests
// and fill the bucket with awkward objects. After each case the manifest
// must equal the bucket's real audio content.
//
// The package holds only tests. They start their own moto_server and skip
// only with -short. `-faults.duration` shortens the concurrency run
// (default 30s).
package faults

// Package devstack runs the whole jokebox skill on one machine for
// `jokebox dev`: an in-process S3 (gofakes3), a syncer and a folder watcher
// that upload a local media folder and deliver the S3 event notifications the
// cloud would send to the indexer (through the same SQS handler), and an HTTP
// handler serving the skill at /alexa beside a browser simulator that acts as
// an Alexa device with an audio player.
//
// The handler answers only its own page: the S3 has no port of its own
// (jokebox's clients reach it in process; the browser only GETs objects
// through presigned URLs under /s3, signed with a key drawn for the run),
// only loopback Host names are answered, /alexa takes JSON from the page's
// origin or from tools that send no Origin, and every response carries a
// strict Content-Security-Policy.
package devstack

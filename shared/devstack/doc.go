// Package devstack runs the whole jokebox skill on one machine for
// `jokebox dev`: an in-process S3 (gofakes3), a syncer and a folder watcher
// that upload a local media folder and deliver the S3 event notifications the
// cloud would send to the indexer (through the same SQS handler), and an HTTP
// handler serving the skill at /alexa beside a browser simulator that acts as
// an Alexa device with an audio player.
package devstack

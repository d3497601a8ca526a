package alexa

import (
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// unmarshal decodes a request body into the request types. It is
// encoding/json's Unmarshal, with encoding/json's semantics (names matched
// case-insensitively, the last of duplicate names wins, invalid UTF-8
// replaced), run on the decoder of the encoding/json/v2 proposal
// (github.com/go-json-experiment/json, the code behind Go's
// GOEXPERIMENT=jsonv2), which skips the members the types do not name
// without building them: on a LaunchRequest, 10 allocations for
// encoding/json's 26 and a quarter of its time (BenchmarkUnmarshal).
// TestUnmarshalAgrees and FuzzUnmarshalAgrees check that it decodes
// exactly as encoding/json does.
func unmarshal(b []byte, r *Request) error { return jsonv1.Unmarshal(b, r) }

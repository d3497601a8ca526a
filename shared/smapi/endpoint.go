package smapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrNoEndpoint reports a manifest without apis.custom.endpoint.uri.
var ErrNoEndpoint = errors.New("manifest has no apis.custom.endpoint.uri")

// endpointPath is where the custom skill's endpoint URI sits in a manifest.
var endpointPath = []string{"manifest", "apis", "custom", "endpoint"}

// EndpointURI returns manifest.apis.custom.endpoint.uri of a manifest
// document ({"manifest": {...}}).
func EndpointURI(doc []byte) (string, error) {
	cur := json.RawMessage(doc)
	for _, k := range endpointPath {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(cur, &obj); err != nil || obj == nil {
			return "", fmt.Errorf("manifest: %s is not an object", k)
		}
		next, ok := obj[k]
		if !ok {
			return "", ErrNoEndpoint
		}
		cur = next
	}
	var ep struct {
		URI string `json:"uri"`
	}
	if err := json.Unmarshal(cur, &ep); err != nil {
		return "", errors.New("manifest: endpoint is not an object")
	}
	if ep.URI == "" {
		return "", ErrNoEndpoint
	}
	return ep.URI, nil
}

// SetEndpointURI returns a copy of a manifest document with
// manifest.apis.custom.endpoint.uri set to uri, creating the objects on the
// way if needed, and manifest.events.endpoint.uri too when the manifest
// subscribes to events (they go to the same function). Every other field,
// known to this package or not, is kept; only the key order of the objects
// on the path may change.
func SetEndpointURI(doc []byte, uri string) ([]byte, error) {
	if !utf8.ValidString(uri) {
		return nil, errors.New("endpoint URI is not valid UTF-8")
	}
	out, err := setPath(doc, append(endpointPath, "uri"), uri)
	if err != nil || !hasEvents(out) {
		return out, err
	}
	return setPath(out, []string{"manifest", "events", "endpoint", "uri"}, uri)
}

// hasEvents reports whether manifest.events is an object.
func hasEvents(doc []byte) bool {
	var d struct {
		Manifest struct {
			Events map[string]json.RawMessage `json:"events"`
		} `json:"manifest"`
	}
	return json.Unmarshal(doc, &d) == nil && d.Manifest.Events != nil
}

func setPath(doc []byte, path []string, value string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if len(doc) > 0 {
		if err := json.Unmarshal(doc, &obj); err != nil {
			return nil, fmt.Errorf("manifest: %s is not an object", path[0])
		}
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	var err error
	if len(path) == 1 {
		obj[path[0]], err = json.Marshal(value)
	} else {
		obj[path[0]], err = setPath(obj[path[0]], path[1:], value)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}

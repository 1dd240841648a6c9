package iotastub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"harden/modules/iota"
)

// KnownMethods are the methods the stand-in answers: iota-node's.
var KnownMethods = iota.Methods

// request is a decoded JSON-RPC request object.
type request struct {
	ID     any
	Method string
}

// decodeRequest reads a request object the way serde's derived
// Deserialize reads jsonrpsee's Request: each field at most once (a
// duplicate is an error), "jsonrpc" exactly "2.0", "method" a string with
// its escapes decoded. The id is returned whenever it was read, for the
// error answer.
func decodeRequest(raw []byte) (request, error) {
	var req request
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return req, errors.New("not an object")
	}
	seen := map[string]bool{}
	var version string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return req, err
		}
		key := t.(string)
		if seen[key] {
			return req, fmt.Errorf("duplicate field `%s`", key)
		}
		seen[key] = true
		var v any
		if err := dec.Decode(&v); err != nil {
			return req, err
		}
		switch key {
		case "id":
			req.ID = v
		case "jsonrpc":
			version, _ = v.(string)
		case "method":
			s, ok := v.(string)
			if !ok {
				return req, errors.New("method is not a string")
			}
			req.Method = s
		}
	}
	if version != "2.0" || !seen["method"] {
		return req, errors.New("missing jsonrpc 2.0 or method")
	}
	return req, nil
}

// clientID is the client as iota-node's traffic controller sees it.
func (s *Server) clientID(r *http.Request) string {
	if s.opts.ProxyHops == 0 {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		return host
	}
	// The first header of that name, as the node's HeaderMap::get reads it.
	values := r.Header.Values("X-Forwarded-For")
	if len(values) == 0 {
		return ""
	}
	entries := strings.Split(values[0], ",")
	if len(entries) < s.opts.ProxyHops {
		return ""
	}
	ip := strings.TrimSpace(entries[len(entries)-s.opts.ProxyHops])
	if net.ParseIP(ip) == nil {
		return ""
	}
	return ip
}

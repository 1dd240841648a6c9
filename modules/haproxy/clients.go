package haproxy

import (
	"fmt"
	"strings"
	"time"
)

// Per-client rules: the limits on each client address and the one heavy
// call in flight a client may have.

// clientKey is what counts as one client: an IPv4 address, or an IPv6
// /64 (one host's usual share, which it can fill with addresses).
const clientKey = "src,ipmask(32,64)"

// costlyTable counts each client's heavy and proof-of-work calls in flight.
const costlyTable = "per_client_costly"

// costlyCommands are the allowed commands that hold a scarce backend slot
// (iri_heavy, iri_pow) for as long as the node computes.
func costlyCommands(s Settings) []string {
	out := heavyRouted(s)
	if contains(s.AllowedCommands, powCommand) {
		out = append(out, powCommand)
	}
	return out
}

// notTrusted is the condition suffix that exempts trusted addresses.
func notTrusted(s Settings) string {
	if len(s.TrustedAddresses) == 0 {
		return ""
	}
	return " !trusted"
}

func unlessTrusted(s Settings) string {
	if len(s.TrustedAddresses) == 0 {
		return ""
	}
	return " unless trusted"
}

func orTrusted(s Settings) string {
	if len(s.TrustedAddresses) == 0 {
		return ""
	}
	return " || trusted"
}

// renderClientLimits writes the frontend's connection-level rules: the
// stick table of per-address counters, tracking, the connection cap.
func renderClientLimits(w func(string, ...any), s Settings) {
	if len(s.TrustedAddresses) > 0 {
		w("")
		w("    # Trusted addresses are exempt from every per-client limit.")
		w("    acl trusted src %s", strings.Join(s.TrustedAddresses, " "))
	}
	if s.MaxConnPerIP == 0 && s.MaxRequestsPerIP == 0 {
		return
	}
	store := []string{}
	if s.MaxConnPerIP > 0 {
		store = append(store, "conn_cur")
	}
	if s.MaxRequestsPerIP > 0 {
		store = append(store, fmt.Sprintf("http_req_rate(%s)", dur(s.RatePeriod)))
	}
	w("")
	w("    # Per client limits. A client is an IPv4 address or an IPv6 /64 (one host's")
	w("    # usual share; IPv4 is stored as IPv4-mapped IPv6). A full table keeps its")
	w("    # entries until they expire (nopurge) and refuses new clients: a flood of")
	w("    # addresses can neither evict a limited client nor get in unlimited.")
	w("    stick-table type ipv6 size %s expire %s nopurge store %s", tableSize(s), dur(maxDur(s.RatePeriod*2, time.Minute)), strings.Join(store, ","))
	w("    tcp-request connection track-sc0 %s%s", clientKey, unlessTrusted(s))
	w("    tcp-request connection reject unless { sc0_tracked }%s", orTrusted(s))
	if s.MaxConnPerIP > 0 {
		w("    tcp-request connection reject if { sc0_conn_cur gt %d }", s.MaxConnPerIP)
	}
}

// renderOnePerClient lets each client have HeavyMaxConnPerIP costly calls
// in flight (one by default). The
// backends' maxconn stays the global bound; this only stops one client from
// taking all of it, or its whole queue: its further calls are refused at
// once. The count is per request (tracked at http-request, released when
// the request ends: with no abortonclose, when the node has answered).
func renderOnePerClient(w func(string, ...any), s Settings) {
	costly := costlyCommands(s)
	if len(costly) == 0 || s.HeavyMaxConnPerIP == 0 {
		return
	}
	w("")
	w("    # At most heavy_maxconn_per_ip heavy or proof-of-work calls in flight per client:")
	w("    # the rest of its calls are refused at once instead of queueing in front of")
	w("    # everyone else's.")
	w("    acl costly var(txn.cmd) -m str %s", strings.Join(costly, " "))
	w("    http-request track-sc1 %s table %s if costly%s", clientKey, costlyTable, notTrusted(s))
	// Untracked, a client's costly call met a full table: refused too.
	deny(w, "client-busy", 429, "Too many heavy calls at once from this client",
		fmt.Sprintf("{ sc1_conn_cur gt %d } || costly !{ sc1_tracked }%s", s.HeavyMaxConnPerIP, notTrusted(s)))
}

// renderClientTables writes the tables the frontend tracks into.
func renderClientTables(w func(string, ...any), s Settings) {
	if len(costlyCommands(s)) == 0 || s.HeavyMaxConnPerIP == 0 {
		return
	}
	w("")
	w("backend %s", costlyTable)
	w("    # Each client's heavy and proof-of-work calls in flight.")
	w("    stick-table type ipv6 size %s expire 1m nopurge store conn_cur", tableSize(s))
}

// tableSize renders ClientTableSize in HAProxy's units.
func tableSize(s Settings) string {
	if s.ClientTableSize%1024 == 0 {
		return fmt.Sprintf("%dk", s.ClientTableSize/1024)
	}
	return fmt.Sprint(s.ClientTableSize)
}

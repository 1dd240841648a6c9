//go:build root || attack

package attack

import (
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestHeavySlotIsFair: ten slow getTransactionsToApprove calls from one
// client take one heavy slot, not the whole heavy capacity or its queue;
// another client's call goes through. The extra calls are refused at once
// (429) instead of queueing in front of everyone else.
func TestHeavySlotIsFair(t *testing.T) {
	cases := []struct {
		name, profile string
		// otherWithin bounds the other client's wait for its answer.
		otherWithin time.Duration
	}{
		// Two slots: the other client runs beside the attacker's one call.
		{"two slots", "haproxy {\n  heavy_maxconn = 2\n  heavy_queue_timeout = \"500ms\"\n}", slowWalk + time.Second},
		// One slot, a queue longer than a walk: the other client is next
		// in line after the attacker's one call, not after all ten.
		{"one slot", "haproxy {\n  heavy_maxconn = 1\n  heavy_queue_timeout = \"3s\"\n}", 2*slowWalk + time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stub := startStub(t)
			p := startProxyWith(t, stub, tc.profile)
			attacker := map[int]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			c := Client(AttackerIP, 15*time.Second, false)
			for i := 0; i < 10; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, _ := Call(c, p.Addr, SlowTips, nil)
					mu.Lock()
					attacker[st]++
					mu.Unlock()
				}()
			}
			time.Sleep(200 * time.Millisecond)
			start := time.Now()
			other, err := Call(Client(LegitIP, 15*time.Second, false), p.Addr, SlowTips, nil)
			took := time.Since(start)
			wg.Wait()
			t.Logf("attacker %v; other client %d after %v", attacker, other, took)
			if other != http.StatusOK || took > tc.otherWithin {
				t.Errorf("other client: status %d (%v) after %v, want 200 within %v", other, err, took, tc.otherWithin)
			}
			if attacker[http.StatusOK] != 1 || attacker[http.StatusTooManyRequests] != 9 {
				t.Errorf("attacker outcomes %v, want one 200 and nine 429", attacker)
			}
			if n := stub.Stats().Served["getTransactionsToApprove"]; n != 2 {
				t.Errorf("%d walks reached the node, want 2 (one per client)", n)
			}
		})
	}
}

// TestHeavyGlobalBoundHolds: ten clients with one slow call each still get
// at most heavy_maxconn walks onto the node; the rest wait out the queue
// and get 503.
func TestHeavyGlobalBoundHolds(t *testing.T) {
	stub := startStub(t)
	p := startProxyWith(t, stub, "haproxy {\n  heavy_maxconn = 2\n  heavy_queue_timeout = \"500ms\"\n}")
	status := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _ := Call(Client(net.IPv4(127, 0, 0, byte(20+i)), 15*time.Second, false), p.Addr, SlowTips, nil)
			mu.Lock()
			status[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if status[http.StatusOK] != 2 || status[http.StatusServiceUnavailable] != 8 {
		t.Errorf("ten clients: %v, want two 200 and eight 503", status)
	}
	if n := stub.Stats().Served["getTransactionsToApprove"]; n != 2 {
		t.Errorf("%d walks reached the node, want heavy_maxconn = 2", n)
	}
}

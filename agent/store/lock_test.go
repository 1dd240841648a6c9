package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestASecondLockWaitsThenNamesTheHolder(t *testing.T) {
	s := At(t.TempDir())
	ctx := context.Background()
	first, err := s.Lock(ctx, "apply", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Lock(ctx, "rollback", 300*time.Millisecond)
	waited := time.Since(start)
	if err == nil {
		t.Fatal("second lock taken while the first is held")
	}
	for _, want := range []string{fmt.Sprintf("pid %d", os.Getpid()), "(apply)", "since"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if waited < 300*time.Millisecond {
		t.Errorf("gave up after %v, before its wait of 300ms", waited)
	}
	if h, err := s.Holder(); err != nil || h == nil || h.Verb != "apply" || h.PID != os.Getpid() {
		t.Errorf("holder = %+v, %v", h, err)
	}
	// Released within the wait: the waiting one goes ahead.
	go func() {
		time.Sleep(100 * time.Millisecond)
		first.Release()
	}()
	second, err := s.Lock(ctx, "confirm", 5*time.Second)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	if h, _ := s.Holder(); h == nil || h.Verb != "confirm" {
		t.Errorf("holder after hand-over = %+v", h)
	}
	second.Release()
	if h, err := s.Holder(); h != nil || err != nil {
		t.Errorf("holder after release = %+v, %v; want nobody", h, err)
	}
}

func TestLockWaitEndsWithItsContext(t *testing.T) {
	s := At(t.TempDir())
	first, err := s.Lock(context.Background(), "apply", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.Lock(ctx, "apply", time.Minute); err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("interrupted wait: err %v after %v", err, time.Since(start))
	}
}

package wait_test

import (
	"context"
	"errors"
	"testing"

	"github.com/adc-dz/tahsil/internal/wait"
)

func TestUntil(t *testing.T) {
	calls := 0
	if err := wait.Until(context.Background(), func() (bool, error) { calls++; return calls == 3, nil }); err != nil {
		t.Fatalf("Until = %v", err)
	}
	if calls != 3 {
		t.Errorf("done called %d times, want 3", calls)
	}

	boom := errors.New("boom")
	if err := wait.Until(context.Background(), func() (bool, error) { return false, boom }); !errors.Is(err, boom) {
		t.Errorf("Until with a failing condition = %v, want %v", err, boom)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*wait.Interval)
	defer cancel()
	if err := wait.Until(ctx, func() (bool, error) { return false, nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Until past its deadline = %v, want %v", err, context.DeadlineExceeded)
	}
}

package main

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/adc-dz/tahsil/access"
)

// TestDemoCode checks which time step the demo loader spends: the one
// before the current step when it is free (the person's current code stays
// valid), else the next free one, and never one the server refuses.
func TestDemoCode(t *testing.T) {
	t.Parallel()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	stepOf := func(code string, at time.Time) int64 {
		for s := at.Unix()/30 - 3; s <= at.Unix()/30+3; s++ {
			c, _ := totp.GenerateCodeCustom(secret, time.Unix(s*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			if c == code {
				return s
			}
		}
		return -1
	}
	base := time.Unix(1_800_000_000/30*30, 0) // the start of a step
	for _, tc := range []struct {
		name     string
		at       time.Time
		lastStep int64
		want     int64 // relative to the step of at
	}{
		{"fresh account: the previous step", base.Add(5 * time.Second), 0, -1},
		{"previous step used: the current one", base.Add(5 * time.Second), base.Unix()/30 - 1, 0},
		{"current step used: the next one", base.Add(5 * time.Second), base.Unix() / 30, +1},
	} {
		code, err := demoCode(context.Background(), secret, tc.lastStep, func() time.Time { return tc.at })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		cur := tc.at.Unix() / 30
		if got := stepOf(code, tc.at) - cur; got != tc.want {
			t.Errorf("%s: step %+d, want %+d", tc.name, got, tc.want)
		}
		if _, err := access.VerifyTOTP(secret, code, tc.at, tc.lastStep); err != nil {
			t.Errorf("%s: the server would refuse the code: %v", tc.name, err)
		}
	}
	// At the end of a step the previous one is about to leave the window:
	// the loader waits for the next step rather than race it.
	now := base.Add(28 * time.Second)
	clock := func() time.Time { return now }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := demoCode(ctx, secret, 0, clock); err == nil {
		t.Error("a code 2 s before the end of the step, want a wait")
	}
}

package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Latencies summarises a set of durations.
type Latencies struct {
	N                             int
	Mean, P50, P90, P95, P99, Max time.Duration
}

// Summarise sorts ds and returns its percentiles (nearest rank).
func Summarise(ds []time.Duration) Latencies {
	if len(ds) == 0 {
		return Latencies{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	at := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Latencies{N: len(s), Mean: sum / time.Duration(len(s)), P50: at(0.50), P90: at(0.90), P95: at(0.95), P99: at(0.99), Max: s[len(s)-1]}
}

// LoadResult is what a load run measured.
type LoadResult struct {
	Requests int
	Elapsed  time.Duration
	// Status counts the answers by HTTP status; 0 counts transport errors.
	Status  map[int]int
	Latency Latencies // of every answer with the expected status
	// FirstError describes the first unexpected answer, for the report.
	FirstError string
}

// Throughput returns answers with the expected status per second.
func (r LoadResult) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Latency.N) / r.Elapsed.Seconds()
}

// Unexpected counts answers without the expected status.
func (r LoadResult) Unexpected() int { return r.Requests - r.Latency.N }

// Load posts each body once to url from `clients` goroutines sharing one
// keep-alive http.Client, and records the latency of each request until
// its whole answer is read. want is the expected status (201).
func Load(ctx context.Context, client *http.Client, url string, bodies [][]byte, clients int, want int) LoadResult {
	lat := make([]time.Duration, len(bodies))
	status := make([]int, len(bodies))
	var next atomic.Int64
	var firstErr atomic.Pointer[string]
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				t0 := time.Now()
				code, msg := post(ctx, client, url, bodies[i])
				lat[i], status[i] = time.Since(t0), code
				if code != want && msg != "" {
					firstErr.CompareAndSwap(nil, &msg)
				}
			}
		})
	}
	wg.Wait()
	res := LoadResult{Elapsed: time.Since(start), Status: map[int]int{}}
	ok := make([]time.Duration, 0, len(bodies))
	for i := range bodies {
		if status[i] == 0 && lat[i] == 0 {
			continue // not sent: ctx ended
		}
		res.Requests++
		res.Status[status[i]]++
		if status[i] == want {
			ok = append(ok, lat[i])
		}
	}
	res.Latency = Summarise(ok)
	if p := firstErr.Load(); p != nil {
		res.FirstError = *p
	}
	return res
}

func post(ctx context.Context, client *http.Client, url string, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	if resp.StatusCode >= 300 {
		if len(b) > 300 {
			b = b[:300]
		}
		return resp.StatusCode, fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	return resp.StatusCode, ""
}

// NewClient returns an HTTP client that keeps a connection per concurrent
// client alive, as a load balancer or an integration would.
func NewClient(clients int) *http.Client {
	tr := &http.Transport{
		MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true,
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

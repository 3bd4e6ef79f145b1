package events

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ReplayClientOpts are the options a client passed to Replay needs: it
// reads committed records only, and sees the transaction markers, which is
// how Replay knows a partition is read to its end (a partition written in
// transactions ends with a marker, not a record).
func ReplayClientOpts() []kgo.Opt {
	return []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords()}
}

// Replay reads the given partitions of topics (every partition when parts
// is nil) from offset zero up to their last stable offsets as of the call,
// and hands each committed record to fn, in order per partition. After each
// poll, progress (when set) gets the offsets read so far and in all. The
// client must be built with ReplayClientOpts and consume nothing else.
func Replay(ctx context.Context, cl *kgo.Client, topics []string, parts []int32, progress func(read, total int64), fn func(*kgo.Record) error) error {
	ends, err := kadm.NewClient(cl).ListCommittedOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("list last stable offsets: %w", err)
	}
	type tp struct {
		topic string
		part  int32
	}
	want := map[int32]bool{}
	for _, p := range parts {
		want[p] = true
	}
	remaining := map[tp]int64{}
	consume := map[string]map[int32]kgo.Offset{}
	var total, read int64
	var lerr error
	ends.Each(func(o kadm.ListedOffset) {
		if parts != nil && !want[o.Partition] {
			return
		}
		if o.Err != nil {
			lerr = errors.Join(lerr, fmt.Errorf("last stable offset of %s/%d: %w", o.Topic, o.Partition, o.Err))
			return
		}
		if o.Offset > 0 {
			if consume[o.Topic] == nil {
				consume[o.Topic] = map[int32]kgo.Offset{}
			}
			consume[o.Topic][o.Partition] = kgo.NewOffset().AtStart()
			remaining[tp{o.Topic, o.Partition}] = o.Offset
			total += o.Offset
		}
	})
	if lerr != nil {
		return lerr
	}
	if len(remaining) == 0 {
		return nil
	}
	cl.AddConsumePartitions(consume)
	defer cl.PurgeTopicsFromConsuming(topics...)
	for len(remaining) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("fetch %s/%d: %w", t, p, err))
		})
		if ferr != nil {
			return ferr
		}
		var rerr error
		fetches.EachRecord(func(r *kgo.Record) {
			key := tp{r.Topic, r.Partition}
			end, ok := remaining[key]
			if !ok || r.Offset >= end || rerr != nil {
				return
			}
			read++
			if r.Offset+1 >= end {
				delete(remaining, key)
			}
			if !r.Attrs.IsControl() {
				rerr = fn(r)
			}
		})
		if rerr != nil {
			return rerr
		}
		if progress != nil {
			progress(read, total)
		}
	}
	return nil
}

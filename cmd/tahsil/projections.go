package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/schollz/progressbar/v3"

	"github.com/adc-dz/tahsil/projections"
	"github.com/adc-dz/tahsil/store"
)

func projectionsCommand(ctx context.Context, cfg config, log *slog.Logger, args []string) error {
	return dispatch("projections", "", args,
		subcommand{"rebuild", func(args []string) error { return rebuild(ctx, cfg, log, args) }},
		subcommand{"status", func([]string) error { return projectionStatus(ctx, cfg, log) }},
		subcommand{"skip", func(args []string) error { return projectionSkip(ctx, cfg, log, args) }},
	)
}

func rebuild(ctx context.Context, cfg config, log *slog.Logger, names []string) error {
	// A rebuild holds each projection's lock while it replays, so it can
	// run beside a server, whose runners wait and then go on.
	in, err := openInfra(ctx, cfg, log, infraNeeds{kafka: true, share: shareAllowed})
	if err != nil {
		return err
	}
	defer in.close()
	all := eventProjections(in)
	chosen := all
	if len(names) > 0 {
		chosen = nil
		for _, n := range names {
			found := false
			for _, p := range all {
				if p.Name() == n {
					chosen, found = append(chosen, p), true
				}
			}
			if !found {
				return fmt.Errorf("no projection named %q (known: %s)", n, strings.Join(projections.EventProjectionNames(), ", "))
			}
		}
	}
	var bar *progressbar.ProgressBar
	res, err := projections.Rebuild(ctx, projections.RebuildConfig{
		Brokers: in.brokers, Pool: in.pool, Projections: chosen, Registry: in.registry,
		Progress: func(done, total int64) {
			if bar == nil {
				bar = progressbar.NewOptions64(total, progressbar.OptionSetDescription("rebuilding"),
					progressbar.OptionSetWriter(os.Stderr), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
					progressbar.OptionSetItsString("records"), progressbar.OptionThrottle(100*time.Millisecond))
			}
			_ = bar.Set64(done)
		},
	})
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(os.Stderr)
	}
	if err != nil {
		return err
	}
	rate := float64(res.Records) / res.Duration.Seconds()
	fmt.Printf("rebuilt %d projection(s) from %d records in %s (%.0f records/s)\n", len(chosen), res.Records, res.Duration.Round(time.Millisecond), rate)
	for _, f := range res.Failures {
		fmt.Printf("STOPPED %s at %d/%d (%s %s): %s\n", f.Projection, f.Partition, f.Offset, f.EventType, f.EventID, f.Error)
	}
	if len(res.Failures) > 0 {
		return fmt.Errorf("%d projection(s) stopped at records they cannot apply", len(res.Failures))
	}
	return nil
}

func projectionStatus(ctx context.Context, cfg config, log *slog.Logger) error {
	in, err := openInfra(ctx, cfg, log, infraNeeds{share: shareAllowed})
	if err != nil {
		return err
	}
	defer in.close()
	q := store.New(in.pool)
	rows, err := q.ProjectionOffsetsList(ctx, append(projections.EventProjectionNames(), "outcomes"))
	if err != nil {
		return err
	}
	fmt.Println("PROJECTION  PARTITION  NEXT OFFSET  UPDATED")
	for _, r := range rows {
		fmt.Printf("%-11s %9d %12d  %s\n", r.Projection, r.Partition, r.NextOffset, r.UpdatedAt.Format(time.RFC3339))
	}
	fails, err := q.ProjectionFailuresOpen(ctx)
	if err != nil {
		return err
	}
	for _, f := range fails {
		fmt.Printf("STOPPED %s at %d/%d (%s %s) since %s: %s\n", f.Projection, f.Partition, f.KafkaOffset,
			f.EventType, f.EventID, f.FailedAt.Format(time.RFC3339), f.Error)
	}
	return nil
}

// projectionSkip moves a stopped projection past one record. It is the
// only way a record is ever skipped, and it is recorded with who and why.
func projectionSkip(ctx context.Context, cfg config, log *slog.Logger, args []string) error {
	var pos []string
	var by, reason string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--by", "--reason":
			if i+1 >= len(args) {
				return fmt.Errorf("%s needs a value", args[i])
			}
			if args[i] == "--by" {
				by = args[i+1]
			} else {
				reason = args[i+1]
			}
			i++
		default:
			pos = append(pos, args[i])
		}
	}
	if len(pos) != 3 || by == "" || reason == "" {
		return errors.New("usage: tahsil projections skip NAME PARTITION OFFSET --by WHO --reason WHY")
	}
	part, err1 := strconv.ParseInt(pos[1], 10, 32)
	off, err2 := strconv.ParseInt(pos[2], 10, 64)
	if err1 != nil || err2 != nil {
		return errors.New("PARTITION and OFFSET must be integers")
	}
	// A running server's runner notices the skip within seconds.
	in, err := openInfra(ctx, cfg, log, infraNeeds{share: shareAllowed})
	if err != nil {
		return err
	}
	defer in.close()
	now := time.Now().UTC()
	return pgx.BeginFunc(ctx, in.pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		n, err := q.ProjectionFailureResolve(ctx, store.ProjectionFailureResolveParams{
			Projection: pos[0], Partition: int32(part), KafkaOffset: off,
			ResolvedAt: &now, Resolution: ptr("skipped: " + reason), ResolvedBy: &by, Skipped: true,
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s is not stopped at %d/%d (see tahsil projections status)", pos[0], part, off)
		}
		if err := q.ProjectionOffsetSkipPast(ctx, store.ProjectionOffsetSkipPastParams{
			Projection: pos[0], Partition: int32(part), NextOffset: off + 1, UpdatedAt: now,
		}); err != nil {
			return err
		}
		log.Warn("projection record skipped", "projection", pos[0], "partition", part, "offset", off, "by", by, "reason", reason)
		fmt.Printf("%s will continue after %d/%d\n", pos[0], part, off)
		return nil
	})
}

func ptr[T any](v T) *T { return &v }

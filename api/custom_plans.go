package api

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/store"
)

// customPlans runs queries as unnamed statements, so PostgreSQL plans each
// run with its parameters. The list queries take optional filters as
// "(@x IS NULL OR col = @x)": the generic plan PostgreSQL adopts for a
// prepared statement after five runs must serve every combination and so
// uses none of the filters' indexes. Only the lists go through it: the
// write path's statements keep their cached plans (forcing custom plans on
// the whole pool slowed the import by a third; docs/PERFORMANCE.md).
type customPlans struct{ store.DBTX }

func (c customPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.DBTX.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (c customPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.DBTX.QueryRow(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}

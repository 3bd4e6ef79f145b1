package pgtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/internal/pgtest"
	"github.com/adc-dz/tahsil/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestNewGivesMigratedIsolatedDatabases(t *testing.T) {
	t.Parallel()
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			pool := pgtest.New(t)
			ctx := t.Context()

			conn, err := pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			applied, err := migrations.Apply(ctx, conn.Conn())
			if err != nil {
				t.Fatalf("apply migrations: %v", err)
			}
			if len(applied) != 0 {
				t.Errorf("database was not fully migrated: Apply ran %v", applied)
			}
			var versions int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&versions); err != nil || versions == 0 {
				t.Errorf("schema_migrations holds %d rows (%v), want the migrations", versions, err)
			}

			// Each database sees only its own rows.
			if _, err := conn.Exec(ctx, "CREATE TABLE mine (n int)"); err != nil {
				t.Fatalf("create table: %v", err)
			}
			if _, err := conn.Exec(ctx, "INSERT INTO mine VALUES ($1)", i); err != nil {
				t.Fatalf("insert: %v", err)
			}
			var n, count int
			if err := conn.QueryRow(ctx, "SELECT min(n), count(*) FROM mine").Scan(&n, &count); err != nil || n != i || count != 1 {
				t.Errorf("mine = (%d, %d rows), %v; want only our row %d", n, count, err, i)
			}
		})
	}
}

func TestDatabaseDroppedWhenTestEnds(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("user", func(t *testing.T) {
		conn, err := pgx.Connect(t.Context(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		// Left open on purpose: the drop must not wait for it.
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	admin, err := pgx.Connect(t.Context(), pgtest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var exists bool
	if err := admin.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if name == "" || exists {
		t.Errorf("database %q still exists after its test ended", name)
	}
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// health asks a running server whether it is ready; it is the container
// health check, since the runtime image has no curl.
func health(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/readyz answered %s", base, resp.Status)
	}
	return nil
}

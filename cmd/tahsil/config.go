package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// config is read from the environment once, at start.
type config struct {
	DataDir            string
	HTTPAddr           string
	KafkaBrokers       []string
	EmbeddedKafkaAddr  string
	DatabaseURL        string
	MasterKey          string
	Partitions         int32
	Components         map[string]bool
	InstanceID         string
	LogLevel           slog.Level
	LogJSON            bool
	URL                string // for clients of a running server (demo, health)
	AllowedHosts       []string
	ProjectionWaitSecs int
}

var allComponents = []string{"api", "decider", "projections"}

// env reads a variable, or the file named by NAME_FILE (for secrets).
func env(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, nil
	}
	if path := os.Getenv(name + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

func envOr(name, def string) string {
	if v, _ := env(name); v != "" {
		return v
	}
	return def
}

// loadConfig reads the environment and reports every problem at once.
func loadConfig() (config, error) {
	var errs []error
	c := config{
		DataDir:           envOr("TAHSIL_DATA_DIR", ".tahsil"),
		HTTPAddr:          envOr("TAHSIL_HTTP_ADDR", "127.0.0.1:8080"),
		EmbeddedKafkaAddr: envOr("TAHSIL_EMBEDDED_KAFKA_ADDR", "127.0.0.1:9092"),
		Components:        map[string]bool{},
	}
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	if b := envOr("TAHSIL_KAFKA_BROKERS", ""); b != "" {
		for _, s := range strings.Split(b, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.KafkaBrokers = append(c.KafkaBrokers, s)
			}
		}
	}
	var err error
	if c.DatabaseURL, err = env("TAHSIL_DATABASE_URL"); err != nil {
		errs = append(errs, err)
	}
	if c.MasterKey, err = env("TAHSIL_MASTER_KEY"); err != nil {
		errs = append(errs, err)
	}
	p, err := strconv.Atoi(envOr("TAHSIL_PARTITIONS", "6"))
	if err != nil || p < 1 || p > 1000 {
		errs = append(errs, errors.New("TAHSIL_PARTITIONS must be an integer from 1 to 1000"))
	}
	c.Partitions = int32(p)
	for _, name := range strings.Split(envOr("TAHSIL_COMPONENTS", strings.Join(allComponents, ",")), ",") {
		name = strings.TrimSpace(name)
		known := false
		for _, k := range allComponents {
			known = known || k == name
		}
		if !known {
			errs = append(errs, fmt.Errorf("TAHSIL_COMPONENTS: unknown component %q (known: %s)", name, strings.Join(allComponents, ", ")))
		}
		c.Components[name] = true
	}
	host, _ := os.Hostname()
	c.InstanceID = envOr("TAHSIL_INSTANCE_ID", host)
	if c.InstanceID == "" {
		c.InstanceID = "1"
	}
	if err := c.LogLevel.UnmarshalText([]byte(envOr("TAHSIL_LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, errors.New("TAHSIL_LOG_LEVEL must be debug, info, warn or error"))
	}
	switch f := envOr("TAHSIL_LOG_FORMAT", "text"); f {
	case "text":
	case "json":
		c.LogJSON = true
	default:
		errs = append(errs, fmt.Errorf("TAHSIL_LOG_FORMAT must be text or json, not %q", f))
	}
	c.URL = envOr("TAHSIL_URL", "http://"+c.HTTPAddr)
	if hosts := envOr("TAHSIL_ALLOWED_HOSTS", ""); hosts != "" {
		for _, h := range strings.Split(hosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				c.AllowedHosts = append(c.AllowedHosts, h)
			}
		}
	} else if host, _, err := net.SplitHostPort(c.HTTPAddr); err == nil {
		// Bound to loopback, only local names can be meant; a page on the
		// machine's browser that rebinds its own name to 127.0.0.1 is not.
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			c.AllowedHosts = []string{"127.0.0.1", "localhost", "::1"}
		}
	}
	w, err := strconv.Atoi(envOr("TAHSIL_PROJECTION_WAIT_SECONDS", "5"))
	if err != nil || w < 0 || w > 60 {
		errs = append(errs, errors.New("TAHSIL_PROJECTION_WAIT_SECONDS must be an integer from 0 to 60"))
	}
	c.ProjectionWaitSecs = w
	return c, errors.Join(errs...)
}

func (c config) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogJSON {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/adc-dz/tahsil/api"
	"github.com/adc-dz/tahsil/collection"
)

// config is read from the environment once, at start.
type config struct {
	DataDir            string
	BlobDir            string // the documents' files: TAHSIL_BLOB_DIR, default $TAHSIL_DATA_DIR/blobs
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
	Plans              api.PlanConfig
	AllowedHosts       []string
	ProjectionWaitSecs int
	// TrustedProxies are the networks (CIDR) of the reverse proxies whose
	// X-Forwarded-For names the client; CORSOrigins the browser origins
	// allowed to call the API. Both empty by default.
	TrustedProxies []string
	CORSOrigins    []string
	// MasterKeyFrom names where MasterKey came from, for messages; empty
	// when there is none and the key is the data directory's file.
	MasterKeyFrom string
	// NewMasterKey is the key `tahsil keys rotate` puts in place, when
	// given (TAHSIL_NEW_MASTER_KEY[_FILE]) rather than generated.
	NewMasterKey     string
	NewMasterKeyFrom string
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

// secretOrigin names where env(name) found its value, so that a message
// about a key points at the right place: NAME, or NAME_FILE and its path.
func secretOrigin(name string) string {
	if os.Getenv(name) != "" {
		return name
	}
	if path := os.Getenv(name + "_FILE"); path != "" {
		return name + "_FILE (" + path + ")"
	}
	return ""
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
	c.BlobDir = envOr("TAHSIL_BLOB_DIR", filepath.Join(c.DataDir, "blobs"))
	if abs, err := filepath.Abs(c.BlobDir); err == nil {
		c.BlobDir = abs
	}
	c.KafkaBrokers = list(envOr("TAHSIL_KAFKA_BROKERS", ""))
	var err error
	if c.DatabaseURL, err = env("TAHSIL_DATABASE_URL"); err != nil {
		errs = append(errs, err)
	}
	if c.MasterKey, err = env("TAHSIL_MASTER_KEY"); err != nil {
		errs = append(errs, err)
	}
	c.MasterKeyFrom = secretOrigin("TAHSIL_MASTER_KEY")
	if c.NewMasterKey, err = env("TAHSIL_NEW_MASTER_KEY"); err != nil {
		errs = append(errs, err)
	}
	c.NewMasterKeyFrom = secretOrigin("TAHSIL_NEW_MASTER_KEY")
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
	if hosts := list(envOr("TAHSIL_ALLOWED_HOSTS", "")); len(hosts) > 0 {
		c.AllowedHosts = hosts
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
	for _, n := range list(envOr("TAHSIL_TRUSTED_PROXIES", "")) {
		cidr, err := proxyNetwork(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("TAHSIL_TRUSTED_PROXIES: %w", err))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, cidr)
	}
	// Payment plans: the holidays beyond the fixed national ones (the
	// Islamic holidays, announced each year), the smallest instalment and
	// how strictly plans are read.
	for _, d := range list(envOr("TAHSIL_HOLIDAYS", "")) {
		day, err := collection.ParseDate(d)
		if err != nil {
			errs = append(errs, fmt.Errorf("TAHSIL_HOLIDAYS: %q is not a date YYYY-MM-DD", d))
			continue
		}
		c.Plans.Holidays = append(c.Plans.Holidays, day)
	}
	if v := envOr("TAHSIL_PLAN_MIN_INSTALMENT", ""); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, errors.New("TAHSIL_PLAN_MIN_INSTALMENT must be an amount in centimes, 0 or more (0: no minimum)"))
		} else if n == 0 {
			c.Plans.MinInstalment = -1 // PlanConfig: negative sets no minimum
		} else {
			c.Plans.MinInstalment = n
		}
	}
	for _, setting := range []struct {
		name     string
		min, max int
		into     *int
	}{
		{"TAHSIL_PLAN_MAX_MISSED", 1, 12, &c.Plans.Policy.MaxMissed},
		{"TAHSIL_PLAN_GRACE_DAYS", 0, collection.MaxGraceDays, &c.Plans.Policy.GraceDays},
	} {
		if v := envOr(setting.name, ""); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < setting.min || n > setting.max {
				errs = append(errs, fmt.Errorf("%s must be a whole number from %d to %d", setting.name, setting.min, setting.max))
				continue
			}
			*setting.into = n
		}
	}
	for _, o := range list(envOr("TAHSIL_CORS_ORIGINS", "")) {
		origin, err := corsOrigin(o)
		if err != nil {
			errs = append(errs, fmt.Errorf("TAHSIL_CORS_ORIGINS: %w", err))
			continue
		}
		c.CORSOrigins = append(c.CORSOrigins, origin)
	}
	return c, errors.Join(errs...)
}

// list splits a comma-separated value, dropping blanks.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// proxyNetwork reads one trusted proxy: a CIDR network, or a single
// address, which stands for its own /32 or /128.
func proxyNetwork(s string) (string, error) {
	if ip := net.ParseIP(s); ip != nil {
		if ip.To4() != nil {
			return ip.String() + "/32", nil
		}
		return ip.String() + "/128", nil
	}
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return "", fmt.Errorf("%q is neither a CIDR network (10.0.0.0/8) nor an IP address", s)
	}
	if !ip.Equal(n.IP) {
		return "", fmt.Errorf("%q has host bits set: did you mean %s?", s, n)
	}
	if ones, _ := n.Mask.Size(); ones == 0 {
		return "", fmt.Errorf("%q trusts every address, so any client could write its own X-Forwarded-For: name the proxies' networks", s)
	}
	return n.String(), nil
}

// corsOrigin reads one allowed origin: scheme, host and optional port, as
// a browser sends it in the Origin header (https://app.example.dz). A
// wildcard is refused: the API serves personal data, so each origin is
// named.
func corsOrigin(s string) (string, error) {
	if s == "*" || strings.Contains(s, "*") {
		return "", fmt.Errorf("%q: wildcards are not accepted; list each origin (https://app.example.dz)", s)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an origin: give scheme and host, like https://app.example.dz", s)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an origin: only scheme, host and port, without path, query or credentials", s)
	}
	if u.Port() != "" {
		if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
			return "", fmt.Errorf("%q has a bad port", s)
		}
	}
	host := strings.ToLower(u.Host)
	// A browser leaves the default port out of Origin, and echo compares
	// origins as strings.
	if (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return u.Scheme + "://" + host, nil
}

func (c config) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogJSON {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

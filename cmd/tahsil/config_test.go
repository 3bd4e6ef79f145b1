package main

import (
	"strings"
	"testing"
)

func TestProxyNetwork(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{in: "192.168.1.7", want: "192.168.1.7/32"},
		{in: "2001:db8::1", want: "2001:db8::1/128"},
		{in: "2001:db8::/32", want: "2001:db8::/32"},
		{in: "10.0.0.1/8", err: "did you mean 10.0.0.0/8"},
		{in: "0.0.0.0/0", err: "trusts every address"},
		{in: "::/0", err: "trusts every address"},
		{in: "proxy.internal", err: "neither a CIDR network"},
		{in: "10.0.0.0/33", err: "neither a CIDR network"},
	} {
		got, err := proxyNetwork(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("proxyNetwork(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("proxyNetwork(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCORSOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{in: "https://app.example.dz", want: "https://app.example.dz"},
		{in: "HTTPS://App.Example.DZ/", want: "https://app.example.dz"},
		{in: "https://app.example.dz:443", want: "https://app.example.dz"},
		{in: "http://localhost:5173", want: "http://localhost:5173"},
		{in: "http://[::1]:80", want: "http://[::1]"},
		{in: "*", err: "wildcards"},
		{in: "https://*.example.dz", err: "wildcards"},
		{in: "app.example.dz", err: "give scheme and host"},
		{in: "ftp://app.example.dz", err: "give scheme and host"},
		{in: "https://app.example.dz/login", err: "without path"},
		{in: "https://user:pw@app.example.dz", err: "without path, query or credentials"},
		{in: "https://app.example.dz?x=1", err: "without path"},
		{in: "https://app.example.dz:99999", err: "bad port"},
	} {
		got, err := corsOrigin(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("corsOrigin(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("corsOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	t.Setenv("TAHSIL_TRUSTED_PROXIES", "10.0.0.0/8, bogus ,")
	t.Setenv("TAHSIL_CORS_ORIGINS", "https://a.example.dz,*")
	t.Setenv("TAHSIL_PARTITIONS", "0")
	_, err := loadConfig()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`TAHSIL_TRUSTED_PROXIES: "bogus"`, `TAHSIL_CORS_ORIGINS: "*"`, "TAHSIL_PARTITIONS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\ndoes not mention %s", err, want)
		}
	}
	t.Setenv("TAHSIL_CORS_ORIGINS", "https://a.example.dz, http://localhost:3000")
	t.Setenv("TAHSIL_TRUSTED_PROXIES", "10.0.0.0/8,172.16.0.1")
	t.Setenv("TAHSIL_PARTITIONS", "2")
	c, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.TrustedProxies, ",") != "10.0.0.0/8,172.16.0.1/32" || strings.Join(c.CORSOrigins, ",") != "https://a.example.dz,http://localhost:3000" {
		t.Fatalf("proxies %v, origins %v", c.TrustedProxies, c.CORSOrigins)
	}
}

func TestLoadConfigPlans(t *testing.T) {
	t.Setenv("TAHSIL_HOLIDAYS", "2026-03-20, 20/03/2026")
	t.Setenv("TAHSIL_PLAN_MIN_INSTALMENT", "-5")
	t.Setenv("TAHSIL_PLAN_MAX_MISSED", "0")
	t.Setenv("TAHSIL_PLAN_GRACE_DAYS", "x")
	_, err := loadConfig()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`TAHSIL_HOLIDAYS: "20/03/2026"`, "TAHSIL_PLAN_MIN_INSTALMENT", "TAHSIL_PLAN_MAX_MISSED", "TAHSIL_PLAN_GRACE_DAYS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\ndoes not mention %s", err, want)
		}
	}
	t.Setenv("TAHSIL_HOLIDAYS", "2026-03-20,2026-03-21")
	t.Setenv("TAHSIL_PLAN_MIN_INSTALMENT", "0")
	t.Setenv("TAHSIL_PLAN_MAX_MISSED", "3")
	t.Setenv("TAHSIL_PLAN_GRACE_DAYS", "5")
	c, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Plans.Holidays) != 2 || c.Plans.Holidays[1].String() != "2026-03-21" || c.Plans.MinInstalment != -1 ||
		c.Plans.Policy.MaxMissed != 3 || c.Plans.Policy.GraceDays != 5 {
		t.Fatalf("plans %+v", c.Plans)
	}
}

package api_test

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// noProblemOps are the operations that need not document a 4xx problem:
// they read nothing from the request.
var noProblemOps = map[string]bool{
	"GET /healthz":             true,
	"GET /readyz":              true,
	"GET /api/v1/openapi.json": true,
}

// echoParam is a path parameter in echo's syntax (:id).
var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// TestOpenAPI checks that /api/v1/openapi.json describes the router: the
// same operations, each with its problem responses, and no dangling $ref.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	app, c := start(t, apptest.Options{})

	r := c.get("/api/v1/openapi.json")
	want(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var doc map[string]any
	r.decode(t, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("the spec has no paths object")
	}

	// Every operation of the spec, as "METHOD /path".
	ops := map[string]map[string]any{}
	for path, item := range paths {
		pi, ok := item.(map[string]any)
		if !ok {
			t.Errorf("path %s is not an object", path)
			continue
		}
		for _, m := range httpMethods {
			if op, ok := pi[m].(map[string]any); ok {
				ops[strings.ToUpper(m)+" "+path] = op
			}
		}
	}

	t.Run("routes", func(t *testing.T) {
		routes := map[string]bool{}
		for _, rt := range app.Server.Echo().Routes() {
			// echo's own catch-all routes (groups with middleware add
			// some) are not operations.
			if rt.Method == echo.RouteNotFound || strings.Contains(rt.Path, "*") {
				continue
			}
			// /metrics is served only when configured, in Prometheus text
			// format; it is operational, outside the API contract.
			if rt.Path == "/metrics" {
				continue
			}
			routes[rt.Method+" "+echoParam.ReplaceAllString(rt.Path, "{$1}")] = true
		}
		if len(routes) == 0 {
			t.Fatal("the router has no routes")
		}
		for _, k := range sortedKeys(routes) {
			if _, ok := ops[k]; !ok {
				t.Errorf("route %s is not in the spec", k)
			}
		}
		for _, k := range sortedKeys(ops) {
			if !routes[k] {
				t.Errorf("spec operation %s has no route", k)
			}
		}
	})

	t.Run("operations", func(t *testing.T) {
		ids := map[string]string{}
		for _, k := range sortedKeys(ops) {
			op := ops[k]
			if id, _ := op["operationId"].(string); id == "" {
				t.Errorf("%s has no operationId", k)
			} else if other, dup := ids[id]; dup {
				t.Errorf("%s and %s share the operationId %s", k, other, id)
			} else {
				ids[id] = k
			}
			responses, ok := op["responses"].(map[string]any)
			if !ok || len(responses) == 0 {
				t.Errorf("%s has no responses", k)
				continue
			}
			has4xx := false
			for code, resp := range responses {
				status, err := strconv.Atoi(code)
				if err != nil {
					t.Errorf("%s: response %q is not a status code", k, code)
					continue
				}
				if status < 400 {
					continue
				}
				// readyz answers 503 with its own JSON body, not a problem.
				if k == "GET /readyz" && status == http.StatusServiceUnavailable {
					continue
				}
				if !isProblemResponse(doc, resp) {
					t.Errorf("%s: response %d is not application/problem+json with the Problem schema", k, status)
					continue
				}
				if status < 500 {
					has4xx = true
				}
			}
			if !has4xx && !noProblemOps[k] {
				t.Errorf("%s lists no 4xx problem response", k)
			}
		}
	})

	// The spec says who may call what as the router does: a public route
	// (RoutePermissions: Public) declares `security: []`; every other one
	// needs the bearer token or the session cookie, and documents the 401
	// and 403 problems.
	t.Run("security", func(t *testing.T) {
		schemes, _ := pointer(doc, "#/components/securitySchemes")
		sm, _ := schemes.(map[string]any)
		bearer, _ := sm["bearerAuth"].(map[string]any)
		if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
			t.Errorf("securitySchemes.bearerAuth = %v, want an http bearer scheme", bearer)
		}
		cookie, _ := sm["sessionCookie"].(map[string]any)
		if cookie["in"] != "cookie" || cookie["name"] != "__Host-tahsil_session" {
			t.Errorf("securitySchemes.sessionCookie = %v, want the __Host-tahsil_session cookie", cookie)
		}
		csrf, _ := sm["csrfToken"].(map[string]any)
		if csrf["in"] != "header" || csrf["name"] != "X-CSRF-Token" {
			t.Errorf("securitySchemes.csrfToken = %v, want the X-CSRF-Token header", csrf)
		}
		global, _ := doc["security"].([]any)
		if len(global) == 0 {
			t.Error("the spec has no default security requirement")
		}
		perms := app.Server.RoutePermissions()
		for _, k := range sortedKeys(perms) {
			method, path, _ := strings.Cut(k, " ")
			if path == "/metrics" {
				continue
			}
			key := method + " " + echoParam.ReplaceAllString(path, "{$1}")
			op, ok := ops[key]
			if !ok {
				continue // reported by "routes"
			}
			sec, declared := op["security"].([]any)
			if perms[k] == "" {
				if !declared || len(sec) != 0 {
					t.Errorf("%s is public but does not declare security: []", key)
				}
				continue
			}
			if declared && len(sec) == 0 {
				t.Errorf("%s needs %s but declares security: [] (public)", key, perms[k])
			}
			for _, m := range sec {
				for name := range m.(map[string]any) {
					if _, ok := sm[name]; !ok {
						t.Errorf("%s: security names the unknown scheme %q", key, name)
					}
				}
			}
			responses, _ := op["responses"].(map[string]any)
			for _, code := range []string{"401", "403"} {
				if !isProblemResponse(doc, responses[code]) {
					t.Errorf("%s needs %s but documents no %s problem", key, perms[k], code)
				}
			}
		}
	})

	t.Run("path parameters", func(t *testing.T) {
		tmpl := regexp.MustCompile(`\{([^}]+)\}`)
		for _, k := range sortedKeys(ops) {
			method, path, _ := strings.Cut(k, " ")
			declared := map[string]bool{}
			item := paths[path].(map[string]any)
			for _, src := range []any{item["parameters"], ops[k]["parameters"]} {
				list, _ := src.([]any)
				for _, p := range list {
					pm, _ := resolve(doc, p).(map[string]any)
					if pm["in"] == "path" {
						declared[pm["name"].(string)] = true
					}
				}
			}
			for _, m := range tmpl.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s does not declare the path parameter %s", method, path, m[1])
				}
			}
		}
	})

	t.Run("refs", func(t *testing.T) {
		n := 0
		walkRefs(doc, "#", func(at, ref string) {
			n++
			if !strings.HasPrefix(ref, "#/") {
				t.Errorf("%s: $ref %q is not local to the document", at, ref)
				return
			}
			if _, ok := pointer(doc, ref); !ok {
				t.Errorf("%s: $ref %q does not resolve", at, ref)
			}
		})
		if n == 0 {
			t.Error("the spec has no $ref at all")
		}
	})
}

// isProblemResponse tells whether a response object (or a $ref to one)
// has an application/problem+json body whose schema is the Problem schema.
func isProblemResponse(doc map[string]any, resp any) bool {
	r, _ := resolve(doc, resp).(map[string]any)
	content, _ := r["content"].(map[string]any)
	media, _ := content["application/problem+json"].(map[string]any)
	schema, _ := media["schema"].(map[string]any)
	return schema["$ref"] == "#/components/schemas/Problem"
}

// resolve follows a $ref, if v is one (nil when it does not resolve).
func resolve(doc map[string]any, v any) any {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		if v, ok = pointer(doc, ref); !ok {
			return nil
		}
	}
	return nil
}

// pointer resolves a local JSON pointer ("#/components/schemas/Problem").
func pointer(doc map[string]any, ref string) (any, bool) {
	rest, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, false
	}
	var cur any = doc
	if rest == "" {
		return cur, true
	}
	if !strings.HasPrefix(rest, "/") {
		return nil, false
	}
	for _, tok := range strings.Split(rest[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := cur.(type) {
		case map[string]any:
			if cur, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// walkRefs calls fn with the location and value of every $ref in v.
func walkRefs(v any, at string, fn func(at, ref string)) {
	switch c := v.(type) {
	case map[string]any:
		for k, x := range c {
			if s, ok := x.(string); ok && k == "$ref" {
				fn(at, s)
				continue
			}
			walkRefs(x, at+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k), fn)
		}
	case []any:
		for i, x := range c {
			walkRefs(x, at+"/"+strconv.Itoa(i), fn)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPISpec is the API's OpenAPI 3.1 description, written by hand next to
// the handlers it describes. The route-table test fails when a route and
// the spec disagree.
//
//go:embed openapi.json
var openAPISpec []byte

// openAPI serves the spec: GET /api/v1/openapi.json.
func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPISpec)
}

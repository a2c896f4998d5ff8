// Package web holds the static assets and the OpenAPI document, embedded into the binary.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Static is the tree served under /static/.
var Static, _ = fs.Sub(static, "static")

// OpenAPI is the API description served at /api/openapi.json (a copy lives in docs/openapi.json;
// a test keeps them identical).
//
//go:embed openapi.json
var OpenAPI []byte

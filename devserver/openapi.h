#ifndef EXOSPHERE_DEVSERVER_OPENAPI_H_
#define EXOSPHERE_DEVSERVER_OPENAPI_H_

#include <string>

#include "devserver/json.h"
#include "devserver/router.h"

namespace exosphere::devserver {

// The OpenAPI 3.1 document of the v0 API (devserver/openapi.json, compiled in): FastAPI's
// /openapi.json for the state manager, with its paths, parameter names, operation ids, tags and
// the request and response models. tests/devserver/openapi_test.cc checks that it lists exactly
// the routes Api::Register serves.
const char* OpenApiDocumentText();
// OpenApiDocumentText() parsed (once; thread-safe).
const Json& OpenApiDocument();

// Serves GET (and HEAD, as Starlette's plain routes do) /openapi.json and /docs, a small page that
// renders the document with Swagger UI from its CDN when online and links to it. Neither needs an
// API key, and neither is listed in the document (like FastAPI's own routes).
void RegisterOpenApiRoutes(Router& router);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_OPENAPI_H_

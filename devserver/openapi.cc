#include "devserver/openapi.h"

#include "devserver/http_types.h"

namespace exosphere::devserver {
namespace {

// FastAPI's /docs loads the same Swagger UI bundle; without network the link still works.
constexpr char kDocsPage[] = R"html(<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Exosphere State Manager - exosphere-devserver</title>
<link type="text/css" rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<p>The OpenAPI document of this devserver: <a href="/openapi.json">/openapi.json</a>.
Every <code>/v0</code> endpoint needs the <code>x-api-key</code> header.</p>
<div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>
if (window.SwaggerUIBundle) {
  SwaggerUIBundle({url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true});
}
</script>
</body>
</html>
)html";

}  // namespace

const Json& OpenApiDocument() {
  static const Json* const document = new Json(Json::parse(OpenApiDocumentText()));
  return *document;
}

void RegisterOpenApiRoutes(Router& router) {
  const Router::Handler document = [](const HttpRequest&, const Router::Params&) {
    return HttpResponse::WithJson(200, OpenApiDocument());
  };
  const Router::Handler docs = [](const HttpRequest&, const Router::Params&) {
    HttpResponse response;
    response.content_type = "text/html; charset=utf-8";
    response.body = kDocsPage;
    return response;
  };
  for (const char* method : {"GET", "HEAD"}) {
    router.Add(method, "/openapi.json", document, /*in_schema=*/false);
    router.Add(method, "/docs", docs, /*in_schema=*/false);
  }
}

}  // namespace exosphere::devserver

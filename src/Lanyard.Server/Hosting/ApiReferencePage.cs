using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Lanyard.Server.Hosting;

/// <summary>
/// <c>/api/v1/docs</c>: the OpenAPI document as a plain HTML page, rendered on the server from the same
/// document <c>/api/v1/openapi.json</c> serves. No script and no third-party asset: it works offline and under
/// the server's strict Content-Security-Policy, and every value from the document is HTML-encoded.
/// </summary>
internal static partial class ApiReferencePage
{
    public const string Path = "/api/v1/docs";
    private static readonly string[] MethodOrder = ["get", "post", "put", "patch", "delete"];

    public static async Task<IResult> RenderAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var provider = http.RequestServices.GetRequiredKeyedService<IOpenApiDocumentProvider>(ApiDocument.DocumentName);
        var document = await provider.GetOpenApiDocumentAsync(cancellationToken);
        var json = JsonNode.Parse(await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, cancellationToken))!.AsObject();
        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Content(Render(json), "text/html; charset=utf-8");
    }

    internal static string Render(JsonObject document)
    {
        var operations = Operations(document).ToList();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>Lanyard API reference</title><link rel=\"stylesheet\" href=\"/css/api-reference.css\"></head><body class=\"api-reference\">")
            .Append("<header><h1>").Append(Encode(document["info"]?["title"]?.GetValue<string>() ?? "API")).Append("</h1><p>")
            .Append(Markdown(document["info"]?["description"]?.GetValue<string>())).Append("</p><p><a href=\"").Append(ApiDocument.DocumentPath)
            .Append("\">OpenAPI document (JSON)</a> · ").Append(operations.Count).Append(" operations</p></header><nav><ul>");
        var byTag = operations.GroupBy(o => o.Tag).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var group in byTag)
        {
            html.Append("<li><a href=\"#").Append(Anchor(group.Key)).Append("\">").Append(Encode(group.Key)).Append("</a></li>");
        }

        html.Append("</ul></nav><main>");
        foreach (var group in byTag)
        {
            html.Append("<section id=\"").Append(Anchor(group.Key)).Append("\"><h2>").Append(Encode(group.Key)).Append("</h2>");
            foreach (var op in group.OrderBy(o => o.Path, StringComparer.Ordinal).ThenBy(o => Array.IndexOf(MethodOrder, o.Method)))
            {
                RenderOperation(html, document, op);
            }

            html.Append("</section>");
        }

        return html.Append("</main></body></html>").ToString();
    }

    private static void RenderOperation(StringBuilder html, JsonObject document, Operation op)
    {
        html.Append("<article class=\"operation\" data-testid=\"operation\" data-method=\"").Append(op.Method.ToUpperInvariant())
            .Append("\" data-path=\"").Append(Encode(op.Path)).Append("\"><h3><span class=\"method ").Append(op.Method).Append("\">")
            .Append(op.Method.ToUpperInvariant()).Append("</span> <code>").Append(Encode(op.Path)).Append("</code></h3>");
        if (op.Body["summary"]?.GetValue<string>() is { Length: > 0 } summary)
        {
            html.Append("<p class=\"summary\">").Append(Encode(summary)).Append("</p>");
        }

        html.Append("<p class=\"description\">").Append(Markdown(op.Body["description"]?.GetValue<string>())).Append("</p>");

        var parameters = (op.PathParameters ?? []).Concat(op.Body["parameters"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (parameters.Count > 0)
        {
            html.Append("<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>required</th></tr></thead><tbody>");
            foreach (var parameter in parameters.DistinctBy(p => (p["name"]?.ToString(), p["in"]?.ToString())))
            {
                html.Append("<tr><td><code>").Append(Encode(parameter["name"]?.ToString())).Append("</code></td><td>").Append(Encode(parameter["in"]?.ToString()))
                    .Append("</td><td>").Append(Encode(TypeOf(document, parameter["schema"]))).Append("</td><td>")
                    .Append(parameter["required"]?.GetValue<bool>() == true ? "yes" : "no").Append("</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        if (op.Body["requestBody"]?["content"] is JsonObject content && content.Count > 0)
        {
            html.Append("<h4>Request body</h4><p class=\"media\">").Append(Encode(string.Join(", ", content.Select(c => c.Key)))).Append("</p>");
            RenderSchema(html, document, content.First().Value?["schema"]);
        }

        if (op.Body["responses"] is JsonObject responses && responses.Count > 0)
        {
            html.Append("<h4>Responses</h4><ul class=\"responses\">");
            foreach (var (status, response) in responses)
            {
                html.Append("<li><code>").Append(Encode(status)).Append("</code> ").Append(Markdown(response?["description"]?.ToString())).Append("</li>");
            }

            html.Append("</ul>");
        }

        html.Append("</article>");
    }

    /// <summary>The members of an object schema (one level, references followed), or just its type.</summary>
    private static void RenderSchema(StringBuilder html, JsonObject document, JsonNode? schema)
    {
        var resolved = Resolve(document, schema);
        if (resolved?["properties"] is not JsonObject properties || properties.Count == 0)
        {
            html.Append("<p class=\"media\">").Append(Encode(TypeOf(document, schema))).Append("</p>");
            return;
        }

        var required = (resolved["required"] as JsonArray)?.Select(r => r?.ToString()).ToHashSet(StringComparer.Ordinal) ?? [];
        html.Append("<table><thead><tr><th>member</th><th>type</th><th>required</th></tr></thead><tbody>");
        foreach (var (name, property) in properties)
        {
            html.Append("<tr><td><code>").Append(Encode(name)).Append("</code></td><td>").Append(Encode(TypeOf(document, property)))
                .Append("</td><td>").Append(required.Contains(name) ? "yes" : "no").Append("</td></tr>");
        }

        html.Append("</tbody></table>");
    }

    private static string TypeOf(JsonObject document, JsonNode? schema)
    {
        if (schema?["$ref"]?.ToString() is { } reference)
        {
            return reference[(reference.LastIndexOf('/') + 1)..];
        }

        var resolved = Resolve(document, schema);
        var type = resolved?["type"] switch
        {
            JsonArray types => string.Join(" | ", types.Select(t => t?.ToString())),
            JsonValue value => value.ToString(),
            _ => "object",
        };
        return resolved?["items"] is { } items ? $"{type} of {TypeOf(document, items)}" : type;
    }

    private static JsonObject? Resolve(JsonObject document, JsonNode? schema)
    {
        for (var depth = 0; depth < 5 && schema?["$ref"]?.ToString() is { } reference; depth++)
        {
            schema = reference.StartsWith("#/components/schemas/", StringComparison.Ordinal)
                ? document["components"]?["schemas"]?[reference["#/components/schemas/".Length..]]
                : null;
        }

        return schema as JsonObject;
    }

    private static IEnumerable<Operation> Operations(JsonObject document)
    {
        foreach (var (path, item) in document["paths"] as JsonObject ?? [])
        {
            if (item is not JsonObject pathItem)
            {
                continue;
            }

            foreach (var (method, body) in pathItem)
            {
                if (Array.IndexOf(MethodOrder, method) >= 0 && body is JsonObject operation)
                {
                    var tag = (operation["tags"] as JsonArray)?.FirstOrDefault()?.ToString() ?? "api";
                    yield return new Operation(path, method, tag, operation, pathItem["parameters"] as JsonArray);
                }
            }
        }
    }

    private static string Encode(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    private static string Anchor(string tag) => "tag-" + Uri.EscapeDataString(tag.ToLowerInvariant().Replace(' ', '-'));

    /// <summary>The two marks the descriptions use, <c>`code`</c> and <c>**strong**</c>, applied after encoding so no markup can come from the text.</summary>
    private static string Markdown(string? text)
    {
        var encoded = Encode(text);
        encoded = CodeSpan().Replace(encoded, "<code>$1</code>");
        return Strong().Replace(encoded, "<strong>$1</strong>");
    }

    private sealed record Operation(string Path, string Method, string Tag, JsonObject Body, JsonArray? PathParameters);

    [GeneratedRegex("`([^`]+)`", RegexOptions.CultureInvariant)]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\*\*([^*]+)\*\*", RegexOptions.CultureInvariant)]
    private static partial Regex Strong();
}

using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Lanyard.Server.Features.Users.Import;

/// <summary>
/// <c>POST /api/v1/tenants/{tenantId}/users/import</c> (permission <c>user:import</c>): the bulk import of
/// <see cref="UserImporter"/> over HTTP. The body is CSV (<c>text/csv</c>) or NDJSON
/// (<c>application/x-ndjson</c>) and is read as it arrives; the answer is NDJSON
/// (<see cref="ImportResultJson"/>), written batch by batch as each commits, so a client sees progress on a
/// large file and memory stays flat on both sides. A user token imports only into its own tenant; any
/// other tenant is answered 404 like one that does not exist.
/// </summary>
internal static class UserImportEndpoint
{
    public const string Permission = "user:import";

    /// <summary>The body may be far larger than Kestrel's default limit: it is streamed, never held.</summary>
    public const long MaxBodyBytes = 4L * 1024 * 1024 * 1024;

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery()
            .MapPost("/tenants/{tenantId}/users/import", ImportAsync).RequirePermission(Permission);

    private static async Task<IResult> ImportAsync(
        string tenantId, HttpContext http, LanyardDbContext db, TenantContext scope, UserImporter importer, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(UserImportEndpoint));
        var application = http.RequiredApplication();
        var caller = http.RequiredCaller();
        if (await ApiScope.EnterTenantAsync(http, db, scope, tenantId, cancellationToken) is null)
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "tenant_not_found", "The tenant does not exist.");
        }

        var format = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType) ? ImportSource.FormatOf(mediaType.MediaType.Value) : null;
        if (format is null)
        {
            return ApiErrors.Base(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                $"Send the users as {ImportSource.CsvMediaType} or {ImportSource.NdjsonMediaType}.");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        var input = new ImportInputStream(http.Request.Body);
        var (source, problem) = await ImportSource.OpenAsync(format.Value, input, cancellationToken);
        if (source is null)
        {
            Log.ImportRefused(logger, tenantId, "header");
            return ApiErrors.BadRequest("invalid_request", problem!);
        }

        return new StreamedImport(source, importer, tenantId, caller.SubjectId, logger);
    }

    /// <summary>Runs the import while writing its answer.</summary>
    private sealed class StreamedImport(ImportSource source, UserImporter importer, string tenantId, string callerId, ILogger logger) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            using var rows = source;
            var response = http.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ImportSource.NdjsonMediaType + "; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            await response.StartAsync(http.RequestAborted);

            var summary = new ImportSummary();
            try
            {
                await foreach (var batch in importer.ImportAsync(rows.Rows, http.RequestAborted))
                {
                    foreach (var result in batch)
                    {
                        summary.Count(result);
                        ImportResultJson.WriteRow(response.BodyWriter, result);
                    }

                    await response.BodyWriter.FlushAsync(http.RequestAborted);
                }
            }
            catch (ImportInputException e)
            {
                summary.Aborted = e.Message;
                Log.ImportAborted(logger, tenantId, e.Message);
            }

            ImportResultJson.WriteSummary(response.BodyWriter, summary);
            await response.BodyWriter.FlushAsync(http.RequestAborted);
            Log.ImportFinished(logger, tenantId, callerId, summary.Rows, summary.Created, summary.Updated, summary.Unchanged, summary.Failed);
        }
    }
}

using System.Globalization;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Users.Import;

/// <summary>Where a command writes: standard output and error, and whether error is a terminal (for the progress bar).</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, bool ErrorIsTerminal)
{
    public static CliConsole System => new(Console.Out, Console.Error, !Console.IsErrorRedirected);
}

/// <summary>
/// <code>lanyard import FILE --tenant NAME [--format csv|ndjson] [--report RESULTS.ndjson]</code>
/// Imports users into a tenant through <see cref="UserImporter"/>, in process against the configured
/// database: the same service and rules as the API. FILE is CSV, or NDJSON when it ends in <c>.ndjson</c>
/// or <c>.jsonl</c> (or with <c>--format</c>); <c>-</c> reads standard input. Progress and failed rows go to
/// standard error, the summary to standard output; <c>--report</c> also writes every row's result as the API
/// answers it. Exit code 0 when every row was imported, 1 when a row failed or the input was cut short,
/// 2 for a usage error.
/// </summary>
internal sealed class UserImportCommand(IServiceScopeFactory scopes, TimeProvider time)
{
    public const int RowsFailed = 1;
    public const int UsageError = 2;

    /// <summary>Failed rows printed to standard error at most; the report file has them all.</summary>
    public const int MaxPrintedFailures = 50;

    private static readonly HashSet<string> Known = ["tenant", "format", "report"];

    public static bool Handles(IReadOnlyList<string> verbArgs) => verbArgs is ["import", ..];

    public async Task<int> RunAsync(IReadOnlyList<string> verbArgs, CliConsole console, CancellationToken cancellationToken)
    {
        var args = CliArguments.Parse(verbArgs, Known, new HashSet<string>());
        if (args.Problem is not null || args.Words.Count != 2 || args["tenant"] is not { } tenantName)
        {
            await console.Error.WriteLineAsync(args.Problem ?? "Usage: lanyard import FILE --tenant NAME [--format csv|ndjson] [--report RESULTS.ndjson]");
            return UsageError;
        }

        var path = args.Words[1];
        ImportFormat format;
        switch (args["format"]?.ToLowerInvariant())
        {
            case null: format = ImportSource.FormatOfFile(path); break;
            case "csv": format = ImportFormat.Csv; break;
            case "ndjson" or "jsonl": format = ImportFormat.Ndjson; break;
            default:
                await console.Error.WriteLineAsync("--format is csv or ndjson.");
                return UsageError;
        }

        if (path != "-" && !File.Exists(path))
        {
            await console.Error.WriteLineAsync($"No such file: {path}");
            return UsageError;
        }

        await using var scope = scopes.CreateAsyncScope();
        var (tenant, problem) = await FindTenantAsync(scope.ServiceProvider, tenantName, cancellationToken);
        if (tenant is null)
        {
            await console.Error.WriteLineAsync(problem);
            return UsageError;
        }

        await using var file = path == "-" ? Console.OpenStandardInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        long? length = path == "-" ? null : file.Length;
        var input = new ImportInputStream(file);
        var (source, refused) = await ImportSource.OpenAsync(format, input, cancellationToken);
        if (source is null)
        {
            await console.Error.WriteLineAsync(refused);
            return RowsFailed;
        }

        await using var report = args["report"] is { } reportPath ? new StreamWriter(reportPath) : null;
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var summary = await ImportAsync(scope.ServiceProvider.GetRequiredService<UserImporter>(), source, input, length, report, console, cancellationToken);
        var seconds = summary.Elapsed.TotalSeconds;
        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Imported {(path == "-" ? "standard input" : Path.GetFileName(path))} into tenant {tenant.Name}: {summary.Counts.Rows} rows, " +
            $"{summary.Counts.Created} created, {summary.Counts.Updated} updated, {summary.Counts.Unchanged} unchanged, {summary.Counts.Failed} failed " +
            $"in {seconds:0.0} s ({summary.Counts.Rows / Math.Max(seconds, 0.001):0} rows/s, {(Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds:0.0} s of CPU)."));
        if (summary.Counts.Aborted is { } aborted)
        {
            await console.Error.WriteLineAsync($"The import stopped early: {aborted}");
        }

        return summary.Counts.Failed > 0 || summary.Counts.Aborted is not null ? RowsFailed : 0;
    }

    private async Task<(ImportSummary Counts, TimeSpan Elapsed)> ImportAsync(
        UserImporter importer, ImportSource source, ImportInputStream input, long? length, StreamWriter? report, CliConsole console, CancellationToken cancellationToken)
    {
        using var rows = source;
        var progress = new CliProgress(console.Error, console.ErrorIsTerminal, time, "import");
        var summary = new ImportSummary();
        string Detail() => string.Create(CultureInfo.InvariantCulture,
            $"{summary.Rows:N0} rows, {summary.Failed:N0} failed, {progress.Rate(summary.Rows):N0} rows/s");
        double? Fraction() => length is > 0 ? (double)input.BytesRead / length.Value : null;

        try
        {
            await foreach (var batch in importer.ImportAsync(rows.Rows, cancellationToken))
            {
                foreach (var result in batch)
                {
                    summary.Count(result);
                    if (result.Status == ImportRowStatus.Failed && summary.Failed <= MaxPrintedFailures)
                    {
                        progress.Message(Describe(result, summary.Failed == MaxPrintedFailures));
                    }

                    if (report is not null)
                    {
                        await WriteReportLineAsync(report, w => ImportResultJson.WriteRow(w, result));
                    }
                }

                progress.Update(Fraction(), Detail());
            }
        }
        catch (ImportInputException e)
        {
            summary.Aborted = e.Message;
        }

        if (report is not null)
        {
            await WriteReportLineAsync(report, w => ImportResultJson.WriteSummary(w, summary));
        }

        progress.Finish(summary.Aborted is null && length is > 0 ? 1 : Fraction(), Detail());
        return (summary, progress.Elapsed);
    }

    /// <summary>The tenant named <paramref name="name"/> of the (first) application, or why there is none.</summary>
    internal static async Task<(Tenant? Tenant, string? Problem)> FindTenantAsync(IServiceProvider services, string name, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<LanyardDbContext>();
        var application = await db.Applications.AsNoTracking().OrderBy(a => a.CreatedAt).Select(a => new { a.Id }).FirstOrDefaultAsync(cancellationToken);
        if (application is null)
        {
            return (null, "No application exists yet: start the server once so that it creates one.");
        }

        services.GetRequiredService<TenantContext>().Enter(application.Id);
        var key = Normalize.Key(name);
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.NormalizedName == key && t.Status != TenantStatus.DeleteInProgress, cancellationToken);
        if (tenant is null)
        {
            return (null, $"No tenant named '{name}'.");
        }

        services.GetRequiredService<TenantContext>().Enter(application.Id, tenant.Id);
        return (tenant, null);
    }

    private static string Describe(ImportRowResult result, bool last)
    {
        var reasons = result.Violations is null
            ? ""
            : string.Join("; ", result.Violations.ByField.SelectMany(p => p.Value.Select(v =>
                $"{p.Key} {v.Code}{(v.ConstraintAttributes is { Count: > 0 } a ? " (" + string.Join(", ", a.Select(x => $"{x.Key}: {x.Value}")) + ")" : "")}")));
        var line = $"row {result.Row.ToString(CultureInfo.InvariantCulture)} failed: {reasons}";
        return last ? line + $"\n(only the first {MaxPrintedFailures} failed rows are printed; --report writes them all)" : line;
    }

    private static async Task WriteReportLineAsync(StreamWriter report, Action<System.Buffers.ArrayBufferWriter<byte>> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        write(buffer);
        await report.WriteAsync(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}

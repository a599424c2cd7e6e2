namespace Lanyard.Server.Features.Users.Import;

internal enum ImportFormat
{
    Csv,
    Ndjson,
}

/// <summary>An import's rows as its format reads them, with what has to be disposed when the import ends.</summary>
internal sealed class ImportSource : IDisposable
{
    private readonly IDisposable? _owner;

    private ImportSource(IAsyncEnumerable<ImportRow> rows, IDisposable? owner)
    {
        Rows = rows;
        _owner = owner;
    }

    public IAsyncEnumerable<ImportRow> Rows { get; }

    public const string CsvMediaType = "text/csv";
    public const string NdjsonMediaType = "application/x-ndjson";

    /// <summary>The format of a media type (<c>text/csv</c>; <c>application/x-ndjson</c>, also <c>application/jsonl</c>), or null.</summary>
    public static ImportFormat? FormatOf(string? mediaType) => mediaType?.ToLowerInvariant() switch
    {
        CsvMediaType => ImportFormat.Csv,
        NdjsonMediaType or "application/jsonl" or "application/x-jsonlines" => ImportFormat.Ndjson,
        _ => null,
    };

    /// <summary>The format of a file name: <c>.ndjson</c>/<c>.jsonl</c> are NDJSON, anything else CSV.</summary>
    public static ImportFormat FormatOfFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".ndjson" or ".jsonl" ? ImportFormat.Ndjson : ImportFormat.Csv;

    /// <summary>Starts reading; a CSV header is read and checked here, so a refused file fails before any row is written.</summary>
    public static async Task<(ImportSource? Source, string? Problem)> OpenAsync(ImportFormat format, ImportInputStream input, CancellationToken cancellationToken)
    {
        if (format == ImportFormat.Ndjson)
        {
            return (new ImportSource(UserImportNdjson.ReadAsync(input, cancellationToken), null), null);
        }

        var (csv, problem) = await UserImportCsv.OpenAsync(input, cancellationToken);
        return csv is null ? (null, problem) : (new ImportSource(csv.ReadAsync(cancellationToken), csv), null);
    }

    public void Dispose() => _owner?.Dispose();
}

using nietras.SeparatedValues;

namespace Lanyard.Server.Features.Users.Import;

/// <summary>
/// Reads a CSV import (RFC 4180: comma-separated, a header row, fields with commas, quotes or line breaks in
/// double quotes) with Sep, one row at a time. Header names are matched without case to
/// <see cref="ImportColumns"/>; an unknown column refuses the whole file before any row is written, so a
/// misspelt header cannot silently drop a column. A cell that is empty counts as absent.
/// </summary>
internal sealed class UserImportCsv : IDisposable
{
    private readonly SepReader _reader;
    private readonly ImportInputStream _input;
    private readonly string?[] _columns;

    private UserImportCsv(SepReader reader, ImportInputStream input, string?[] columns)
    {
        _reader = reader;
        _input = input;
        _columns = columns;
    }

    /// <summary>Opens the input and checks its header; returns the reader, or why the file cannot be imported.</summary>
    public static async Task<(UserImportCsv? Reader, string? Problem)> OpenAsync(ImportInputStream input, CancellationToken cancellationToken)
    {
        SepReader reader;
        try
        {
            reader = await Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = true, HasHeader = true })
                .FromAsync(input, leaveOpen: true, cancellationToken);
        }
        catch (ImportInputException e)
        {
            return (null, e.Message);
        }

        var names = reader.Header.ColNames;
        var columns = new string?[names.Count];
        var unknown = new List<string>();
        for (var i = 0; i < names.Count; i++)
        {
            columns[i] = ImportColumns.Find(names[i]);
            if (columns[i] is null)
            {
                unknown.Add(names[i]);
            }
        }

        string? problem = null;
        if (names.Any(n => string.Equals(n.Trim(), ImportColumns.TenantName, StringComparison.OrdinalIgnoreCase)))
        {
            problem = "The tenantName column comes from an export of every tenant (--all); import each tenant's rows into that tenant without the column.";
        }
        else if (unknown.Count > 0)
        {
            problem = $"Unknown column(s): {string.Join(", ", unknown)}. The columns are: {string.Join(", ", ImportColumns.All)}.";
        }
        else if (!columns.Contains(ImportColumns.Email))
        {
            problem = "The header has no email column.";
        }
        else if (columns.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            problem = $"The column {twice.Key} appears more than once.";
        }

        if (problem is not null)
        {
            reader.Dispose();
            return (null, problem);
        }

        input.RowEnded();
        return (new UserImportCsv(reader, input, columns), null);
    }

    public async IAsyncEnumerable<ImportRow> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long number = 0;
        while (await _reader.MoveNextAsync(cancellationToken))
        {
            number++;
            var row = ToImportRow(_reader.Current, number);
            _input.RowEnded();
            if (row is not null)
            {
                yield return row;
            }
        }
    }

    /// <summary>The row's cells by column; null for a blank line.</summary>
    private ImportRow? ToImportRow(SepReader.Row cells, long number)
    {
        if (cells.ColCount == 1 && cells[0].Span.Trim().IsEmpty)
        {
            return null;
        }

        var row = new ImportRow(number);
        if (cells.ColCount != _columns.Length)
        {
            row.Problems.Add("row", Common.ViolationCodes.InvalidFormat, new Dictionary<string, object>
            {
                ["reason"] = $"the row has {cells.ColCount} cells, the header {_columns.Length}",
            });
            return row;
        }

        for (var i = 0; i < _columns.Length; i++)
        {
            var text = ImportCell.Read(cells[i].Span);
            if (text is null)
            {
                continue;
            }

            if (_columns[i] == ImportColumns.Roles)
            {
                row.Roles.AddRange(ImportColumns.SplitRoles(text));
            }
            else
            {
                row.Values[_columns[i]!] = text;
            }
        }

        return row;
    }

    public void Dispose() => _reader.Dispose();
}

/// <summary>How a text cell is read and written, shared by import and export.</summary>
internal static class ImportCell
{
    /// <summary>
    /// Characters that make a spreadsheet read a cell as a formula. The export puts an apostrophe before a
    /// value that starts with one (OWASP's defence against CSV injection: user-chosen names are exported and
    /// opened in spreadsheets), and the import takes it off again, so an export re-imports unchanged.
    /// </summary>
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    /// <summary>The trimmed value of a cell; null when it is empty.</summary>
    public static string? Read(ReadOnlySpan<char> cell)
    {
        var trimmed = cell.Trim();
        if (trimmed.Length >= 2 && trimmed[0] == '\'' && FormulaStarts.Contains(trimmed[1]))
        {
            trimmed = trimmed[1..];
        }

        return trimmed.IsEmpty ? null : trimmed.ToString();
    }

    public static string Write(string? value) =>
        value is { Length: > 0 } && FormulaStarts.Contains(value[0]) ? "'" + value : value ?? "";
}

using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Users.Import;

/// <summary>
/// Reads an NDJSON import: one JSON object per line, with the properties of <see cref="ImportColumns"/>
/// (compared without case). Values are strings; <c>emailVerified</c> may be a boolean and <c>roles</c> an
/// array of names. A line that is not such an object fails alone; a line longer than
/// <see cref="ImportInputStream.MaxBytesPerRow"/> fails alone too and is skipped without being buffered.
/// Properties of the user resource that an import cannot set (<c>id</c>, <c>metadata</c>, …) are ignored,
/// so the items of the user list API can be imported as they are; any other unknown property fails the row.
/// </summary>
internal static class UserImportNdjson
{
    private static readonly HashSet<string> ReadOnlyProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        "id", "applicationId", "tenantId", "identityProviderName", "identityProviderType", "hasPassword", "metadata",
        "publicMetadata", "restrictedMetadata",
    };

    public static async IAsyncEnumerable<ImportRow> ReadAsync(ImportInputStream input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pipe = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        long number = 0;
        var skipping = false; // inside a line that was too long, until its end
        try
        {
            while (true)
            {
                var read = await pipe.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                while (TryTakeLine(ref buffer, out var line))
                {
                    number++;
                    input.RowEnded();
                    if (skipping)
                    {
                        skipping = false;
                        yield return TooLong(number);
                    }
                    else if (Parse(line, number) is { } row)
                    {
                        yield return row;
                    }
                }

                if (read.IsCompleted)
                {
                    if (skipping)
                    {
                        yield return TooLong(++number);
                    }
                    else if (buffer.Length > 0 && Parse(buffer, ++number) is { } last)
                    {
                        yield return last;
                    }

                    break;
                }

                if (skipping || buffer.Length > ImportInputStream.MaxBytesPerRow)
                {
                    // Drop what was read of the line; the rest is discarded as it arrives, up to its newline.
                    skipping = true;
                    input.RowEnded();
                    pipe.AdvanceTo(buffer.End);
                }
                else
                {
                    pipe.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } end)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, end);
        buffer = buffer.Slice(buffer.GetPosition(1, end));
        return true;
    }

    private static ImportRow TooLong(long number)
    {
        var row = new ImportRow(number);
        row.Problems.Add("row", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = ImportInputStream.MaxBytesPerRow });
        return row;
    }

    /// <summary>The row of one line; null for a blank line.</summary>
    private static ImportRow? Parse(ReadOnlySequence<byte> line, long number)
    {
        if (IsBlank(line))
        {
            return null;
        }

        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 4 });
        var row = new ImportRow(number);
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return Malformed(row, "each line must be one JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                ReadProperty(ref reader, row, name);
            }

            if (reader.Read())
            {
                return Malformed(row, "one JSON object per line");
            }
        }
        catch (JsonException)
        {
            return Malformed(row, "not valid JSON");
        }

        return row;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void ReadProperty(ref Utf8JsonReader reader, ImportRow row, string name)
    {
        var column = ImportColumns.Find(name);
        if (column is null)
        {
            if (!ReadOnlyProperties.Contains(name))
            {
                row.Problems.Add(name, ViolationCodes.InvalidValue, new Dictionary<string, object> { ["reason"] = "not an import field" });
            }

            reader.Skip();
            return;
        }

        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return;
            case JsonTokenType.String:
                var text = ImportCell.Read(reader.GetString());
                if (text is null)
                {
                    return;
                }

                if (column == ImportColumns.Roles)
                {
                    row.Roles.AddRange(ImportColumns.SplitRoles(text));
                }
                else
                {
                    row.Values[column] = text;
                }

                return;
            case JsonTokenType.True or JsonTokenType.False when column == ImportColumns.EmailVerified:
                row.Values[column] = reader.GetBoolean() ? "true" : "false";
                return;
            case JsonTokenType.StartArray when column == ImportColumns.Roles:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String || string.IsNullOrWhiteSpace(reader.GetString()))
                    {
                        row.Problems.Add(column, ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["reason"] = "role names are strings" });
                        reader.Skip();
                        continue;
                    }

                    row.Roles.Add(reader.GetString()!.Trim());
                }

                return;
            default:
                row.Problems.Add(column, ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["reason"] = "expected a string" });
                reader.Skip();
                return;
        }
    }

    private static ImportRow Malformed(ImportRow row, string reason)
    {
        row.Values.Clear();
        row.Roles.Clear();
        row.Problems.Add("row", ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["reason"] = reason });
        return row;
    }
}

using System.Buffers;
using System.Text.Json;
using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Users.Import;

/// <summary>
/// The NDJSON answer of an import: one line per row, <c>{"row":1,"status":"created","userId":"…"}</c>, with
/// <c>violations</c> (keyed by column, in the <c>constraint_violations_error</c> shape) for a failed row, and a
/// last line <c>{"summary":{"rows":…,"created":…,"updated":…,"unchanged":…,"failed":…}}</c> that also says
/// <c>"aborted"</c> when the input could not be read to its end. No summary line means the import was cut off.
/// </summary>
internal static class ImportResultJson
{
    private static readonly JsonWriterOptions Options = new() { SkipValidation = true };

    public static void WriteRow(IBufferWriter<byte> output, ImportRowResult result)
    {
        using (var json = new Utf8JsonWriter(output, Options))
        {
            json.WriteStartObject();
            json.WriteNumber("row", result.Row);
            json.WriteString("status", result.Status.ToString().ToLowerInvariant());
            if (result.UserId is not null)
            {
                json.WriteString("userId", result.UserId);
            }

            if (result.Violations is { IsEmpty: false } violations)
            {
                json.WritePropertyName("violations");
                WriteViolations(json, violations);
            }

            json.WriteEndObject();
        }

        NewLine(output);
    }

    public static void WriteSummary(IBufferWriter<byte> output, ImportSummary summary)
    {
        using (var json = new Utf8JsonWriter(output, Options))
        {
            json.WriteStartObject();
            json.WriteStartObject("summary");
            json.WriteNumber("rows", summary.Rows);
            json.WriteNumber("created", summary.Created);
            json.WriteNumber("updated", summary.Updated);
            json.WriteNumber("unchanged", summary.Unchanged);
            json.WriteNumber("failed", summary.Failed);
            if (summary.Aborted is not null)
            {
                json.WriteString("aborted", summary.Aborted);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        NewLine(output);
    }

    private static void WriteViolations(Utf8JsonWriter json, ConstraintViolations violations)
    {
        json.WriteStartObject();
        foreach (var (field, list) in violations.ByField)
        {
            json.WriteStartArray(field);
            foreach (var violation in list)
            {
                json.WriteStartObject();
                json.WriteString("code", violation.Code);
                if (violation.ConstraintAttributes is { Count: > 0 } attributes)
                {
                    json.WritePropertyName("constraintAttributes");
                    JsonSerializer.Serialize(json, attributes);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void NewLine(IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }
}

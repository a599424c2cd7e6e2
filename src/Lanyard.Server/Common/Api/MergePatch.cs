using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lanyard.Server.Common.Api;

/// <summary>Whether a property of a JSON body was left out, sent as <c>null</c>, or sent with a value.</summary>
internal enum PatchState
{
    Absent,
    Null,
    Value,
}

/// <summary>One property of a JSON body as read by <see cref="MergePatch"/>.</summary>
internal readonly record struct Patched<T>(PatchState State, T? Value)
{
    public bool IsAbsent => State == PatchState.Absent;

    public bool IsPresent => State != PatchState.Absent;

    public bool IsNull => State == PatchState.Null;

    public bool HasValue => State == PatchState.Value;
}

/// <summary>
/// A JSON object body of <c>/api/v1</c>, read as a JSON Merge Patch (RFC 7396): a property left out leaves
/// the field as it is, <c>null</c> clears it, a value replaces it. Endpoints ask for each field they accept
/// with its type; a value of the wrong type, a <c>null</c> where the field cannot be empty, a change to a
/// read-only field and any property nobody asked for become violations, so a typo in a field name is an
/// error instead of a silent no-op. Create bodies are read the same way (absent and <c>null</c> both mean
/// "not given").
/// </summary>
internal sealed class MergePatch
{
    /// <summary>Management bodies are small; a larger one is refused before it is parsed.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public const string ReasonUnknownField = "unknown_field";
    public const string ReasonReadOnly = "read_only";

    private static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    private readonly HashSet<string> _asked = new(StringComparer.Ordinal);

    private MergePatch(JsonObject body) => Body = body;

    public JsonObject Body { get; }

    /// <summary>Every broken rule found so far, keyed by field.</summary>
    public ConstraintViolations Violations { get; } = new();

    /// <summary>A patch over an object in memory (tests, and callers that already parsed the body).</summary>
    public static MergePatch Of(JsonObject body) => new(body);

    /// <summary>
    /// Reads the request body as one JSON object. A body that is not JSON, not an object, repeats a property or
    /// is too large is refused with an answer for the caller; nothing about it is logged.
    /// </summary>
    public static async Task<(MergePatch? Patch, IResult? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return (null, ApiErrors.Base(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "The body must be JSON (Content-Type: application/json or application/merge-patch+json)."));
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, TooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        JsonNode? node;
        try
        {
            node = buffer.Length == 0 ? null : JsonNode.Parse(buffer.ToArray(), documentOptions: ParseOptions);
        }
        catch (JsonException)
        {
            return (null, ApiErrors.BadRequest("invalid_request", "The body is not valid JSON, or it names a property twice."));
        }

        return node is JsonObject body
            ? (new MergePatch(body), null)
            : (null, ApiErrors.BadRequest("invalid_request", "The body must be a JSON object."));
    }

    /// <summary>Whether the body names <paramref name="name"/> at all (with a value or <c>null</c>).</summary>
    public bool Has(string name) => Body.ContainsKey(name);

    /// <summary>
    /// Whether the body sets <paramref name="name"/> to something other than its value in <paramref name="current"/>
    /// (the object's JSON as the API shows it). Field-level permissions are asked only for real changes, so a
    /// client may send back an object it read.
    /// </summary>
    public bool Changes(string name, JsonObject current) =>
        Body.TryGetPropertyValue(name, out var value) && !JsonNode.DeepEquals(Normalized(value), Normalized(current[name]));

    public Patched<string> String(string name, bool nullable = true) =>
        Read(name, nullable, "string", node => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? (true, value.GetValue<string>()) : (false, null));

    public Patched<bool> Boolean(string name, bool nullable = false)
    {
        var read = Read<object>(name, nullable, "boolean", node =>
            node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? (true, value.GetValue<bool>()) : (false, null));
        return new Patched<bool>(read.State, read.Value is true);
    }

    public Patched<JsonObject> Object(string name, bool nullable = true) =>
        Read(name, nullable, "object", node => node is JsonObject obj ? (true, obj) : (false, null));

    /// <summary>An array of strings; a <c>null</c> element or another type is a violation.</summary>
    public Patched<List<string>> Strings(string name, bool nullable = true) =>
        Read(name, nullable, "array of strings", node =>
            node is JsonArray array && array.All(e => e is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                ? (true, array.Select(e => e!.GetValue<string>()).ToList())
                : (false, null));

    /// <summary>
    /// A JSON object stored as text (public and restricted metadata): its compact JSON, at most
    /// <paramref name="maxLength"/> characters.
    /// </summary>
    public Patched<string> ObjectText(string name, int maxLength)
    {
        var read = Object(name);
        if (!read.HasValue)
        {
            return new Patched<string>(read.State, null);
        }

        var text = read.Value!.ToJsonString();
        if (text.Length > maxLength)
        {
            Violations.Add(name, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = maxLength });
            return default;
        }

        return new Patched<string>(PatchState.Value, text);
    }

    /// <summary>A field the API shows but nobody writes: accepted only when it repeats the current value.</summary>
    public void ReadOnly(string name, JsonObject current, string reason = ReasonReadOnly)
    {
        _asked.Add(name);
        if (Changes(name, current))
        {
            Violations.Add(name, ViolationCodes.InvalidValue, new Dictionary<string, object> { ["reason"] = reason });
        }
    }

    /// <summary>Marks every property the endpoint did not ask for as a violation. Call after the last read.</summary>
    public void RefuseUnknown()
    {
        foreach (var (name, _) in Body)
        {
            if (!_asked.Contains(name))
            {
                Violations.Add(Cut(name), ViolationCodes.InvalidValue, new Dictionary<string, object> { ["reason"] = ReasonUnknownField });
            }
        }
    }

    private Patched<T> Read<T>(string name, bool nullable, string type, Func<JsonNode, (bool Ok, T? Value)> convert)
    {
        _asked.Add(name);
        if (!Body.TryGetPropertyValue(name, out var node))
        {
            return default;
        }

        if (node is null)
        {
            if (!nullable)
            {
                Violations.Add(name, ViolationCodes.Required);
            }

            return new Patched<T>(PatchState.Null, default);
        }

        var (ok, value) = convert(node);
        if (!ok)
        {
            Violations.Add(name, ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["type"] = type });
            return default;
        }

        return new Patched<T>(PatchState.Value, value);
    }

    // Values built from CLR objects (dates, enums as strings) and values parsed from text compare alike once both are text.
    private static JsonNode? Normalized(JsonNode? node) => node is null ? null : JsonNode.Parse(node.ToJsonString());

    // A caller's property name is echoed as a violation key: keep it short.
    private static string Cut(string name) => name.Length > 40 ? name[..40] : name;

    private static IResult TooLarge() =>
        ApiErrors.Base(StatusCodes.Status413PayloadTooLarge, "request_too_large", $"The body is larger than {MaxBodyBytes} bytes.");

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var type = media.MediaType.Value ?? "";
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/merge-patch+json", StringComparison.OrdinalIgnoreCase);
    }
}

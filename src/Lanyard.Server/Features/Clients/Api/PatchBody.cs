using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lanyard.Server.Features.Clients.Api;

/// <summary>One member of a JSON Merge Patch (RFC 7396) body: absent (leave as is), null (clear), a value, or a value of the wrong JSON type.</summary>
internal readonly record struct PatchField<T>(bool Present, T? Value, bool WrongType)
{
    public bool IsNull => Present && !WrongType && Value is null;
}

/// <summary>
/// Reads the members of a merge-patch body by name. Small on purpose: the management API's shared
/// merge-patch reader (<c>Common/Api/MergePatch.cs</c>) replaces it once both land on one branch.
/// </summary>
internal static class PatchBody
{
    public static PatchField<string> String(JsonObject body, string name)
    {
        if (!body.TryGetPropertyValue(name, out var node))
        {
            return default;
        }

        return node switch
        {
            null => new(true, null, false),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => new(true, value.GetValue<string>(), false),
            _ => new(true, null, true),
        };
    }

    public static PatchField<bool?> Boolean(JsonObject body, string name)
    {
        if (!body.TryGetPropertyValue(name, out var node))
        {
            return default;
        }

        return node switch
        {
            null => new(true, null, false),
            JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => new(true, value.GetValue<bool>(), false),
            _ => new(true, null, true),
        };
    }

    /// <summary>An array of strings; an array holding anything else is the wrong type.</summary>
    public static PatchField<List<string>> Strings(JsonObject body, string name)
    {
        if (!body.TryGetPropertyValue(name, out var node))
        {
            return default;
        }

        if (node is null)
        {
            return new(true, null, false);
        }

        if (node is not JsonArray array || array.Any(item => item is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
        {
            return new(true, null, true);
        }

        return new(true, [.. array.Select(item => item!.GetValue<string>())], false);
    }

    public static PatchField<JsonObject> Object(JsonObject body, string name)
    {
        if (!body.TryGetPropertyValue(name, out var node))
        {
            return default;
        }

        return node switch
        {
            null => new(true, null, false),
            JsonObject value => new(true, value, false),
            _ => new(true, null, true),
        };
    }
}

using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Clients;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// The settings fields of one policy request, read one by one onto the stored (or default) settings. A field
/// absent from the body keeps its value (partial update); a present one is checked and either applied or
/// recorded as a violation under its own name, so one answer lists every broken rule. Values that end up in
/// pages or emails (colours, URLs) are checked against strict formats here, and again where they are used.
/// </summary>
internal sealed partial class PolicyFields(JsonObject body, bool creating)
{
    public const int MaxUrlLength = 2000;

    public ConstraintViolations Violations { get; } = new();

    /// <summary>True when the request creates the row (a new row starts from the defaults).</summary>
    public bool Creating { get; } = creating;

    public bool Has(string name) => body.ContainsKey(name);

    /// <summary>A field that must be present when the row is created.</summary>
    public void RequiredOnCreate(string name)
    {
        if (Creating && !Has(name))
        {
            Violations.Add(name, ViolationCodes.Required);
        }
    }

    public void Bool(string name, Action<bool> set)
    {
        if (!TryGet(name, out var node))
        {
            return;
        }

        if (node is JsonValue value && value.TryGetValue<bool>(out var flag))
        {
            set(flag);
        }
        else
        {
            Violations.Add(name, ViolationCodes.InvalidValue);
        }
    }

    /// <summary>A whole number within bounds; with <paramref name="nullable"/>, null clears it (back to the default).</summary>
    public void Int(string name, int min, int max, Action<int?> set, bool nullable = false)
    {
        if (!TryGet(name, out var node))
        {
            return;
        }

        if (node is null)
        {
            if (nullable)
            {
                set(null);
            }
            else
            {
                Violations.Add(name, ViolationCodes.InvalidValue);
            }

            return;
        }

        if (node is not JsonValue value || !value.TryGetValue<int>(out var number))
        {
            Violations.Add(name, ViolationCodes.InvalidValue);
            return;
        }

        if (number < min || number > max)
        {
            Violations.Add(name, ViolationCodes.InvalidValue, new Dictionary<string, object> { ["min"] = min, ["max"] = max });
            return;
        }

        set(number);
    }

    /// <summary>One of an enum's wire names (SCREAMING_SNAKE_CASE).</summary>
    public void Enum<TEnum>(string name, Action<TEnum> set) where TEnum : struct, Enum
    {
        if (!TryGet(name, out var node))
        {
            return;
        }

        if (node is JsonValue value && value.TryGetValue<string>(out var text) && WireName<TEnum>.TryParse(text, out var parsed))
        {
            set(parsed);
        }
        else
        {
            Violations.Add(name, ViolationCodes.InvalidValue, new Dictionary<string, object> { ["allowedValues"] = WireName<TEnum>.All });
        }
    }

    /// <summary>A colour as <c>#rrggbb</c>; null clears it. Nothing else can reach a stylesheet.</summary>
    public void Color(string name, Action<string?> set)
    {
        if (!TryGet(name, out var node))
        {
            return;
        }

        if (node is null)
        {
            set(null);
            return;
        }

        if (node is JsonValue value && value.TryGetValue<string>(out var text) && IsColor(text))
        {
            set(text.ToLowerInvariant());
        }
        else
        {
            Violations.Add(name, ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["pattern"] = "#rrggbb" });
        }
    }

    /// <summary>An https URL of an image (a logo); null clears it.</summary>
    public void ImageUrl(string name, Action<string?> set) =>
        Url(name, set, text => IsHttpsUrl(text) ? null : ViolationCodes.InvalidFormat);

    /// <summary>
    /// A page the browser is sent to (a custom redirect or action link page): absolute https (http only on
    /// loopback), and the <c>{tenant_name}</c>/<c>{tenant_domain}</c> placeholder only as the host's first label.
    /// </summary>
    public void PageUrl(string name, Action<string?> set) =>
        Url(name, set, text => RedirectUriRules.Problem(text) is null ? null : ViolationCodes.InvalidFormat);

    /// <summary>A list of distinct non-empty strings of at most <paramref name="maxItems"/> items.</summary>
    public void StringList(string name, int maxItems, Action<List<string>> set)
    {
        if (!TryGet(name, out var node))
        {
            return;
        }

        if (node is null)
        {
            set([]);
            return;
        }

        if (node is not JsonArray items)
        {
            Violations.Add(name, ViolationCodes.InvalidValue);
            return;
        }

        if (items.Count > maxItems)
        {
            Violations.Add(name, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxItems"] = maxItems });
            return;
        }

        var list = new List<string>();
        foreach (var item in items)
        {
            if (item is not JsonValue value || !value.TryGetValue<string>(out var text) || string.IsNullOrWhiteSpace(text) || text.Length > 100)
            {
                Violations.Add(name, ViolationCodes.InvalidValue);
                return;
            }

            if (list.Contains(text, StringComparer.Ordinal))
            {
                Violations.Add(name, ViolationCodes.NotUnique);
                return;
            }

            list.Add(text);
        }

        set(list);
    }

    public static bool IsColor(string? text) => text is not null && ColorPattern().IsMatch(text);

    /// <summary>An absolute https URL without spaces, control characters, quotes or angle brackets, of at most 2,000 characters.</summary>
    public static bool IsHttpsUrl(string? text) =>
        text is { Length: > 0 and <= MaxUrlLength }
        && !text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\'' or '<' or '>' or '\\' or '`')
        && Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttps && string.IsNullOrEmpty(uri.UserInfo) && uri.Host.Length > 0;

    private void Url(string name, Action<string?> set, Func<string, string?> problem)
    {
        if (!TryGet(name, out var node))
        {
            return;
        }

        if (node is null)
        {
            set(null);
            return;
        }

        if (node is not JsonValue value || !value.TryGetValue<string>(out var text))
        {
            Violations.Add(name, ViolationCodes.InvalidValue);
            return;
        }

        if (text.Length > MaxUrlLength)
        {
            Violations.Add(name, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = MaxUrlLength });
            return;
        }

        if (problem(text) is { } code)
        {
            Violations.Add(name, code);
            return;
        }

        set(text);
    }

    /// <summary>The raw value of a field the request names, for rules the typed readers do not cover.</summary>
    public bool TryGet(string name, out JsonNode? node) => body.TryGetPropertyValue(name, out node);

    // \z, not $: "$" also matches before a final newline, which would let "#000000\n…" through.
    [GeneratedRegex(@"^#[0-9a-fA-F]{6}\z", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex ColorPattern();
}

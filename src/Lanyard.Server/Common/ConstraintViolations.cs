namespace Lanyard.Server.Common;

/// <summary>One broken rule on one field, in Wristband's <c>constraint_violations_error</c> shape.</summary>
internal sealed record ConstraintViolation(string Code, IReadOnlyDictionary<string, object>? ConstraintAttributes = null);

/// <summary>
/// The violations of one request, keyed by field name. Validation collects every violation instead of
/// stopping at the first, so a client can fix a form in one round trip.
/// </summary>
internal sealed class ConstraintViolations
{
    private readonly Dictionary<string, List<ConstraintViolation>> _byField = new(StringComparer.Ordinal);

    public bool IsEmpty => _byField.Count == 0;

    public IReadOnlyDictionary<string, List<ConstraintViolation>> ByField => _byField;

    public ConstraintViolations Add(string field, string code, IReadOnlyDictionary<string, object>? attributes = null)
    {
        if (!_byField.TryGetValue(field, out var list))
        {
            list = [];
            _byField[field] = list;
        }

        list.Add(new ConstraintViolation(code, attributes));
        return this;
    }

    public bool Has(string field, string code) =>
        _byField.TryGetValue(field, out var list) && list.Exists(v => v.Code == code);

    public override string ToString() =>
        string.Join("; ", _byField.Select(p => $"{p.Key}: {string.Join(", ", p.Value.Select(v => v.Code))}"));

    public static ConstraintViolations Single(string field, string code, IReadOnlyDictionary<string, object>? attributes = null) =>
        new ConstraintViolations().Add(field, code, attributes);
}

/// <summary>Stable violation codes; the same strings Wristband's API returns.</summary>
internal static class ViolationCodes
{
    public const string Required = "required";
    public const string NotUnique = "not_unique";
    public const string TooShort = "too_short";
    public const string TooLong = "too_long";
    public const string InvalidFormat = "invalid_format";
    public const string InvalidValue = "invalid_value";
    public const string NotFound = "not_found";
}

using System.Collections.Frozen;
using System.Text.Json;

namespace Lanyard.Server.Common;

/// <summary>
/// Wristband's enum values are SCREAMING_SNAKE_CASE on the wire (PENDING_SIGNUP_ACTIVATION).
/// The same spelling is stored in the database so that rows read the same as API payloads.
/// </summary>
internal static class WireName<TEnum> where TEnum : struct, Enum
{
    private static readonly FrozenDictionary<TEnum, string> ToWire =
        Enum.GetValues<TEnum>().ToFrozenDictionary(v => v, v => JsonNamingPolicy.SnakeCaseUpper.ConvertName(v.ToString()));

    private static readonly FrozenDictionary<string, TEnum> FromWire =
        ToWire.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    public static string Of(TEnum value) => ToWire[value];

    public static TEnum Parse(string value) =>
        FromWire.TryGetValue(value, out var parsed)
            ? parsed
            : throw new FormatException($"'{value}' is not a {typeof(TEnum).Name}.");

    public static bool TryParse(string? value, out TEnum parsed)
    {
        parsed = default;
        return value is not null && FromWire.TryGetValue(value, out parsed);
    }

    public static IReadOnlyCollection<string> All => FromWire.Keys;
}

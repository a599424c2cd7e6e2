using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Lanyard.Server.Common.Api;

/// <summary>An offset page: <see cref="StartIndex"/> is 1-based; a <see cref="Count"/> of 0 asks only for the total.</summary>
internal sealed record PageRequest(int StartIndex, int Count);

/// <summary>The list envelope of every <c>/api/v1</c> query API.</summary>
internal sealed record PageEnvelope<TItem>(long TotalResults, int StartIndex, int ItemsPerPage, IReadOnlyList<TItem> Items);

/// <summary>
/// <c>start_index</c> (also <c>startIndex</c>, as Wristband's own demo code sends it; at least 1, default 1)
/// and <c>count</c> (0–<see cref="MaxCount"/>, default <see cref="DefaultCount"/>).
/// </summary>
internal static class Paging
{
    public const int DefaultCount = 50;
    public const int MaxCount = 1000;

    public static Parsed<PageRequest> Parse(IQueryCollection query)
    {
        var startName = query.ContainsKey("start_index") ? "start_index" : "startIndex";
        var start = ReadInt(query, startName, 1, int.MaxValue, 1);
        if (!start.IsValid)
        {
            return Parsed<PageRequest>.Fail(start.Error);
        }

        var count = ReadInt(query, "count", 0, MaxCount, DefaultCount);
        return count.IsValid
            ? Parsed<PageRequest>.Ok(new PageRequest(start.Value, count.Value))
            : Parsed<PageRequest>.Fail(count.Error);
    }

    private static Parsed<int> ReadInt(IQueryCollection query, string name, int min, int max, int fallback)
    {
        if (!query.TryGetValue(name, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return Parsed<int>.Ok(fallback);
        }

        if (values.Count > 1)
        {
            return Parsed<int>.Fail($"{name} is given more than once.");
        }

        return int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? Parsed<int>.Ok(value)
            : Parsed<int>.Fail(max == int.MaxValue
                ? $"{name} must be a whole number of at least {min}."
                : $"{name} must be a whole number from {min} to {max}.");
    }
}

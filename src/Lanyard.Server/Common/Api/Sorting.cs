namespace Lanyard.Server.Common.Api;

/// <summary>One key of <c>sort_by</c>.</summary>
internal sealed record SortKey<T>(ApiAttribute<T> Attribute, bool Descending);

/// <summary>
/// <c>sort_by=attr[:asc|desc],…</c>: earlier keys take priority, ascending by default, names from the
/// resource's allow-list (case-insensitive). Every order ends with the id, so equal keys still page stably.
/// </summary>
internal static class Sorting
{
    public const int MaxKeys = 10;

    public static Parsed<IReadOnlyList<SortKey<T>>> Parse<T>(string? text, ApiAttributes<T> attributes)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Parsed<IReadOnlyList<SortKey<T>>>.Ok([]);
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > MaxKeys)
        {
            return Parsed<IReadOnlyList<SortKey<T>>>.Fail($"sort_by names too many attributes: at most {MaxKeys}.");
        }

        var keys = new List<SortKey<T>>(parts.Length);
        foreach (var part in parts)
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var name = (colon < 0 ? part : part[..colon]).Trim();
            var direction = colon < 0 ? "asc" : part[(colon + 1)..].Trim();
            var attribute = attributes.Find(name);
            if (attribute is null || !attribute.Sortable)
            {
                return Parsed<IReadOnlyList<SortKey<T>>>.Fail(
                    $"sort_by names an unknown attribute '{QueryFilter.Clip(name)}'; sortable attributes: {attributes.SortableNames}.");
            }

            bool descending;
            if (string.Equals(direction, "asc", StringComparison.OrdinalIgnoreCase))
            {
                descending = false;
            }
            else if (string.Equals(direction, "desc", StringComparison.OrdinalIgnoreCase))
            {
                descending = true;
            }
            else
            {
                return Parsed<IReadOnlyList<SortKey<T>>>.Fail($"sort_by direction of '{attribute.Name}' must be asc or desc.");
            }

            if (keys.All(k => k.Attribute != attribute))
            {
                keys.Add(new SortKey<T>(attribute, descending));
            }
        }

        return Parsed<IReadOnlyList<SortKey<T>>>.Ok(keys);
    }

    public static IOrderedQueryable<T> Apply<T>(IQueryable<T> source, IReadOnlyList<SortKey<T>> keys, ApiAttributes<T> attributes)
    {
        IOrderedQueryable<T>? ordered = null;
        foreach (var key in keys)
        {
            ordered = ordered is null ? key.Attribute.OrderBy(source, key.Descending) : key.Attribute.ThenBy(ordered, key.Descending);
        }

        return ordered is null ? source.OrderBy(attributes.Id) : ordered.ThenBy(attributes.Id);
    }
}

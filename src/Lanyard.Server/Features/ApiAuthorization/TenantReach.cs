namespace Lanyard.Server.Features.ApiAuthorization;

/// <summary>
/// The tenants (and, for a SELF boundary, the one user) that a caller's grants of one permission reach:
/// the union of what each role or permission group holding it allows. Empty when the caller lacks it.
/// </summary>
internal sealed class TenantReach
{
    private readonly HashSet<string> _included = new(StringComparer.Ordinal);
    private HashSet<string>? _excluded;

    /// <summary>Every tenant of the application except <see cref="Excluded"/>.</summary>
    public bool Everywhere => _excluded is not null;

    /// <summary>Tenants left out of <see cref="Everywhere"/>; empty when it is false or nothing is left out.</summary>
    public IReadOnlySet<string> Excluded => (IReadOnlySet<string>?)_excluded ?? EmptySet;

    /// <summary>Tenants reached one by one (in addition to <see cref="Everywhere"/>).</summary>
    public IReadOnlySet<string> Included => _included;

    /// <summary>A SELF grant: the caller's own user object, in its own tenant.</summary>
    public (string TenantId, string UserId)? Self { get; private set; }

    public bool IsEmpty => !Everywhere && _included.Count == 0 && Self is null;

    /// <summary>Reaches every object of every tenant, with no exception: no tenant filter is needed on a list.</summary>
    public bool IsUnbounded => _excluded is { Count: 0 };

    private static readonly HashSet<string> EmptySet = [];

    /// <summary>Whether an object of <paramref name="tenantId"/> (the user <paramref name="userId"/>, when it is one) is reached.</summary>
    public bool Covers(string tenantId, string? userId = null) =>
        (_excluded is not null && !_excluded.Contains(tenantId))
        || _included.Contains(tenantId)
        || (userId is not null && Self is { } self && self.TenantId == tenantId && self.UserId == userId);

    /// <summary>Whether the whole tenant (not only the caller's own user) is reached: needed to list or create in it.</summary>
    public bool CoversTenant(string tenantId) =>
        (_excluded is not null && !_excluded.Contains(tenantId)) || _included.Contains(tenantId);

    internal void AddEverywhereExcept(IEnumerable<string> excluded)
    {
        if (_excluded is null)
        {
            _excluded = new HashSet<string>(excluded, StringComparer.Ordinal);
        }
        else
        {
            // (all but A) ∪ (all but B) = all but (A ∩ B)
            _excluded.IntersectWith(excluded);
        }
    }

    internal void AddTenants(IEnumerable<string> tenantIds) => _included.UnionWith(tenantIds);

    internal void AddSelf(string tenantId, string userId) => Self = (tenantId, userId);
}

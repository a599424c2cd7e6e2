using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.Tenants;

namespace Lanyard.Server.Tests.Common.Api;

/// <summary>Tenants in memory and an allow-list over them, for the tests that need no database.</summary>
internal static class ApiListFixtures
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static ApiAttributes<Tenant> Attributes { get; } = new ApiAttributes<Tenant>(t => t.Id)
        .String("id", t => t.Id)
        .String("name", t => t.NormalizedName, sort: true, normalize: v => v.ToLowerInvariant())
        .String("displayName", t => t.DisplayName, sort: true)
        .Enum("status", t => t.Status)
        .Boolean("signupEnabled", t => t.SignupEnabled)
        .Time("creationTime", t => t.CreatedAt, sort: true)
        .Long("version", t => t.Version, sort: true);

    public static List<Tenant> Tenants() =>
    [
        Make("t01", "Alpha", "Alpha Corp", TenantStatus.Active, true, 0, 1),
        Make("t02", "beta", "Beta Inc", TenantStatus.Inactive, false, 1, 2),
        Make("t03", "Gamma", "gamma", TenantStatus.Active, false, 2, 3),
        Make("t04", "delta", "Delta", TenantStatus.DeleteInProgress, true, 3, 4),
        Make("t05", "alpine", "Alpine", TenantStatus.Active, true, 4, 5),
        Make("t06", "x-inject", "x' OR 1=1 --", TenantStatus.Active, false, 5, 1),
    ];

    public static Tenant Make(string id, string name, string displayName, TenantStatus status, bool signup, int minutes, long version) => new()
    {
        Id = id,
        ApplicationId = "app",
        Name = name,
        NormalizedName = name.ToLowerInvariant(),
        DisplayName = displayName,
        Status = status,
        SignupEnabled = signup,
        CreatedAt = T0.AddMinutes(minutes),
        UpdatedAt = T0.AddMinutes(minutes),
        Version = version,
    };

    /// <summary>The ids of the tenants the query keeps, in id order; fails the test when the query is refused.</summary>
    public static string[] Matching(string query)
    {
        var filter = QueryTranslator.Parse(query, Attributes);
        Assert.True(filter.IsValid, filter.Error);
        var predicate = filter.Value?.Compile() ?? (_ => true);
        return [.. Tenants().Where(predicate).Select(t => t.Id).Order(StringComparer.Ordinal)];
    }

    public static string Refusal(string query)
    {
        var filter = QueryTranslator.Parse(query, Attributes);
        Assert.False(filter.IsValid, $"'{query}' was accepted");
        return filter.Error;
    }
}

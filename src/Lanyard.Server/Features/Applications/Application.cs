using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Applications;

/// <summary>
/// The top of the hierarchy: one product (or environment) whose tenants log in through Lanyard.
/// Reached on its vanity domain; tenants on <c>{tenant}-{domain}</c> or <c>{tenant}.{domain}</c>.
/// </summary>
internal sealed class Application : IVersioned
{
    public required string Id { get; set; }

    /// <summary>3–20 characters, lowercase; immutable identifier used in role name prefixes.</summary>
    public required string Name { get; set; }

    public required string DisplayName { get; set; }

    /// <summary>Host name with an optional port, as configured (e.g. <c>auth.localhost:5443</c>).</summary>
    public required string VanityDomain { get; set; }

    /// <summary>The host name part of <see cref="VanityDomain"/>, normalized; unique, used to resolve requests.</summary>
    public required string VanityHost { get; set; }

    public TenantHostStyle TenantHostStyle { get; set; } = TenantHostStyle.Dash;

    public bool IsMultiTenant { get; set; } = true;

    public bool SignupEnabled { get; set; }

    public EnvironmentType EnvironmentType { get; set; } = EnvironmentType.Development;

    /// <summary>Where users land when no client login URL applies; may contain <c>{tenant_domain}</c>.</summary>
    public string? LoginUrl { get; set; }

    public List<string> LogoutUrls { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }

    /// <summary>A copy for one request, so nothing a request does can change the cached row (<see cref="Tenancy.ApplicationDirectory"/>).</summary>
    public Application Copy()
    {
        var copy = (Application)MemberwiseClone();
        copy.LogoutUrls = [.. LogoutUrls];
        return copy;
    }
}

/// <summary>How tenant hosts are formed from the application's vanity domain.</summary>
internal enum TenantHostStyle
{
    /// <summary><c>{tenant}-{domain}</c>: Wristband's vanity-domain style.</summary>
    Dash,

    /// <summary><c>{tenant}.{domain}</c>: the style of an application custom domain.</summary>
    Dot,
}

internal enum EnvironmentType
{
    Development,
    Production,
}

internal static class TenantHostStyles
{
    public static string Separator(this TenantHostStyle style) => style == TenantHostStyle.Dot ? "." : "-";

    public static bool TryParse(string? value, out TenantHostStyle style)
    {
        style = value switch
        {
            "-" => TenantHostStyle.Dash,
            "." => TenantHostStyle.Dot,
            _ => (TenantHostStyle)(-1),
        };
        return Enum.IsDefined(style);
    }
}

internal static class ApplicationHosts
{
    /// <summary>The host a tenant is reached on: its verified custom domain, else <c>{tenant}-{domain}</c> or <c>{tenant}.{domain}</c>.</summary>
    public static string TenantHost(this Application application, Features.Tenants.Tenant tenant) =>
        tenant.CustomDomainVerified && tenant.CustomDomain is not null
            ? tenant.CustomDomain
            : $"{tenant.NormalizedName}{application.TenantHostStyle.Separator()}{application.VanityDomain}";
}

namespace Lanyard.Server.Tenancy;

/// <summary>
/// The (application, tenant?) a unit of work acts for. Resolved once per request from the Host header;
/// background work and bootstrap enter a scope explicitly. The data layer reads it for every query
/// and every insert, so code that forgets to check tenancy still cannot cross tenants.
/// </summary>
internal interface ITenantContext
{
    string? ApplicationId { get; }

    string? TenantId { get; }
}

/// <summary>The scoped, settable implementation. A scope is entered once and cannot be switched.</summary>
internal sealed class TenantContext : ITenantContext
{
    public string? ApplicationId { get; private set; }

    public string? TenantId { get; private set; }

    public bool IsEntered => ApplicationId is not null;

    /// <summary>Enters the application scope, or narrows an entered application scope to one of its tenants.</summary>
    public void Enter(string applicationId, string? tenantId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(applicationId);
        if (ApplicationId is not null && !string.Equals(ApplicationId, applicationId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("This scope already acts for another application.");
        }

        if (TenantId is not null && !string.Equals(TenantId, tenantId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("This scope already acts for another tenant; create a new scope instead.");
        }

        ApplicationId = applicationId;
        TenantId = tenantId;
    }
}

namespace Lanyard.Server.Features.Bootstrap;

/// <summary>
/// The predefined permissions of the management and workflow APIs (<c>resource:action</c>), all held by
/// the Application Admin Client. The API authorization that checks them arrives with the management API.
/// </summary>
internal static class ManagementPermissions
{
    private static readonly string[] Resources =
    [
        "application", "tenant", "user", "client", "role", "permission", "permission-group", "permission-boundary",
        "identity-provider", "password-policy", "mfa-policy", "auth-session-policy", "email-policy", "page-branding",
        "email-branding", "role-assignment-policy", "user-schema", "signup-workflow-policy",
        "password-reset-workflow-policy", "new-user-invitation-workflow-policy", "existing-user-invitation-workflow-policy",
        "login-workflow-policy",
    ];

    private static readonly string[] Workflows =
    [
        "signup", "user-activation", "email-verification", "password-reset", "change-password",
        "new-user-invitation", "existing-user-invitation", "tenant-discovery", "mfa",
    ];

    public static IReadOnlyList<string> All { get; } =
    [
        .. Resources.SelectMany(r => new[] { $"{r}:read", $"{r}:write", $"{r}:create", $"{r}:delete" }),
        "tenant:manage-status", "tenant:manage-signup-enablement", "tenant:manage-restricted-metadata",
        "user:manage-email", "user:manage-external-id", "user:manage-restricted-metadata", "user:manage-status",
        "user:import", "user:export", "user:revoke-sessions",
        "new-user-invitation-request:read", "existing-user-invitation-request:read",
        "auth-session:delete",
        .. Workflows.Select(w => $"{w}-workflow:execute"),
    ];
}

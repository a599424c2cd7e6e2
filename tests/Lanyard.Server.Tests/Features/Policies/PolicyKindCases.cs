using Lanyard.Server.Features.Policies;
using Lanyard.Server.Tests.Features.Signup;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Policies;

/// <summary>One settings body that must be refused, the field it is refused on and the violation code.</summary>
internal sealed record InvalidCase(object Settings, string Field, string Code);

/// <summary>
/// What the generic policy API tests need to know of one kind: its paths, a valid body to create it, one
/// field whose value the tests change (<see cref="First"/> for the application, <see cref="Second"/> for a
/// tenant's copy), and bodies that must be refused.
/// </summary>
internal sealed record PolicyKindCase(
    string Collection,
    string Resource,
    PolicyKind Kind,
    Dictionary<string, object?> Create,
    string Field,
    object First,
    object Second,
    IReadOnlyList<InvalidCase> Invalid,
    string? EmailType = null,
    string? RequiredOnCreate = null)
{
    /// <summary>A body for <paramref name="ownerType"/>/<paramref name="ownerId"/> with <paramref name="settings"/> (and the email type).</summary>
    public Dictionary<string, object?> Body(string ownerType, string ownerId, object? settings = null)
    {
        var body = PolicyApiKit.Body(ownerType, ownerId, settings);
        if (EmailType is not null)
        {
            body.TryAdd("emailType", EmailType);
        }

        return body;
    }
}

internal static class PolicyKindCases
{
    public static readonly string[] Names =
    [
        "mfa-policies", "password-policies", "auth-session-policies", "email-policies", "page-brandings", "email-brandings",
        "role-assignment-policies", "user-schemas", "signup-workflow-policies", "password-reset-workflow-policies",
        "new-user-invitation-workflow-policies", "existing-user-invitation-workflow-policies", "login-workflow-policies",
    ];

    public static TheoryData<string> All() => new(Names);

    public static async Task<PolicyKindCase> GetAsync(string name, LanyardFactory factory) => name switch
    {
        "mfa-policies" => new("mfa-policies", "mfa-policy", PolicyKind.Mfa,
            new() { ["enrollmentStrategy"] = "OPTIONAL", ["allowedAuthFactors"] = new[] { "TOTP", "RECOVERY_CODE" } },
            "enrollmentStrategy", "OPTIONAL", "REQUIRED",
            [
                new(new { enrollmentStrategy = "ALWAYS" }, "enrollmentStrategy", "invalid_value"),
                new(new { selfHostedPageUrl = "http://insecure.example/mfa" }, "selfHostedPageUrl", "invalid_format"),
            ]),

        "password-policies" => new("password-policies", "password-policy", PolicyKind.Password,
            new() { ["minimumLength"] = 10, ["digitRequired"] = true, ["breachedPwdDetectionEnabled"] = true, ["breachedPwdLoginRemediationStrategy"] = "REQUIRE_PASSWORD_RESET" },
            "minimumLength", 9, 12,
            [
                new(new { minimumLength = 7 }, "minimumLength", "invalid_value"),
                new(new { minimumLength = 65 }, "minimumLength", "invalid_value"),
                new(new { minimumLength = "ten" }, "minimumLength", "invalid_value"),
                new(new { minimumLength = (int?)null }, "minimumLength", "invalid_value"),
                new(new { digitRequired = "yes" }, "digitRequired", "invalid_value"),
                new(new { breachedPwdDetectionEnabled = 1 }, "breachedPwdDetectionEnabled", "invalid_value"),
                new(new { breachedPwdLoginRemediationStrategy = "LOCK_ACCOUNT" }, "breachedPwdLoginRemediationStrategy", "invalid_value"),
            ],
            RequiredOnCreate: "minimumLength"),

        "auth-session-policies" => new("auth-session-policies", "auth-session-policy", PolicyKind.AuthSession,
            new() { ["idleExpirationMinutes"] = 60, ["absoluteExpirationMinutes"] = 480 },
            "absoluteExpirationMinutes", 600, 90,
            [
                new(new { idleExpirationMinutes = 4 }, "idleExpirationMinutes", "invalid_value"),
                new(new { idleExpirationMinutes = 90 * 24 * 60 + 1 }, "idleExpirationMinutes", "invalid_value"),
                new(new { absoluteExpirationMinutes = 365 * 24 * 60 + 1 }, "absoluteExpirationMinutes", "invalid_value"),
                new(new { absoluteExpirationMinutes = "forever" }, "absoluteExpirationMinutes", "invalid_value"),
                new(new { idleExpirationMinutes = 120, absoluteExpirationMinutes = 60 }, "idleExpirationMinutes", "invalid_value"),
            ]),

        "email-policies" => new("email-policies", "email-policy", PolicyKind.Email,
            new() { ["actionLinkUrl"] = "https://{tenant_name}.app.example.com/reset", ["actionLinkLifetime"] = 45, ["actionLinkLifetimeUnit"] = "MINUTES" },
            "actionLinkLifetime", 30, 5,
            [
                new(new { actionLinkLifetime = 0 }, "actionLinkLifetime", "invalid_value"),
                new(new { actionLinkLifetime = 10081 }, "actionLinkLifetime", "invalid_value"),
                new(new { actionLinkLifetime = 8, actionLinkLifetimeUnit = "DAYS" }, "actionLinkLifetime", "invalid_value"),
                new(new { actionLinkLifetimeUnit = "WEEKS" }, "actionLinkLifetimeUnit", "invalid_value"),
                new(new { actionLinkUrl = "http://app.example.com/reset" }, "actionLinkUrl", "invalid_format"),
                new(new { actionLinkUrl = "javascript:alert(1)" }, "actionLinkUrl", "invalid_format"),
                new(new { actionLinkUrl = "https://{user}.app.example.com/reset" }, "actionLinkUrl", "invalid_format"),
                new(new { actionLinkUrl = "https://app.example.com/" + new string('a', 2000) }, "actionLinkUrl", "too_long"),
                new(new { emailType = "MAGIC_LINK_LOGIN" }, "emailType", "invalid_value"),
            ],
            EmailType: "PASSWORD_RESET"),

        "page-brandings" => new("page-brandings", "page-branding", PolicyKind.PageBranding,
            new() { ["pageBackgroundColor"] = "#EDEDED", ["logoUrl"] = "https://cdn.example.com/logo.png", ["logoHeightPixels"] = 56 },
            "primaryButtonBackgroundColor", "#112233", "#445566",
            [
                new(new { primaryButtonBackgroundColor = "red" }, "primaryButtonBackgroundColor", "invalid_format"),
                new(new { primaryButtonBackgroundColor = "#12345" }, "primaryButtonBackgroundColor", "invalid_format"),
                new(new { primaryButtonBackgroundColor = "#123456;}body{display:none" }, "primaryButtonBackgroundColor", "invalid_format"),
                new(new { panelTextColor = "#123456\n" }, "panelTextColor", "invalid_format"),
                new(new { logoUrl = "http://cdn.example.com/logo.png" }, "logoUrl", "invalid_format"),
                new(new { logoUrl = "javascript:alert(1)" }, "logoUrl", "invalid_format"),
                new(new { logoUrl = "https://cdn.example.com/a\"onerror=\"alert(1)" }, "logoUrl", "invalid_format"),
                new(new { logoUrl = "https://cdn.example.com/" + new string('a', 2000) }, "logoUrl", "too_long"),
                new(new { logoHeightPixels = 500 }, "logoHeightPixels", "invalid_value"),
                new(new { panelBorderRadiusPixels = -1 }, "panelBorderRadiusPixels", "invalid_value"),
            ]),

        "email-brandings" => new("email-brandings", "email-branding", PolicyKind.EmailBranding,
            new() { ["primaryButtonTextColor"] = "#ffffff", ["logoWidthPixels"] = 297 },
            "primaryButtonBackgroundColor", "#0a0b0c", "#d0e0f0",
            [
                new(new { primaryButtonBackgroundColor = "blue" }, "primaryButtonBackgroundColor", "invalid_format"),
                new(new { logoUrl = "ftp://cdn.example.com/logo.png" }, "logoUrl", "invalid_format"),
                new(new { logoWidthPixels = 1000 }, "logoWidthPixels", "invalid_value"),
                new(new { primaryButtonBorderRadiusPixels = 41 }, "primaryButtonBorderRadiusPixels", "invalid_value"),
            ]),

        "role-assignment-policies" => await RoleAssignmentAsync(factory),

        "user-schemas" => new("user-schemas", "user-schema", PolicyKind.UserSchema,
            new() { ["familyNameRequired"] = true },
            "givenNameRequired", false, true,
            [new(new { givenNameRequired = "yes" }, "givenNameRequired", "invalid_value"), new(new { passwordRequired = (bool?)null }, "passwordRequired", "invalid_value")]),

        "signup-workflow-policies" => new("signup-workflow-policies", "signup-workflow-policy", PolicyKind.SignupWorkflow,
            new() { ["customRedirectUrl"] = "https://{tenant_name}.app.example.com/welcome" },
            "verification", "USER_ACTIVATION", "EMAIL_VERIFICATION",
            [
                new(new { verification = "SMS" }, "verification", "invalid_value"),
                new(new { customRedirectUrl = "ftp://app.example.com/" }, "customRedirectUrl", "invalid_format"),
                new(new { customRedirectUrl = "https://app.example.com/#fragment" }, "customRedirectUrl", "invalid_format"),
            ]),

        "password-reset-workflow-policies" => new("password-reset-workflow-policies", "password-reset-workflow-policy", PolicyKind.PasswordResetWorkflow,
            new() { ["customRedirectUrl"] = "https://app.example.com/after-reset" },
            "immediateLogin", true, false,
            [
                new(new { immediateLogin = "no" }, "immediateLogin", "invalid_value"),
                new(new { customRedirectUrl = "https://user@evil.example.com/" }, "customRedirectUrl", "invalid_format"),
            ]),

        "new-user-invitation-workflow-policies" => new("new-user-invitation-workflow-policies", "new-user-invitation-workflow-policy", PolicyKind.NewUserInvitationWorkflow,
            [],
            "customRedirectUrl", "https://app.example.com/welcome", "https://{tenant_name}.app.example.com/welcome",
            [new(new { customRedirectUrl = "not a url" }, "customRedirectUrl", "invalid_format"), new(new { customRedirectUrl = 42 }, "customRedirectUrl", "invalid_value")]),

        "existing-user-invitation-workflow-policies" => new("existing-user-invitation-workflow-policies", "existing-user-invitation-workflow-policy", PolicyKind.ExistingUserInvitationWorkflow,
            [],
            "customRedirectUrl", "https://app.example.com/joined", "https://{tenant_domain}.app.example.com/joined",
            [new(new { customRedirectUrl = "//app.example.com/joined" }, "customRedirectUrl", "invalid_format")]),

        "login-workflow-policies" => new("login-workflow-policies", "login-workflow-policy", PolicyKind.LoginWorkflow,
            [],
            "missingPasswordRemediation", true, false,
            [new(new { missingPasswordRemediation = 1 }, "missingPasswordRemediation", "invalid_value")]),

        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such policy kind case."),
    };

    private static async Task<PolicyKindCase> RoleAssignmentAsync(LanyardFactory factory)
    {
        var first = await factory.CreateApplicationRoleAsync($"first{Guid.NewGuid():N}"[..20]);
        var second = await factory.CreateApplicationRoleAsync($"second{Guid.NewGuid():N}"[..20]);
        return new("role-assignment-policies", "role-assignment-policy", PolicyKind.RoleAssignment,
            new() { ["defaultIdpUserSyncRoles"] = new[] { second.Id } },
            "defaultSignupRoles", new[] { first.Id }, new[] { second.Id },
            [
                new(new { defaultSignupRoles = new[] { "aaaaaaaaaaaaaaaaaaaaaaaaaa" } }, "defaultSignupRoles", "invalid_value"),
                new(new { defaultSignupRoles = first.Id }, "defaultSignupRoles", "invalid_value"),
                new(new { defaultSignupRoles = new[] { first.Id, first.Id } }, "defaultSignupRoles", "not_unique"),
                new(new { defaultIdpUserSyncRoles = new[] { "" } }, "defaultIdpUserSyncRoles", "invalid_value"),
            ]);
    }
}

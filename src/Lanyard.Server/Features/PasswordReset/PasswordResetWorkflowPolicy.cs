namespace Lanyard.Server.Features.PasswordReset;

/// <summary>How a password reset ends (policy kind <c>PasswordResetWorkflow</c>).</summary>
internal sealed class PasswordResetWorkflowPolicy
{
    /// <summary>On (the default): the user is logged in as soon as the new password is set; off: the user signs in again with it.</summary>
    public bool ImmediateLogin { get; set; } = true;

    /// <summary>Where the browser lands after an immediate login instead of the login URL; may hold <c>{tenant_name}</c>.</summary>
    public string? CustomRedirectUrl { get; set; }
}

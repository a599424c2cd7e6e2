namespace Lanyard.Server.Features.Signup;

/// <summary>The permissions of this feature's workflow APIs, with Wristband's names (seeded by <c>ManagementPermissions</c>).</summary>
internal static class SignupPermissions
{
    public const string Signup = "signup-workflow:execute";
    public const string UserActivation = "user-activation-workflow:execute";
    public const string EmailVerification = "email-verification-workflow:execute";
}

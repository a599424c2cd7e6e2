namespace Lanyard.Server.Features.Policies;

/// <summary>Every policy kind with a management API; each is mapped by <see cref="PolicyEndpoints"/>.</summary>
internal static class PolicyKinds
{
    public static readonly MfaPolicyApi Mfa = new();
    public static readonly PasswordPolicyApi Password = new();
    public static readonly AuthSessionPolicyApi AuthSession = new();
    public static readonly EmailPolicyApi Email = new();
    public static readonly PageBrandingApi PageBranding = new();
    public static readonly EmailBrandingApi EmailBranding = new();
    public static readonly RoleAssignmentPolicyApi RoleAssignment = new();
    public static readonly UserSchemaApi UserSchema = new();
    public static readonly SignupWorkflowPolicyApi SignupWorkflow = new();
    public static readonly PasswordResetWorkflowPolicyApi PasswordResetWorkflow = new();

    public static readonly InvitationWorkflowPolicyApi NewUserInvitationWorkflow =
        new(PolicyKind.NewUserInvitationWorkflow, "new-user-invitation-workflow-policy", "new user invitation workflow policy");

    public static readonly InvitationWorkflowPolicyApi ExistingUserInvitationWorkflow =
        new(PolicyKind.ExistingUserInvitationWorkflow, "existing-user-invitation-workflow-policy", "existing user invitation workflow policy");

    public static readonly LoginWorkflowPolicyApi LoginWorkflow = new();

    public static void MapAll(IEndpointRouteBuilder routes)
    {
        PolicyEndpoints.Map(routes, Mfa);
        PolicyEndpoints.Map(routes, Password);
        PolicyEndpoints.Map(routes, AuthSession);
        PolicyEndpoints.Map(routes, Email);
        PolicyEndpoints.Map(routes, PageBranding);
        PolicyEndpoints.Map(routes, EmailBranding);
        PolicyEndpoints.Map(routes, RoleAssignment);
        PolicyEndpoints.Map(routes, UserSchema);
        PolicyEndpoints.Map(routes, SignupWorkflow);
        PolicyEndpoints.Map(routes, PasswordResetWorkflow);
        PolicyEndpoints.Map(routes, NewUserInvitationWorkflow);
        PolicyEndpoints.Map(routes, ExistingUserInvitationWorkflow);
        PolicyEndpoints.Map(routes, LoginWorkflow);
    }
}

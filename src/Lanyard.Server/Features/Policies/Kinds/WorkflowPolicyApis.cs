using Lanyard.Server.Features.PasswordReset;
using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.Policies;

/// <summary>Which profile fields signup and invitation forms require (<c>/user-schemas</c>).</summary>
internal sealed class UserSchemaApi : PolicyKindApi<UserSchemaPolicy>
{
    public override PolicyKind Kind => PolicyKind.UserSchema;
    public override string Collection => "user-schemas";
    public override string Resource => "user-schema";
    public override string Noun => "user schema";

    public override void Apply(PolicyFields fields, UserSchemaPolicy settings)
    {
        fields.Bool("fullNameRequired", v => settings.FullNameRequired = v);
        fields.Bool("givenNameRequired", v => settings.GivenNameRequired = v);
        fields.Bool("familyNameRequired", v => settings.FamilyNameRequired = v);
        fields.Bool("phoneNumberRequired", v => settings.PhoneNumberRequired = v);
        fields.Bool("birthdateRequired", v => settings.BirthdateRequired = v);
        fields.Bool("usernameRequired", v => settings.UsernameRequired = v);
        fields.Bool("passwordRequired", v => settings.PasswordRequired = v);
    }
}

/// <summary>The signup workflow policy (<c>/signup-workflow-policies</c>): how a new sign-up proves its address, and where it ends.</summary>
internal sealed class SignupWorkflowPolicyApi : PolicyKindApi<SignupWorkflowPolicy>
{
    public override PolicyKind Kind => PolicyKind.SignupWorkflow;
    public override string Collection => "signup-workflow-policies";
    public override string Resource => "signup-workflow-policy";
    public override string Noun => "signup workflow policy";

    public override void Apply(PolicyFields fields, SignupWorkflowPolicy settings)
    {
        fields.Enum<SignupVerification>("verification", v => settings.Verification = v);
        fields.PageUrl("customRedirectUrl", v => settings.CustomRedirectUrl = v);
    }
}

/// <summary>The password reset workflow policy (<c>/password-reset-workflow-policies</c>): immediate login, and where it ends.</summary>
internal sealed class PasswordResetWorkflowPolicyApi : PolicyKindApi<PasswordResetWorkflowPolicy>
{
    public override PolicyKind Kind => PolicyKind.PasswordResetWorkflow;
    public override string Collection => "password-reset-workflow-policies";
    public override string Resource => "password-reset-workflow-policy";
    public override string Noun => "password reset workflow policy";

    public override void Apply(PolicyFields fields, PasswordResetWorkflowPolicy settings)
    {
        fields.Bool("immediateLogin", v => settings.ImmediateLogin = v);
        fields.PageUrl("customRedirectUrl", v => settings.CustomRedirectUrl = v);
    }
}

/// <summary>The settings of an invitation workflow the flows read: where accepting ends.</summary>
internal sealed class InvitationWorkflowPolicy
{
    /// <summary>Where the browser goes after accepting instead of the login URL; may hold <c>{tenant_name}</c>.</summary>
    public string? CustomRedirectUrl { get; set; }
}

/// <summary>The new-user and existing-user invitation workflow policies (<c>/{new|existing}-user-invitation-workflow-policies</c>).</summary>
internal sealed class InvitationWorkflowPolicyApi(PolicyKind kind, string resource, string noun) : PolicyKindApi<InvitationWorkflowPolicy>
{
    public override PolicyKind Kind => kind;
    public override string Collection => $"{resource[..^"policy".Length]}policies";
    public override string Resource => resource;
    public override string Noun => noun;

    public override void Apply(PolicyFields fields, InvitationWorkflowPolicy settings) =>
        fields.PageUrl("customRedirectUrl", v => settings.CustomRedirectUrl = v);
}

/// <summary>The login workflow policy (<c>/login-workflow-policies</c>): missing-password remediation.</summary>
internal sealed class LoginWorkflowPolicyApi : PolicyKindApi<LoginWorkflowPolicy>
{
    public override PolicyKind Kind => PolicyKind.LoginWorkflow;
    public override string Collection => "login-workflow-policies";
    public override string Resource => "login-workflow-policy";
    public override string Noun => "login workflow policy";

    public override void Apply(PolicyFields fields, LoginWorkflowPolicy settings) =>
        fields.Bool("missingPasswordRemediation", v => settings.MissingPasswordRemediation = v);
}

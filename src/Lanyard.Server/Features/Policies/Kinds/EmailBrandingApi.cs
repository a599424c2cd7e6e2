using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// Wristband's email branding (<c>/email-brandings</c>): the action button's colours and radius and the logo
/// of every email. The email layout writes only values that pass its own format checks again.
/// </summary>
internal sealed class EmailBrandingApi : PolicyKindApi<EmailBrandingPolicy>
{
    public const int MaxRadiusPixels = 40;

    public override PolicyKind Kind => PolicyKind.EmailBranding;
    public override string Collection => "email-brandings";
    public override string Resource => "email-branding";
    public override string Noun => "email branding";

    public override void Apply(PolicyFields fields, EmailBrandingPolicy settings)
    {
        fields.Color("primaryButtonBackgroundColor", v => settings.PrimaryButtonColor = v ?? EmailBrandingPolicy.DefaultButtonColor);
        fields.Color("primaryButtonTextColor", v => settings.PrimaryButtonFontColor = v ?? EmailBrandingPolicy.DefaultButtonTextColor);
        fields.Int("primaryButtonBorderRadiusPixels", 0, MaxRadiusPixels, v => settings.PrimaryButtonBorderRadiusPixels = v, nullable: true);
        fields.ImageUrl("logoUrl", v => settings.LogoUrl = v);
        fields.Int("logoHeightPixels", 16, 200, v => settings.LogoHeightPixels = v, nullable: true);
        fields.Int("logoWidthPixels", 16, 600, v => settings.LogoWidthPixels = v, nullable: true);
    }
}

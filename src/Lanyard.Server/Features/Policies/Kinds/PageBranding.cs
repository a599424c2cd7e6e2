using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// The look of the hosted pages (policy kind <c>PageBranding</c>), with Wristband's field names. Null
/// fields keep Lanyard's own stylesheet. Colours are <c>#rrggbb</c>, sizes whole pixels within bounds,
/// the logo an https URL: checked when written, and again when a page is rendered.
/// </summary>
internal sealed class PageBrandingPolicy
{
    public string? PageBackgroundColor { get; set; }
    public string? PanelBackgroundColor { get; set; }
    public string? PanelTextColor { get; set; }
    public string? PanelBorderColor { get; set; }
    public int? PanelBorderRadiusPixels { get; set; }
    public string? PrimaryButtonBackgroundColor { get; set; }
    public string? PrimaryButtonTextColor { get; set; }
    public int? PrimaryButtonBorderRadiusPixels { get; set; }
    public string? SecondaryButtonBackgroundColor { get; set; }
    public string? SecondaryButtonTextColor { get; set; }
    public string? SecondaryButtonBorderColor { get; set; }
    public string? InputBackgroundColor { get; set; }
    public string? InputTextColor { get; set; }
    public string? InputBorderColor { get; set; }
    public string? InputFocusColor { get; set; }
    public int? InputBorderRadiusPixels { get; set; }
    public string? LinkColor { get; set; }
    public string? SuccessColor { get; set; }
    public string? ErrorColor { get; set; }
    public string? LogoUrl { get; set; }
    public int? LogoHeightPixels { get; set; }
}

/// <summary>The page branding API (<c>/page-brandings</c>).</summary>
internal sealed class PageBrandingApi : PolicyKindApi<PageBrandingPolicy>
{
    public const int MaxRadiusPixels = 40;
    public const int MinLogoHeightPixels = 16;
    public const int MaxLogoHeightPixels = 200;

    public override PolicyKind Kind => PolicyKind.PageBranding;
    public override string Collection => "page-brandings";
    public override string Resource => "page-branding";
    public override string Noun => "page branding";

    public override void Apply(PolicyFields fields, PageBrandingPolicy settings)
    {
        fields.Color("pageBackgroundColor", v => settings.PageBackgroundColor = v);
        fields.Color("panelBackgroundColor", v => settings.PanelBackgroundColor = v);
        fields.Color("panelTextColor", v => settings.PanelTextColor = v);
        fields.Color("panelBorderColor", v => settings.PanelBorderColor = v);
        fields.Int("panelBorderRadiusPixels", 0, MaxRadiusPixels, v => settings.PanelBorderRadiusPixels = v, nullable: true);
        fields.Color("primaryButtonBackgroundColor", v => settings.PrimaryButtonBackgroundColor = v);
        fields.Color("primaryButtonTextColor", v => settings.PrimaryButtonTextColor = v);
        fields.Int("primaryButtonBorderRadiusPixels", 0, MaxRadiusPixels, v => settings.PrimaryButtonBorderRadiusPixels = v, nullable: true);
        fields.Color("secondaryButtonBackgroundColor", v => settings.SecondaryButtonBackgroundColor = v);
        fields.Color("secondaryButtonTextColor", v => settings.SecondaryButtonTextColor = v);
        fields.Color("secondaryButtonBorderColor", v => settings.SecondaryButtonBorderColor = v);
        fields.Color("inputBackgroundColor", v => settings.InputBackgroundColor = v);
        fields.Color("inputTextColor", v => settings.InputTextColor = v);
        fields.Color("inputBorderColor", v => settings.InputBorderColor = v);
        fields.Color("inputFocusColor", v => settings.InputFocusColor = v);
        fields.Int("inputBorderRadiusPixels", 0, MaxRadiusPixels, v => settings.InputBorderRadiusPixels = v, nullable: true);
        fields.Color("linkColor", v => settings.LinkColor = v);
        fields.Color("successColor", v => settings.SuccessColor = v);
        fields.Color("errorColor", v => settings.ErrorColor = v);
        fields.ImageUrl("logoUrl", v => settings.LogoUrl = v);
        fields.Int("logoHeightPixels", MinLogoHeightPixels, MaxLogoHeightPixels, v => settings.LogoHeightPixels = v, nullable: true);
    }
}

/// <summary>
/// The resolved page branding as a stylesheet of CSS custom properties over <c>/css/lanyard.css</c>. Served
/// from this origin (<c>/branding.css</c>) because the pages' CSP allows no inline style. Only values that
/// pass the format checks again here are written, so a row that bypassed the API cannot inject CSS.
/// </summary>
internal static class PageBrandingCss
{
    public static string Render(PageBrandingPolicy branding)
    {
        var css = new StringBuilder(":root{");
        Color(css, "--bg", branding.PageBackgroundColor);
        Color(css, "--panel", branding.PanelBackgroundColor);
        Color(css, "--text", branding.PanelTextColor);
        Color(css, "--border", branding.PanelBorderColor);
        Pixels(css, "--radius", branding.PanelBorderRadiusPixels, 0, PageBrandingApi.MaxRadiusPixels);
        Color(css, "--primary", branding.PrimaryButtonBackgroundColor);
        Color(css, "--primary-text", branding.PrimaryButtonTextColor);
        Pixels(css, "--button-radius", branding.PrimaryButtonBorderRadiusPixels, 0, PageBrandingApi.MaxRadiusPixels);
        Color(css, "--secondary-bg", branding.SecondaryButtonBackgroundColor);
        Color(css, "--secondary-text", branding.SecondaryButtonTextColor);
        Color(css, "--secondary-border", branding.SecondaryButtonBorderColor);
        Color(css, "--input-bg", branding.InputBackgroundColor);
        Color(css, "--input-text", branding.InputTextColor);
        Color(css, "--input-border", branding.InputBorderColor);
        Color(css, "--input-focus", branding.InputFocusColor);
        Pixels(css, "--input-radius", branding.InputBorderRadiusPixels, 0, PageBrandingApi.MaxRadiusPixels);
        Color(css, "--link", branding.LinkColor);
        Color(css, "--success", branding.SuccessColor);
        Color(css, "--error", branding.ErrorColor);
        Pixels(css, "--logo-height", branding.LogoHeightPixels, PageBrandingApi.MinLogoHeightPixels, PageBrandingApi.MaxLogoHeightPixels);
        return css.Append("}\n").ToString();
    }

    /// <summary>A short fingerprint of the stylesheet, for its URL: a changed branding is a new URL, so the old one may be cached.</summary>
    public static string Version(string css) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(css)))[..16];

    private static void Color(StringBuilder css, string property, string? value)
    {
        if (PolicyFields.IsColor(value))
        {
            css.Append(property).Append(':').Append(value).Append(';');
        }
    }

    private static void Pixels(StringBuilder css, string property, int? value, int min, int max)
    {
        if (value is { } pixels)
        {
            css.Append(property).Append(':').Append(Math.Clamp(pixels, min, max).ToString(CultureInfo.InvariantCulture)).Append("px;");
        }
    }
}

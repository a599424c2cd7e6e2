using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Lanyard.Server.Features.Email;

/// <summary>An email ready for the outbox: both bodies rendered, the sender's display name chosen.</summary>
internal sealed record RenderedEmail(string Type, string Subject, string TextBody, string HtmlBody, string? FromName);

/// <summary>The email types, with Wristband's names (email policies are keyed by them).</summary>
internal static class EmailTypes
{
    public const string UserActivation = "USER_ACTIVATION";
    public const string EmailVerification = "EMAIL_VERIFICATION";
    public const string PasswordReset = "PASSWORD_RESET";
    public const string PasswordChanged = "PASSWORD_CHANGED";
    public const string NewUserInvitation = "NEW_USER_INVITATION";
    public const string ExistingUserInvitation = "EXISTING_USER_INVITATION";
    public const string TenantDiscovery = "TENANT_DISAMBIGUATION";
    public const string RecoveryCodeUsed = "MFA_RECOVERY_CODE_USED";

    public static IReadOnlyList<string> WithActionLink { get; } =
        [UserActivation, EmailVerification, PasswordReset, NewUserInvitation, ExistingUserInvitation, TenantDiscovery];
}

/// <summary>Who the email speaks for: the tenant's or application's name and email branding.</summary>
internal sealed record EmailBrand(
    string Name, string? LogoUrl = null, string ButtonColor = "#1f4fd1", string ButtonTextColor = "#ffffff",
    int ButtonRadiusPixels = 6, int LogoHeightPixels = 48, int? LogoWidthPixels = null);

/// <summary>
/// Renders every transactional email from one layout: a heading, a paragraph or two, one action button
/// with the link also spelled out (for clients that block buttons), and when the link expires. Every value
/// is encoded for its context; user-controlled text (names) never becomes markup.
/// </summary>
internal static class EmailTemplates
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;
    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    public static RenderedEmail UserActivation(EmailBrand brand, string link, DateTimeOffset expiresAt) => Render(
        EmailTypes.UserActivation, brand, $"Activate your {brand.Name} account",
        "Activate your account",
        [$"Thanks for signing up for {brand.Name}. Confirm this is your email address to activate your account."],
        "Activate account", link, expiresAt,
        "If you did not sign up, you can ignore this email: nothing happens without the link.");

    public static RenderedEmail EmailVerification(EmailBrand brand, string link, DateTimeOffset expiresAt) => Render(
        EmailTypes.EmailVerification, brand, $"Verify your email address for {brand.Name}",
        "Verify your email address",
        [$"Confirm that this address belongs to your {brand.Name} account."],
        "Verify email", link, expiresAt,
        "If you did not create an account, you can ignore this email.");

    public static RenderedEmail PasswordReset(EmailBrand brand, string link, DateTimeOffset expiresAt) => Render(
        EmailTypes.PasswordReset, brand, $"Reset your {brand.Name} password",
        "Reset your password",
        [$"Someone asked to reset the password of your {brand.Name} account. Use the button to choose a new one."],
        "Choose a new password", link, expiresAt,
        "If you did not ask for this, ignore this email: your password stays as it is.");

    public static RenderedEmail PasswordChanged(EmailBrand brand, string loginLink) => Render(
        EmailTypes.PasswordChanged, brand, $"Your {brand.Name} password was changed",
        "Your password was changed",
        [$"The password of your {brand.Name} account has just been changed, and every session was signed out."],
        "Sign in", loginLink, null,
        "If this was not you, reset your password at once and tell your administrator.");

    public static RenderedEmail NewUserInvitation(EmailBrand brand, string link, DateTimeOffset expiresAt) => Render(
        EmailTypes.NewUserInvitation, brand, $"You are invited to {brand.Name}",
        $"Join {brand.Name}",
        [$"You have been invited to {brand.Name}. Accept the invitation to set up your account."],
        "Accept invitation", link, expiresAt,
        "If you were not expecting this, you can ignore this email.");

    public static RenderedEmail ExistingUserInvitation(EmailBrand brand, string link, DateTimeOffset expiresAt) => Render(
        EmailTypes.ExistingUserInvitation, brand, $"Your {brand.Name} account is ready",
        "Activate your account",
        [$"An administrator of {brand.Name} has invited you to use your account. Accept to activate it."],
        "Accept invitation", link, expiresAt,
        "If you were not expecting this, you can ignore this email.");

    public static RenderedEmail RecoveryCodeUsed(EmailBrand brand, string loginLink) => Render(
        EmailTypes.RecoveryCodeUsed, brand, $"A recovery code was used on your {brand.Name} account",
        "A recovery code was used on your account",
        [$"Someone signed in to your {brand.Name} account with its recovery code instead of the authenticator app. That code cannot be used again.",
         "Sign in and set up your authenticator again to get a new recovery code."],
        "Sign in", loginLink, null,
        "If this was not you, reset your password at once and tell your administrator.");

    public static RenderedEmail TenantDiscovery(EmailBrand brand, IReadOnlyList<(string Name, string LoginUrl)> tenants) =>
        RenderList(EmailTypes.TenantDiscovery, brand, $"Your {brand.Name} sign-in links", "Choose where to sign in",
            $"Your email address belongs to more than one {brand.Name} organisation. Choose one:", tenants,
            "If you did not ask for this, you can ignore this email.");

    private static RenderedEmail Render(
        string type, EmailBrand brand, string subject, string heading, IReadOnlyList<string> paragraphs,
        string action, string link, DateTimeOffset? expiresAt, string footer)
    {
        var expiry = expiresAt is { } at ? $"The link works once and expires at {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC." : null;

        var text = new StringBuilder();
        text.Append(heading).Append("\n\n");
        foreach (var paragraph in paragraphs)
        {
            text.Append(paragraph).Append("\n\n");
        }

        text.Append(action).Append(": ").Append(link).Append("\n\n");
        if (expiry is not null)
        {
            text.Append(expiry).Append("\n\n");
        }

        text.Append(footer).Append("\n\n— ").Append(brand.Name).Append('\n');

        var body = new StringBuilder();
        body.Append("<h1 style=\"font-size:20px;margin:0 0 16px\">").Append(Html.Encode(heading)).Append("</h1>");
        foreach (var paragraph in paragraphs)
        {
            body.Append("<p style=\"margin:0 0 16px\">").Append(Html.Encode(paragraph)).Append("</p>");
        }

        body.Append("<p style=\"margin:24px 0\"><a href=\"").Append(Html.Encode(link))
            .Append("\" style=\"display:inline-block;padding:12px 20px;border-radius:")
            .Append(Math.Clamp(brand.ButtonRadiusPixels, 0, 40).ToString(CultureInfo.InvariantCulture))
            .Append("px;text-decoration:none;font-weight:600;background:")
            .Append(SafeColor(brand.ButtonColor, "#1f4fd1")).Append(";color:").Append(SafeColor(brand.ButtonTextColor, "#ffffff")).Append("\">")
            .Append(Html.Encode(action)).Append("</a></p>");
        body.Append("<p style=\"margin:0 0 16px;font-size:13px;color:#555\">Or open this link: <a href=\"").Append(Html.Encode(link)).Append("\">")
            .Append(Html.Encode(link)).Append("</a></p>");
        if (expiry is not null)
        {
            body.Append("<p style=\"margin:0 0 16px;font-size:13px;color:#555\">").Append(Html.Encode(expiry)).Append("</p>");
        }

        body.Append("<p style=\"margin:24px 0 0;font-size:13px;color:#555\">").Append(Html.Encode(footer)).Append("</p>");
        return new RenderedEmail(type, subject, text.ToString(), Layout(brand, subject, body.ToString()), brand.Name);
    }

    private static RenderedEmail RenderList(
        string type, EmailBrand brand, string subject, string heading, string intro, IReadOnlyList<(string Name, string LoginUrl)> items, string footer)
    {
        var text = new StringBuilder().Append(heading).Append("\n\n").Append(intro).Append("\n\n");
        var body = new StringBuilder()
            .Append("<h1 style=\"font-size:20px;margin:0 0 16px\">").Append(Html.Encode(heading)).Append("</h1>")
            .Append("<p style=\"margin:0 0 16px\">").Append(Html.Encode(intro)).Append("</p><ul>");
        foreach (var (name, url) in items)
        {
            text.Append("- ").Append(name).Append(": ").Append(url).Append('\n');
            body.Append("<li style=\"margin:0 0 8px\"><a href=\"").Append(Html.Encode(url)).Append("\">").Append(Html.Encode(name)).Append("</a></li>");
        }

        text.Append('\n').Append(footer).Append("\n\n— ").Append(brand.Name).Append('\n');
        body.Append("</ul><p style=\"margin:24px 0 0;font-size:13px;color:#555\">").Append(Html.Encode(footer)).Append("</p>");
        return new RenderedEmail(type, subject, text.ToString(), Layout(brand, subject, body.ToString()), brand.Name);
    }

    private static string Layout(EmailBrand brand, string subject, string body)
    {
        var logo = brand.LogoUrl is { } url && url.StartsWith("https://", StringComparison.Ordinal)
            ? $"<img src=\"{Html.Encode(url)}\" alt=\"{Html.Encode(brand.Name)}\" style=\"{LogoSize(brand)}margin:0 0 24px\">"
            : $"<p style=\"font-weight:700;margin:0 0 24px\">{Html.Encode(brand.Name)}</p>";
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">" +
               $"<title>{Html.Encode(subject)}</title></head>" +
               "<body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1b1d21\">" +
               "<div style=\"max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:32px\">" +
               logo + body + "</div></body></html>";
    }

    /// <summary>Numbers only, clamped: sizes come from email branding.</summary>
    private static string LogoSize(EmailBrand brand) =>
        string.Create(CultureInfo.InvariantCulture, $"max-height:{Math.Clamp(brand.LogoHeightPixels, 16, 200)}px;")
        + (brand.LogoWidthPixels is { } width ? string.Create(CultureInfo.InvariantCulture, $"max-width:{Math.Clamp(width, 16, 600)}px;") : "");

    /// <summary>Only <c>#rgb</c> / <c>#rrggbb</c> reach a style attribute: a branding value must not be able to inject CSS.</summary>
    private static string SafeColor(string value, string fallback) =>
        value.Length is 4 or 7 && value[0] == '#' && !value.AsSpan(1).ContainsAnyExcept(HexDigits) ? value : fallback;
}

using System.Text;
using Lanyard.Server.Features.Tenants;

namespace Lanyard.Server.Features.Authorize;

/// <summary>
/// Redirect URIs and login URLs may be templates with <c>{tenant_domain}</c> or <c>{tenant_name}</c>.
/// Requests are matched against the template literally (Wristband's SDKs send it unsubstituted); only
/// when the browser is sent there is the tenant's name put in.
/// </summary>
internal static class RedirectUris
{
    public static string Substitute(string template, Tenant tenant) =>
        template.Replace("{tenant_domain}", tenant.NormalizedName, StringComparison.Ordinal)
            .Replace("{tenant_name}", tenant.NormalizedName, StringComparison.Ordinal);

    public static bool IsTemplate(string uri) =>
        uri.Contains("{tenant_domain}", StringComparison.Ordinal) || uri.Contains("{tenant_name}", StringComparison.Ordinal);

    /// <summary>Appends query parameters (skipping nulls), percent-encoded, after any query the URI already has.</summary>
    public static string AppendQuery(string uri, IEnumerable<KeyValuePair<string, string?>> parameters)
    {
        var builder = new StringBuilder(uri);
        var separator = uri.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        foreach (var (key, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }

            builder.Append(separator).Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        return builder.ToString();
    }

    /// <summary>
    /// The tenant parameters every redirect back to an application carries (success and error alike):
    /// both spellings, because SDK generations read different ones, plus the custom domain when used.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> TenantParameters(Tenant tenant, string? customDomain) =>
    [
        new("tenant_domain", tenant.NormalizedName),
        new("tenant_name", tenant.NormalizedName),
        new("tenant_custom_domain", customDomain),
    ];
}

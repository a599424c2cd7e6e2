using Lanyard.Server.Features.Bootstrap;

namespace Lanyard.Server.Hosting;

/// <summary>The human-readable "where to go next" shown on a terminal after the first run. No secrets.</summary>
internal static class WelcomeBanner
{
    public static string Render(BootstrapValues values, string bootstrapPath)
    {
        var separator = values.TenantHostStyle;
        var host = values.HttpsUrl["https://".Length..];
        return $"""

            Lanyard is set up.
              Application host:  {values.HttpsUrl}   (and {values.HttpUrl})
              Demo tenant host:  https://{values.DemoTenantName}{separator}{host}
              Health:            {values.HttpsUrl}/healthz
              Credentials:       {bootstrapPath}  (admin client, demo user and demo client secrets; mode 0600)
              Development CA:    {values.DevCaCertificatePath ?? "(not used)"}  (trust it, or pass it to your HTTP client)

            """;
    }
}

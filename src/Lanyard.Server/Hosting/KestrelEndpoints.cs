using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Lanyard.Server.Hosting;

/// <summary>
/// Where the server listens. An explicit <c>Kestrel:Endpoints</c> configuration always wins. Otherwise,
/// in development: HTTP and HTTPS on the loopback interfaces (browsers send every <c>*.localhost</c>
/// name there), HTTPS with certificates from the local development CA; outside development: HTTP on all
/// interfaces, for a TLS-terminating proxy in front.
/// </summary>
internal static class KestrelEndpoints
{
    public static void Configure(WebHostBuilderContext context, KestrelServerOptions kestrel)
    {
        if (context.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            return;
        }

        var errors = new List<string>();
        var settings = ServerSettings.Load(context.Configuration, context.HostingEnvironment, errors);
        if (errors.Count > 0)
        {
            return; // Reported, with every other problem, when the server resolves its settings.
        }

        kestrel.AddServerHeader = false;
        if (!settings.UseDevelopmentCertificate)
        {
            kestrel.ListenAnyIP(settings.HttpPort);
            return;
        }

        var certificates = DevCertificates.LoadOrCreate(settings);
        kestrel.ListenLocalhost(settings.HttpPort);
        kestrel.ListenLocalhost(settings.HttpsPort, listen =>
            listen.UseHttps(https => https.ServerCertificateSelector = (_, name) => certificates.Select(name)));
    }
}

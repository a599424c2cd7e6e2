using Lanyard.Testing;
using Microsoft.AspNetCore.Hosting;

namespace Lanyard.EndToEnd.Tests;

/// <summary>
/// Lanyard on real Kestrel sockets, HTTPS with its development CA, so a browser and a Node process can
/// reach it: the application host at <c>auth.localhost:{HttpsPort}</c>, tenants at
/// <c>{tenant}-auth.localhost:{HttpsPort}</c>.
/// </summary>
public sealed class KestrelLanyard : LanyardFactory
{
    /// <param name="smtpPort">When set, Lanyard delivers email over SMTP to this port on loopback (a real SMTP server process) instead of the test kit's capture.</param>
    public KestrelLanyard(Database database, int? smtpPort = null)
        : base(database)
    {
        HttpPort = FreePort();
        HttpsPort = FreePort();
        UseKestrel();
        LogLanyardInformation = true;
        if (smtpPort is { } port)
        {
            CaptureEmail = false;
            With("Lanyard:Email:Smtp:Host", "127.0.0.1");
            With("Lanyard:Email:Smtp:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            With("Lanyard:Email:Smtp:Security", "None");
            With("Lanyard:Email:FromAddress", "no-reply@auth.localhost");
        }
    }

    public int HttpPort { get; }

    public int HttpsPort { get; }

    /// <summary>What an SDK is configured with: the application host and its port.</summary>
    public string VanityDomain => $"{ApplicationHost}:{HttpsPort}";

    /// <summary>A tenant host as a browser addresses it: <c>{tenant}-auth.localhost:{HttpsPort}</c>.</summary>
    public string TenantAuthority(string tenantName) => $"{TenantHost(tenantName)}:{HttpsPort}";

    /// <summary>Starts Kestrel (migrations and the first run included) and reads what the first run wrote.</summary>
    public Task StartKestrelAsync() => StartAsync();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Lanyard:Endpoints:HttpPort", HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Lanyard:Endpoints:HttpsPort", HttpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Lanyard:Application:VanityDomain", VanityDomain);
    }

    private static int FreePort() => ServerProcess.FreePort();
}

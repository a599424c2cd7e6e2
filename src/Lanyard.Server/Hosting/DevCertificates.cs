using Lanyard.Server.Common;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Lanyard.Server.Hosting;

/// <summary>
/// Local HTTPS for development. Wristband's SDKs only speak https, and every tenant has a host of its
/// own, so a fixed certificate would never cover them all (wildcards under <c>localhost</c> are refused
/// by several clients). Instead a local CA is created once under the data directory, and Kestrel asks
/// for a leaf certificate per SNI host name, issued on first use and cached in memory. Only loopback
/// names (<c>localhost</c>, <c>*.localhost</c>, and hosts under the configured vanity domain) are
/// issued; trusting the CA therefore trusts nothing beyond this machine's own loopback names.
/// </summary>
internal sealed class DevCertificates
{
    private const int MaxCachedHosts = 1024;
    private readonly X509Certificate2 _ca;
    private readonly ServerSettings _settings;
    private readonly ConcurrentDictionary<string, X509Certificate2> _leaves = new(StringComparer.Ordinal);

    private DevCertificates(X509Certificate2 ca, ServerSettings settings)
    {
        _ca = ca;
        _settings = settings;
    }

    public static string CaCertificatePath(ServerSettings settings) => Path.Combine(settings.DataDirectory, "dev-ca.pem");

    private static string CaKeyPath(ServerSettings settings) => Path.Combine(settings.DataDirectory, "dev-ca.key");

    public static DevCertificates LoadOrCreate(ServerSettings settings)
    {
        DataDirectory.Ensure(settings.DataDirectory);
        var certPath = CaCertificatePath(settings);
        var keyPath = CaKeyPath(settings);
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (existing.NotAfter > DateTime.UtcNow.AddDays(30))
            {
                return new DevCertificates(existing, settings);
            }
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Lanyard Development CA, O=Lanyard (local only)", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // Certificate validity is judged by the TLS peer's wall clock, never by an injected test clock.
        var now = DateTimeOffset.UtcNow;
        using var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(5));

        WriteFile(keyPath, key.ExportPkcs8PrivateKeyPem(), secret: true);
        WriteFile(certPath, ca.ExportCertificatePem(), secret: false);
        return new DevCertificates(X509Certificate2.CreateFromPemFile(certPath, keyPath), settings);
    }

    /// <summary>Kestrel's certificate selector: a certificate for exactly the host the client asked for.</summary>
    public X509Certificate2 Select(string? serverName)
    {
        var host = string.IsNullOrEmpty(serverName) ? "localhost" : serverName.TrimEnd('.').ToLowerInvariant();
        if (!IsIssuable(host))
        {
            host = "localhost";
        }

        if (_leaves.TryGetValue(host, out var cached))
        {
            return cached;
        }

        if (_leaves.Count >= MaxCachedHosts)
        {
            _leaves.Clear();
        }

        return _leaves.GetOrAdd(host, Issue);
    }

    private bool IsIssuable(string host) =>
        host == "localhost"
        || host.EndsWith(".localhost", StringComparison.Ordinal)
        || host == _settings.VanityHost
        || host.EndsWith("." + _settings.VanityHost, StringComparison.Ordinal)
        || host.EndsWith("-" + _settings.VanityHost, StringComparison.Ordinal);

    private X509Certificate2 Issue(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        if (host == "localhost")
        {
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));

        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(_ca, now.AddMinutes(-5), now.AddDays(365), serial);
        using var withKey = issued.CopyWithPrivateKey(key);

        // A round trip through PKCS#12 gives a certificate whose key SslStream can use on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static void WriteFile(string path, string contents, bool secret)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(contents);
    }
}

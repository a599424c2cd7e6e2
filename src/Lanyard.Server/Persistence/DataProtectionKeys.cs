using System.Xml.Linq;
using Lanyard.Server.Common;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Persistence;

/// <summary>
/// ASP.NET Core's data-protection keys (they protect the antiforgery tokens of the hosted pages) live in the
/// database with everything else, so server nodes stay stateless (DESIGN §7): a form rendered by one node is
/// accepted by another, and a restarted container does not turn every open login page into a 400. The key XML is
/// sealed under the master key like signing keys and TOTP seeds, so a read of the database alone forges nothing.
/// One application name for all nodes: the default discriminator is the install path, which differs between nodes.
/// </summary>
internal static class DataProtectionKeys
{
    public const string ApplicationName = "lanyard";

    public static IServiceCollection AddLanyardDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddOptions<KeyManagementOptions>()
            .Configure<IServiceProvider, MasterKey>((options, provider, masterKey) =>
            {
                options.XmlRepository = new GatedXmlRepository(
                    new EntityFrameworkCoreXmlRepository<LanyardDbContext>(provider, provider.GetRequiredService<ILoggerFactory>()),
                    provider.GetRequiredService<DatabaseGate>());
                options.XmlEncryptor = new MasterKeyXmlEncryptor(masterKey);
            });
        return services;
    }

    /// <summary>
    /// Data protection's own hosted service loads the key ring inside its <c>StartAsync</c>, synchronously: with the
    /// key table behind <see cref="DatabaseGate"/> that held the host's start loop until the database was prepared,
    /// so Kestrel bound its ports only then and <c>/readyz</c> never answered 503 during a migration. It is replaced by
    /// a worker that loads the ring once the gate is open. Called last: every <c>AddDataProtection</c> (antiforgery's
    /// too) adds the original back.
    /// </summary>
    public static IServiceCollection LoadKeyRingAfterDatabaseGate(this IServiceCollection services)
    {
        var original = services.Where(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService").ToList();
        if (original.Count != 1)
        {
            throw new InvalidOperationException($"Expected data protection's hosted service once, found it {original.Count} times: has ASP.NET Core changed how it loads the key ring?");
        }

        services.Remove(original[0]);
        services.AddHostedService<KeyRingWarmUp>();
        return services;
    }
}

/// <summary>Loads the data-protection key ring (creating the first key of a new database) once the database is ready.</summary>
internal sealed partial class KeyRingWarmUp(DatabaseGate gate, IDataProtectionProvider dataProtection, ILogger<KeyRingWarmUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await gate.WaitToWorkAsync(stoppingToken);
            // Protecting anything makes data protection read (or create) the current key ring and cache it, so the first
            // hosted page does not pay for it.
            _ = dataProtection.CreateProtector("Lanyard.KeyRingWarmUp").Protect([]);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not fatal: the first protect or unprotect of a request loads the ring again and reports its own failure.
            WarmUpFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "Loading the data-protection key ring after start-up failed; the first hosted page will try again")]
    private static partial void WarmUpFailed(ILogger logger, Exception exception);
}

/// <summary>
/// The key table exists only once the migrations have run: every read and write waits for <see cref="DatabaseGate"/>
/// first (data protection's start-up load of the ring runs behind the gate: <see cref="KeyRingWarmUp"/>). Once the
/// database is ready the wait is a completed task, so request paths never block on it.
/// </summary>
internal sealed class GatedXmlRepository(IXmlRepository inner, DatabaseGate gate) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        WaitForDatabase();
        return inner.GetAllElements();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        WaitForDatabase();
        inner.StoreElement(element, friendlyName);
    }

    private void WaitForDatabase()
    {
        if (!gate.IsOpen)
        {
            gate.WaitAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }
}

internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> builder) => builder.ToTable("data_protection_keys");
}

/// <summary>Seals a data-protection key's secret element with AES-256-GCM under a key derived from the master key.</summary>
internal sealed class MasterKeyXmlEncryptor(MasterKey masterKey) : IXmlEncryptor
{
    internal const string Purpose = "data-protection-keys";
    internal static readonly XName SealedElement = "sealedByLanyardMasterKey";

    private readonly SecretBox _box = new(masterKey, Purpose);

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        try
        {
            return new EncryptedXmlInfo(new XElement(SealedElement, Convert.ToBase64String(_box.Seal(plaintext))), typeof(MasterKeyXmlDecryptor));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}

/// <summary>
/// Opens what <see cref="MasterKeyXmlEncryptor"/> sealed. Data protection creates it by the type name stored in the
/// key's XML, with the service provider as its only argument. A key sealed under another master key fails to open;
/// data protection then logs it and makes a new key (forms rendered before the master key changed are refused).
/// </summary>
internal sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    private readonly SecretBox _box = new(services.GetRequiredService<MasterKey>(), MasterKeyXmlEncryptor.Purpose);

    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        if (encryptedElement.Name != MasterKeyXmlEncryptor.SealedElement)
        {
            throw new InvalidOperationException($"Expected a <{MasterKeyXmlEncryptor.SealedElement}> element, found <{encryptedElement.Name}>.");
        }

        var plaintext = _box.Open(Convert.FromBase64String(encryptedElement.Value));
        try
        {
            return XElement.Parse(System.Text.Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
